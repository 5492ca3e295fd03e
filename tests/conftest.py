"""Suite-wide settings.

Hypothesis runs derandomized by default, so that `make test` (and CI) explores the same examples on every run
and a failure reproduces; `HYPOTHESIS_PROFILE=explore` draws fresh examples each run for local bug hunting.
"""
from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
