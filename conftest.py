"""Test collection settings shared by tests/, docs/ and the doctests in src/."""

collect_ignore = ["src/tether/__main__.py", "benchmarks"]
