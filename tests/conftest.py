"""Suite-wide settings.

Hypothesis runs derandomized by default, so that `make test` (and CI) explores the same examples on every run
and a failure reproduces; `HYPOTHESIS_PROFILE=explore` draws fresh examples each run for local bug hunting.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

_CACHE_HOME = pytest.StashKey[tuple[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    """Graph and search caches go to a folder of this run, not the user's ~/.cache.

    Set in the environment before any test module is imported, since tests/server/harness.py copies the
    environment for the servers it starts; the CLI processes the tests start inherit it too.
    """
    cache_home = tempfile.mkdtemp(prefix="rodimus-test-cache-")
    config.stash[_CACHE_HOME] = (cache_home, os.environ.get("XDG_CACHE_HOME"))
    os.environ["XDG_CACHE_HOME"] = cache_home


def pytest_unconfigure(config: pytest.Config) -> None:
    cache_home, before = config.stash[_CACHE_HOME]
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
    shutil.rmtree(cache_home, ignore_errors=True)
