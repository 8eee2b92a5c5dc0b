"""Analyses that drive the engines: one module per analysis (exposure, ...).

Each takes a loaded document, compiles plans and runs engines; views (CLI, web,
reports) only format what analyses return.
"""
