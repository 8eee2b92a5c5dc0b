"""tether: what still works when a supplier withholds support."""

from tether._errors import InputError, TetherError
from tether._loader import load, load_text

__all__ = ["InputError", "TetherError", "load", "load_text"]
