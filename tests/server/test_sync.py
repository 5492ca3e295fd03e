"""Text sync to the code graph: edits reach it in order, and once a document's edits pause it is settled, so a file
that typing left with syntax errors ends up with the graph a fresh build gives (analysis/document.py)."""
from __future__ import annotations

import asyncio
import functools
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from lsprotocol import types

from analysis import Workspace
from analysis.types import TextEdit
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
    """What the sync queues, in order; a change as ("change", its edits' texts)."""

    def __init__(self) -> None:
        self.calls: list[object] = []

    def open(self, path: str, text: str) -> None:
        self.calls.append("open")

    def change(self, path: str, edits: list[TextEdit]) -> None:
        self.calls.append(("change", [edit.new_text for edit in edits]))

    def settle(self, path: str) -> bool:
        self.calls.append("settle")
        return False

    def close(self, path: str) -> None:
        self.calls.append("close")


def joined(calls: list[object]) -> list[object]:
    """`calls` with consecutive changes as one (whether the writer had started the first is up to the threads)."""
    out: list[object] = []
    for call in calls:
        if isinstance(call, tuple) and out and isinstance(out[-1], tuple):
            out[-1] = ("change", out[-1][1] + call[1])
        else:
            out.append(call)
    return out


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
    assert joined(ls.project.calls) == ["open", ("change", ["a", "b"]), "settle"]

    before = len(joined(ls.project.calls))
    _insert(store, uri, 4, text, 0, "c")
    store.close(uri)
    await asyncio.sleep(sync.SETTLE_DELAY_S * 4)
    await ls.work.settled()
    assert joined(ls.project.calls)[before:] == [("change", ["c"]), "close"]
    ls.work.shutdown()


class HeldWriter:
    """A writer that runs nothing until `release`: what a busy one looks like to the sync."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], object]] = []

    def write(self, fn: Callable[..., object], *args: object) -> None:
        self.jobs.append(functools.partial(fn, *args))

    def release(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()


async def test_changes_that_find_their_document_waiting_in_the_queue_join_its_update() -> None:
    ls = SimpleNamespace(project=RecordingProject(), work=HeldWriter(), stopping=threading.Event())
    ls.stopping.set()  # no settles: this test is about the changes
    store = DocumentStore()
    store.listeners.append(sync.ProjectSync(ls))
    uri, path, other = "file:///p/a.py", "/p/a.py", "file:///p/b.py"
    store.open(uri, path, "python", 1, "")
    store.open(other, "/p/b.py", "python", 1, "")
    text = ""
    for version, letter in enumerate("abc", 2):
        text = _insert(store, uri, version, text, len(text), letter)
    _insert(store, other, 2, "", 0, "x")
    text = _insert(store, uri, 5, text, 0, "d")
    store.close(uri)
    store.open(uri, path, "python", 6, text)
    _insert(store, uri, 7, text, 0, "e")
    assert len(ls.work.jobs) == 7  # open, open, change a, change b, close a, open a, change a
    ls.work.release()
    assert ls.project.calls == ["open", "open", ("change", ["a", "b", "c", "d"]), ("change", ["x"]), "close",
                                "open", ("change", ["e"])]  # fmt: skip

    _insert(store, uri, 8, "e" + text, 0, "f")  # the last batch was taken when its update ran: a new one
    ls.work.release()
    assert ls.project.calls[-1] == ("change", ["f"])
