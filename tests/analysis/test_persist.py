"""The msgpack cache: a warm start gives the cold graph, and a broken cache is rebuilt, never fatal."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import msgpack
import pytest

from analysis import Workspace, persist
from tests.analysis.test_incremental import assert_same_graph

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "pyres", root)
    shutil.copytree(FIXTURES / "polyglot", root / "poly")
    return root


def _cold(root: Path, tmp_path: Path) -> Workspace:
    ws = Workspace(root, cache_dir=tmp_path / "cold-cache")
    ws.index(use_cache=False)
    return ws


def test_warm_start_equals_cold_build(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Workspace(project, cache_dir=cache)
    assert first.index().cache == "miss"
    assert (cache / persist.CACHE_FILE).exists()
    second = Workspace(project, cache_dir=cache)
    report = second.index()
    assert report.cache == "hit"
    assert_same_graph(second.graph, _cold(project, tmp_path).graph)
    assert report.nodes == first.index().nodes


def test_changed_and_removed_files_make_a_partial_hit(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    Workspace(project, cache_dir=cache).index()
    pricing = project / "shop" / "pricing.py"
    pricing.write_text(pricing.read_text().replace("def discount(", "def rebate("), encoding="utf-8")
    (project / "poly" / "web" / "util.js").unlink()
    (project / "extra.py").write_text("from shop.pricing import rebate\n\nrebate(1)\n", encoding="utf-8")
    warm = Workspace(project, cache_dir=cache)
    assert warm.index().cache == "partial"
    assert_same_graph(warm.graph, _cold(project, tmp_path).graph)


def test_touched_file_with_same_content_is_reused(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    Workspace(project, cache_dir=cache).index()
    app = project / "app.py"
    os.utime(app, ns=(app.stat().st_atime_ns, app.stat().st_mtime_ns + 5_000_000_000))
    assert Workspace(project, cache_dir=cache).index().cache == "hit"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "old-format", "other-root"])
def test_broken_cache_is_rebuilt_with_a_warning(project: Path, tmp_path: Path, damage: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    Workspace(project, cache_dir=cache).index()
    path = cache / persist.CACHE_FILE
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x93not msgpack at all" * 10)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        payload = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if damage == "old-format":
            payload["format"] = f"{persist.FORMAT_VERSION - 1}:{payload['format'].split(':', 1)[1]}"
        else:
            payload["root"] = "/somewhere/else"
        path.write_bytes(msgpack.packb(payload, use_bin_type=True))
    with caplog.at_level(logging.WARNING, logger="analysis.persist"):
        ws = Workspace(project, cache_dir=cache)
        assert ws.index().cache == "miss"
    assert any("rebuilding" in record.getMessage() for record in caplog.records)
    assert_same_graph(ws.graph, _cold(project, tmp_path).graph)
    assert Workspace(project, cache_dir=cache).index().cache == "hit"


def test_default_cache_folder_is_outside_the_tree(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    ws = Workspace(project)
    assert ws.cache_path.is_relative_to(tmp_path / "xdg" / "rodimus-lsp")
    assert not ws.cache_path.is_relative_to(project)
    other = Workspace(project / "shop")
    assert other.cache_path != ws.cache_path
