"""Hypothesis profiles: ``ci`` (set by ``.ci/run``) draws the same examples on every run,
so CI judges a commit, not a draw; locally each run explores new examples."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("TETHER_HYPOTHESIS_PROFILE", "default"))
