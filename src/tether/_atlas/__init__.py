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
