"""Shared fixtures of the localization tests: the fixture repository, indexed, and its localization index."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_REPO = Path(__file__).parent / "fixture_repo"
collect_ignore = ["fixture_repo"]  # its tests belong to the fixture, not to this suite


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture repository (tests may write patches into it)."""
    root = tmp_path_factory.mktemp("localize") / "shop-repo"
    shutil.copytree(FIXTURE_REPO, root)
    return root


@pytest.fixture(scope="session")
def index(repo: Path, tmp_path_factory: pytest.TempPathFactory):
    from analysis.localize import LocalizationIndex
    from analysis.workspace import Workspace

    workspace = Workspace(repo, cache_dir=tmp_path_factory.mktemp("graph-cache"))
    workspace.index()
    return LocalizationIndex.build(workspace.graph, workspace.root)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> Path:
    """A model folder with a tiny random backbone and a random search head in embedder/."""
    from tests.search.conftest import write_tiny_head_model

    return write_tiny_head_model(repo, tmp_path_factory.mktemp("tiny-head-model"))
