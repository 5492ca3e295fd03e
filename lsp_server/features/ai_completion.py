"""AI completions: `textDocument/inlineCompletion` and the first item of `textDocument/completion` (the code
graph's names follow it there: features/graph_completion.py).

Handlers translate LSP positions into a `CompletionContext` (UTF-8 byte columns, bounded text windows from
the document store) and await the completion engine, which owns the model worker, the per-document
sessions, latest-wins per (document, surface), the debounce and the type-through cache. The engine is
created on first use (after `initialize`, so the model options are known) and follows the store's edits
through a listener, in the order they were applied.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from typing import TYPE_CHECKING

from lsprotocol import types

from completion.context import CompletionContext, Trigger
from completion.engine import CompletionEngine, LineEdit
from completion.line_breaks import with_line_break
from completion.options import GenerationOptions, document_cache, stop_early_from_env
from lsp_server.convert import to_pos
from lsp_server.documents import DocumentEvent, uri_key
from lsp_server.features.graph_completion import graph_items
from lsp_server.options import ModelOptions
from lsp_server.positions import char_to_client_col

if TYPE_CHECKING:
    from completion.lm import RecurrentLM
    from completion.tokens import TokenCodec
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

INLINE, POPUP = "inline", "completion"
LABEL_CHARS = 60
GRAPH_NAMES_GRACE_S = 0.5  # how long the menu waits for the graph's names once the AI suggestion is ready


class CompletionService:
    """The completion engine of one server, created lazily, kept in step with the document store.

    A change of the `model` options replaces the engine (the new one reads every open document again).
    """

    def __init__(self, ls: RodimusServer) -> None:
        self._ls = ls
        self._engine: CompletionEngine | None = None
        self._model: ModelOptions | None = None
        self._settings: tuple[object, ...] | None = None

    def engine(self, uri: str | None = None) -> CompletionEngine:
        """The engine; given the uri of a request, first re-reads that document if a failed update lost it."""
        engine, _ = self._current()
        if uri is not None and engine.needs_text(uri) and (document := self._ls.documents.get(uri)) is not None:
            engine.open(uri, document.text)
        return engine

    def _current(self) -> tuple[CompletionEngine, bool]:
        """The engine for the current options, and whether it was just created (and fed every document)."""
        model = self._ls.options.model
        fresh = self._engine is None or model != self._model
        if fresh:
            if self._engine is not None:
                logger.info("model options changed: loading the completion model again")
                self._engine.shutdown()

            def load() -> tuple[RecurrentLM, TokenCodec]:  # on the model worker thread, which imports torch
                from completion.loader import load_completion_model

                return load_completion_model(model.path, model.device, model.dtype)

            self._engine, self._model, self._settings = CompletionEngine(load), model, None
            for document in self._ls.documents.analysed():
                self._engine.open(uri_key(document.uri), document.text)
        assert self._engine is not None
        self._configure(self._engine)
        return self._engine, fresh

    def _configure(self, engine: CompletionEngine) -> None:
        options = self._ls.options
        settings = (options.completion, options.state_budget_mb)
        if settings != self._settings:
            self._settings = settings
            c = options.completion
            engine.configure(
                GenerationOptions(max_tokens=c.max_tokens, multiline=c.multiline, fim=c.fim,
                                  stop_early=stop_early_from_env(),
                                  cache=document_cache(c.document_cache)),
                debounce_ms=c.debounce_ms,
                state_budget_mb=options.state_budget_mb,
            )

    def shutdown(self) -> None:
        """Stop the model worker (waits for it to leave the model; see `ModelWorker.shutdown`)."""
        if self._engine is not None:
            self._engine.shutdown()

    def on_document(self, event: DocumentEvent) -> None:
        """DocumentStore listener (on the event loop): queue the event for the model worker."""
        uri = uri_key(event.document.uri)
        if event.kind == "open":
            engine, fresh = self._current()
            if not fresh:  # a fresh engine has just read every open document, this one included
                engine.open(uri, event.document.text)
        elif self._engine is None:
            return
        elif event.kind == "change":
            self._engine.edit(uri, [LineEdit((e.start.line, e.start.col), (e.end.line, e.end.col), e.new_text)
                                    for e in event.edits])
        else:
            self._engine.close(uri)


_services: weakref.WeakKeyDictionary[RodimusServer, CompletionService] = weakref.WeakKeyDictionary()


def attach(ls: RodimusServer) -> None:
    """Give the server a completion service and subscribe it to the document store."""
    service = _services[ls] = CompletionService(ls)
    ls.documents.listeners.append(service.on_document)
    ls.closers.append(service.shutdown)


def _context(ls: RodimusServer, uri: str, position: types.Position, trigger: Trigger) -> CompletionContext | None:
    document = ls.documents.get(uri)
    if document is None or document.held_back:  # too large to analyse: no model session
        return None
    lines = document.lines
    pos = to_pos(lines, position, ls.position_encoding)
    if pos is None:
        return None
    return CompletionContext.around(lines.content, len(lines), pos.line, pos.col, uri=uri_key(uri),
                                    language_id=document.language_id, trigger=trigger)


async def inline_completion(ls: RodimusServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
    automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
    ctx = _context(ls, params.text_document.uri, params.position, Trigger.AUTOMATIC if automatic else Trigger.INVOKED)
    if ctx is None:
        return types.InlineCompletionList(items=[])
    result = await _services[ls].engine(ctx.uri).complete(ctx, INLINE)
    if not result.text:
        return types.InlineCompletionList(items=[])
    # the range is the cursor itself: it begins and ends on one line, whatever the text spans
    at = types.Range(params.position, params.position)
    text = _with_document_line_break(ls, params.text_document.uri, ctx.line, result.text)
    return types.InlineCompletionList(items=[types.InlineCompletionItem(insert_text=text, range=at)])


async def completion(ls: RodimusServer, params: types.CompletionParams) -> types.CompletionList:
    """The AI suggestion as the first item, then the code graph's names (computed meanwhile). The names wait for
    queued graph updates, which a re-index makes long: the menu waits for them at most `GRAPH_NAMES_GRACE_S` after
    the suggestion, then goes without them (`isIncomplete`, so the next keystroke asks again)."""
    names = asyncio.ensure_future(graph_items(ls, params))
    try:
        suggestion = await _ai_item(ls, params)
    finally:
        done, _ = await asyncio.wait({names}, timeout=GRAPH_NAMES_GRACE_S)
        if not done:
            names.cancel()
            logger.debug("completion at %s:%d: graph names not ready, left out", params.text_document.uri,
                         params.position.line)
    items = names.result() if done else []
    return types.CompletionList(is_incomplete=True, items=([suggestion] if suggestion is not None else []) + items)


async def _ai_item(ls: RodimusServer, params: types.CompletionParams) -> types.CompletionItem | None:
    """The AI suggestion, replacing the word before the cursor (so popups filter on it)."""
    ctx = _context(ls, params.text_document.uri, params.position, Trigger.INVOKED)
    if ctx is None:
        return None
    result = await _services[ls].engine(ctx.uri).complete(ctx, POPUP)
    if not result.text:
        return None
    line_prefix = ctx.line_prefix
    word = len(line_prefix)
    while word > 0 and (line_prefix[word - 1].isalnum() or line_prefix[word - 1] == "_"):
        word -= 1
    start = types.Position(params.position.line, params.position.character
                           - char_to_client_col(line_prefix[word:], len(line_prefix) - word, ls.position_encoding))
    new_text = line_prefix[word:] + result.text
    first_line = new_text.split("\n", 1)[0]
    label = first_line if len(first_line) <= LABEL_CHARS else first_line[: LABEL_CHARS - 1] + "…"
    return types.CompletionItem(
        label=label or new_text.strip()[:LABEL_CHARS],
        kind=types.CompletionItemKind.Snippet,
        detail="Rodimus",
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                          value=f"```{ctx.language_id}\n{new_text}\n```"),
        sort_text="\u0000",
        filter_text=new_text,
        preselect=True,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(range=types.Range(start, params.position),
                                 new_text=_with_document_line_break(ls, params.text_document.uri, ctx.line, new_text)),
    )


def _with_document_line_break(ls: RodimusServer, uri: str, line: int, text: str) -> str:
    """A suggestion from the model's line-feed view, with the line break the document uses at `line`."""
    document = ls.documents.get(uri)
    return text if document is None else with_line_break(text, document.lines.line_break(line))
