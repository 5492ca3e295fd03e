"""Text synchronisation: the document store first (on the loop, in order), then the code graph (queued).

Handlers apply a change to `ls.documents` before their first `await`, so notifications are applied in the
order they arrived and a request that follows sees them. The store's listeners include a `ProjectSync`, which
queues the same edits (already in UTF-8 byte positions) for the graph, joining the document's previous change
while that still waits in the queue, and once a document's edits pause for `SETTLE_DELAY_S`, a
`Workspace.settle` of it: edits are parsed incrementally, and a tree they left with syntax errors is parsed
again from scratch then, so that the graph equals a fresh build's (analysis/document.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.convert import uri_to_path
from lsp_server.documents import DocumentEvent

if TYPE_CHECKING:
    from analysis.types import TextEdit
    from analysis.workspace import Workspace
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)


async def did_open(ls: RodimusServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.documents.open(item.uri, uri_to_path(item.uri), item.language_id, item.version, item.text)


async def did_change(ls: RodimusServer, params: types.DidChangeTextDocumentParams) -> None:
    document = params.text_document
    ls.documents.change(document.uri, document.version, params.content_changes, ls.position_encoding)


async def did_close(ls: RodimusServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.close(params.text_document.uri)


async def did_save(ls: RodimusServer, params: types.DidSaveTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    if path is not None:
        _queue(ls, f"save {path}", lambda project: project.save(path))


async def did_change_watched_files(ls: RodimusServer, params: types.DidChangeWatchedFilesParams) -> None:
    kinds = {types.FileChangeType.Created: [], types.FileChangeType.Changed: [], types.FileChangeType.Deleted: []}
    for change in params.changes:
        if (path := uri_to_path(change.uri)) is not None:
            kinds[change.type].append(path)
    created, changed, deleted = kinds.values()
    _queue(ls, "watched files", lambda project: project.files_changed(created, changed, deleted))


SETTLE_DELAY_S = 0.5  # a pause in a document's edits this long counts as "typing stopped"


class ProjectSync:
    """DocumentStore listener: queues each event for the code graph (files with a path only) and, after a
    document's last change, its settle."""

    def __init__(self, ls: RodimusServer) -> None:
        self._ls = ls
        self._settles: dict[str, asyncio.TimerHandle] = {}  # path -> the pending settle
        self._waiting: dict[str, list[TextEdit]] = {}  # path -> the edits of its queued change, not yet started
        self._waiting_lock = threading.Lock()  # the writer thread takes what the event loop adds to

    def __call__(self, event: DocumentEvent) -> None:
        path = event.document.path
        if path is None:
            return
        ls = self._ls
        if event.kind == "change":
            self._queue_change(path, event.edits)
            self._settle_later(path)
            return
        with self._waiting_lock:
            self._waiting.pop(path, None)  # later edits queue after this open or close, not before it
        if event.kind == "open":
            text = event.document.text
            _queue(ls, f"open {path}", lambda project: project.open(path, text))
        else:
            self._cancel_settle(path)
            _queue(ls, f"close {path}", lambda project: project.close(path))

    def _queue_change(self, path: str, edits: Sequence[TextEdit]) -> None:
        """Queue `edits` for the graph; while an earlier change of the document still waits in the writer's queue,
        they join it: one graph update for both, so updates slower than typing (a long one-line file costs
        ~0.5 s each) do not pile up, and neither do the requests that wait for them."""
        with self._waiting_lock:
            waiting = self._waiting.get(path)
            if waiting is not None:
                waiting.extend(edits)
                return
            batch = self._waiting[path] = list(edits)

        def change() -> None:
            with self._waiting_lock:  # from now on, new edits go to a new batch
                if self._waiting.get(path) is batch:
                    del self._waiting[path]
            if self._ls.project is not None:
                self._ls.project.change(path, batch)

        change.__qualname__ = f"graph update (change {path})"  # names the job in the writer's failure log
        self._ls.work.write(change)

    def _settle_later(self, path: str) -> None:
        """(Re)arm the document's settle: it runs SETTLE_DELAY_S after its last change, queued behind it."""
        self._cancel_settle(path)

        def settle() -> None:
            del self._settles[path]
            if not self._ls.stopping.is_set():  # the writer is gone once the server stops
                _queue(self._ls, f"settle {path}", lambda project: project.settle(path))

        self._settles[path] = asyncio.get_running_loop().call_later(SETTLE_DELAY_S, settle)

    def _cancel_settle(self, path: str) -> None:
        pending = self._settles.pop(path, None)
        if pending is not None:
            pending.cancel()


def _queue(ls: RodimusServer, what: str, action: Callable[[Workspace], None]) -> None:
    """Run `action` on the writer thread, on the project current at that point of the queue."""

    def run() -> None:
        if ls.project is not None:
            action(ls.project)

    run.__qualname__ = f"graph update ({what})"  # names the job in the writer's failure log
    ls.work.write(run)
