"""Text sync to the code graph: edits reach it in order, and once a document's edits pause it is settled, so a file
that typing left with syntax errors ends up with the graph a fresh build gives (analysis/document.py)."""
from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

from lsprotocol import types

from analysis import Workspace
from lsp_server.documents import DocumentStore
from lsp_server.features import sync
from lsp_server.work import Work
from tests.analysis.test_document import DIVERGING_EDITS
from tests.analysis.test_incremental import FIXTURES, _pos, assert_same_graph


def _insert(store: DocumentStore, uri: str, version: int, text: str, where: int, insert: str) -> str:
    at = _pos(text, where)  # the fixture is ASCII: UTF-16 columns are byte columns
    position = types.Position(at.line, at.col)
    change = types.TextDocumentContentChangePartial(range=types.Range(position, position), text=insert)
    store.change(uri, version, [change], "utf-16")
    return text[:where] + insert + text[where:]


async def test_a_pause_after_edits_gives_the_graph_of_a_fresh_build(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sync, "SETTLE_DELAY_S", 0.05)
    root = tmp_path / "live" / "proj"
    shutil.copytree(FIXTURES / "editproj", root)
    project = Workspace(root, cache_dir=tmp_path / "cache-live")
    project.index(use_cache=False)
    ls = SimpleNamespace(project=project, work=Work(), stopping=threading.Event())
    store = DocumentStore()
    store.listeners.append(sync.ProjectSync(ls))
    path = root / "app" / "models.py"
    text = path.read_text(encoding="utf-8")
    store.open(path.as_uri(), str(path), "python", 1, text)
    for version, (where, insert) in enumerate(DIVERGING_EDITS, 2):
        text = _insert(store, path.as_uri(), version, text, where, insert)
    await asyncio.sleep(sync.SETTLE_DELAY_S * 4)
    await ls.work.settled()

    fresh_root = tmp_path / "fresh" / "proj"  # the REPO node is named after the folder
    shutil.copytree(FIXTURES / "editproj", fresh_root)
    (fresh_root / "app" / "models.py").write_text(text, encoding="utf-8")
    fresh = Workspace(fresh_root, cache_dir=tmp_path / "cache-fresh")
    fresh.index(use_cache=False)
    assert project.text(str(path)) == text
    assert_same_graph(project.graph, fresh.graph)
    ls.work.shutdown()


class RecordingProject:
    """What the sync queues, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def open(self, path: str, text: str) -> None:
        self.calls.append("open")

    def change(self, path: str, edits: list) -> None:
        self.calls.append("change")

    def settle(self, path: str) -> bool:
        self.calls.append("settle")
        return False

    def close(self, path: str) -> None:
        self.calls.append("close")


async def test_one_settle_after_the_last_change_and_none_after_a_close(monkeypatch) -> None:
    monkeypatch.setattr(sync, "SETTLE_DELAY_S", 0.05)
    ls = SimpleNamespace(project=RecordingProject(), work=Work(), stopping=threading.Event())
    store = DocumentStore()
    store.listeners.append(sync.ProjectSync(ls))
    uri, path = "file:///p/a.py", "/p/a.py"
    store.open(uri, path, "python", 1, "")
    text = _insert(store, uri, 2, "", 0, "a")
    text = _insert(store, uri, 3, text, 1, "b")
    await asyncio.sleep(sync.SETTLE_DELAY_S * 4)
    await ls.work.settled()
    assert ls.project.calls == ["open", "change", "change", "settle"]

    _insert(store, uri, 4, text, 0, "c")
    store.close(uri)
    await asyncio.sleep(sync.SETTLE_DELAY_S * 4)
    await ls.work.settled()
    assert ls.project.calls[4:] == ["change", "close"]
    ls.work.shutdown()
