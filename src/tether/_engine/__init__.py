"""Engines: pure functions from a plan's arrays to result arrays.

Nothing here imports the pydantic model, the CLI or the web.
"""
