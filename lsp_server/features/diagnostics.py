"""Syntax errors of open documents, pushed as `textDocument/publishDiagnostics` (option `diagnostics.syntax`).

A document is checked when it opens and once its edits pause (`sync.SETTLE_DELAY_S`, the pause after which the
graph re-parses it too), and its diagnostics are cleared when it closes. Each answer is computed off the event
loop for one version of the text and dropped if the document changed meanwhile (the next pause checks it again),
so an editor never underlines text that is gone. The errors themselves: analysis/syntax_errors.py.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from analysis.languages import BY_NAME, language_for_path
from analysis.syntax_errors import syntax_problems
from lsp_server.convert import lsp_range
from lsp_server.documents import Document, DocumentEvent
from lsp_server.features.sync import SETTLE_DELAY_S

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

SOURCE = "rodimus-lsp"


class SyntaxDiagnostics:
    def __init__(self, ls: RodimusServer) -> None:
        self._ls = ls
        self._pending: dict[str, asyncio.TimerHandle] = {}  # uri -> its armed check
        self._shown: set[str] = set()  # uris whose last published diagnostics were not empty

    def on_document(self, event: DocumentEvent) -> None:
        uri = event.document.uri
        self._cancel(uri)
        if event.kind == "close":  # closed, or held back for its size
            self._clear(uri)
            return
        delay = 0.0 if event.kind == "open" else SETTLE_DELAY_S
        self._pending[uri] = asyncio.get_running_loop().call_later(delay, self._check, uri)

    def on_options(self) -> None:
        """Options changed: check every open document again (which clears them all when syntax errors are off)."""
        for document in self._ls.documents.analysed():
            self._cancel(document.uri)
            self._check(document.uri)

    def _check(self, uri: str) -> None:
        self._pending.pop(uri, None)
        if not self._ls.stopping.is_set():
            self._ls.spawn(self._publish(uri), f"syntax diagnostics of {uri}")

    async def _publish(self, uri: str) -> None:
        document = self._ls.documents.get(uri)
        if document is None or document.held_back:
            return
        lang = _language(document)
        if lang is None or not self._ls.options.diagnostics.syntax:
            self._clear(uri)
            return
        version = document.version
        problems = await self._ls.work.compute(syntax_problems, document.text, lang)
        if self._ls.documents.get(uri) is not document or document.version != version or document.held_back:
            return  # changed meanwhile: the check armed by that change answers for it
        encoding = self._ls.position_encoding
        diagnostics = [
            types.Diagnostic(
                range=lsp_range(document.lines, problem.span, encoding),
                message=problem.message,
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
            for problem in problems
        ]
        self._send(uri, diagnostics, version)

    def _clear(self, uri: str) -> None:
        if uri in self._shown:
            self._send(uri, [], None)

    def _send(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        if diagnostics:
            self._shown.add(uri)
        else:
            self._shown.discard(uri)
        self._ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def _cancel(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()


def _language(document: Document) -> str | None:
    """The grammar of a document: by its file name, else (an unsaved buffer) by the client's language id."""
    lang = language_for_path(document.path) if document.path is not None else document.language_id
    return lang if lang in BY_NAME else None


def attach(ls: RodimusServer) -> None:
    """Publish syntax errors of the server's open documents."""
    service = SyntaxDiagnostics(ls)
    ls.documents.listeners.append(service.on_document)
    ls.options_listeners.append(service.on_options)
