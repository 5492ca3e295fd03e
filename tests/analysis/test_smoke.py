"""First checks of the Workspace API on a small Python project (fixtures/pyproj)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import Workspace
from analysis.types import Pos

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "pyproj"
    shutil.copytree(FIXTURES / "pyproj", root)
    return root


def test_index_definition_and_symbols(project: Path, tmp_path: Path) -> None:
    ws = Workspace(project, cache_dir=tmp_path / "cache")
    report = ws.index()
    assert report.cache == "miss"
    assert report.nodes["CLASS"] == 2
    main = str(project / "main.py")
    [location] = ws.definition(main, Pos(4, 5))  # pkg.helper(3)
    assert location.path == str(project / "pkg" / "core.py")
    assert location.span.start == Pos(19, 4)
    [base, helper] = ws.document_symbols(str(project / "pkg" / "core.py"))
    assert (base.name, helper.name) == ("Base", "helper")
    assert [c.name for c in base.children] == ["limit", "__init__", "name", "path", "run", "step"]
    assert ws.index().cache == "hit"
