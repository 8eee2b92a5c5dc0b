"""The workbench's atlas route: SIPRI's recipient x supplier matrix as JSON for the heat map.

The store is read from the atlas's own data directory (``tether atlas import FILE`` writes
it there: ``--data-dir``, else ``$TETHER_DATA_DIR``, else the platform's data directory),
unless the app was made with an explicit ``atlas_dir``. Each request opens the store
read-only and closes it; no request names a path on the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from tether._errors import TetherError

__all__ = ["AtlasRefusedError", "atlas_router"]

#: At most this many named countries and top suppliers per request.
MAX_COUNTRIES = 100
MAX_TOP = 30


class AtlasRefusedError(TetherError):
    """A refused atlas request: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _countries(text: str | None) -> list[str]:
    if text is None:
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) > MAX_COUNTRIES:
        raise AtlasRefusedError(
            422, f"{len(names)} countries; this server takes at most {MAX_COUNTRIES}"
        )
    return names


def atlas_router(atlas_dir: Path | None) -> APIRouter:
    """``GET /api/atlas/matrix`` and ``GET /api/atlas/groups`` over the store in
    ``atlas_dir`` (the atlas's default data directory when None)."""
    router = APIRouter()

    @router.get("/api/atlas/groups")
    def groups() -> dict[str, list[str]]:
        from tether._atlas.groups import GROUPS

        return {name: list(members) for name, members in GROUPS.items()}

    @router.get("/api/atlas/matrix")
    def matrix(
        group: str | None = None,
        countries: str | None = None,
        since: int | None = None,
        top: int = 6,
    ) -> dict[str, Any]:
        from tether._atlas import atlas_matrix
        from tether._atlas.groups import GROUPS
        from tether._atlas.store import store_path

        names = _countries(countries)
        if group is not None and group not in GROUPS:
            raise AtlasRefusedError(422, f"no group {group!r}; groups: {', '.join(GROUPS)}")
        if group is None and not names:
            raise AtlasRefusedError(
                422, "name a group (group=nato-europe) or countries (countries=A,B,...)"
            )
        if not 1 <= top <= MAX_TOP:
            raise AtlasRefusedError(422, f"top must be from 1 to {MAX_TOP}, not {top}")
        path = store_path(atlas_dir)
        if not path.is_file():
            raise AtlasRefusedError(
                409,
                f"no atlas store on this server ({path.parent}): import SIPRI's trade "
                "register first with `tether atlas import FILE` (download it from "
                "https://www.sipri.org/databases/armstransfers), then reload",
            )
        try:
            m = atlas_matrix(group, names or None, since, top, atlas_dir)
        except TetherError as exc:
            # Unknown country names and out-of-range years are the user's to fix.
            raise AtlasRefusedError(422, str(exc)) from None
        return {"group": group, "countries": names, **m.to_dict()}

    return router
