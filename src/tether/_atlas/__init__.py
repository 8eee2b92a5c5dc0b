"""The dependency atlas: SIPRI's arms-transfer register, imported, queried and drafted into
force files (``tether atlas``; docs/atlas.md).

- :mod:`~tether._atlas.parse`: reading the export as users download it;
- :mod:`~tether._atlas.store`: the DuckDB store in the data directory;
- :mod:`~tether._atlas.query`: a country's suppliers and a recipient x supplier matrix
  (:func:`~tether._atlas.query.matrix` returns a pandas DataFrame, for the web heat map);
- :mod:`~tether._atlas.draft`: a starting force file from a country's holdings;
- :mod:`~tether._atlas.groups`: the named groups of recipients and country codes.

Importing this package loads nothing heavy; DuckDB, pyarrow and pandas load on use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tether._atlas.query import Matrix

__all__ = ["atlas_matrix"]


def atlas_matrix(
    group: str | None = None,
    countries: list[str] | None = None,
    since: int | None = None,
    top: int = 6,
    data_dir: Path | None = None,
) -> Matrix:
    """The recipient x supplier matrix from the store in ``data_dir`` (the default data
    directory when None): what ``tether atlas matrix`` prints, as a
    :class:`~tether._atlas.query.Matrix` (``.shares`` is a pandas DataFrame).

    Raises :class:`~tether.TetherError` when there is no store, and
    :class:`~tether.ArgumentError` for an unknown group or name."""
    from tether._atlas.query import matrix, recipients_of
    from tether._atlas.store import open_store

    con = open_store(data_dir)
    try:
        return matrix(con, recipients_of(con, group, countries), since, top)
    finally:
        con.close()
