"""The web workbench (``tether serve``): FastAPI + uvicorn, the ``web`` extra."""

from __future__ import annotations

from tether._web.app import create_app
from tether._web.limits import Limits

__all__ = ["Limits", "create_app"]
