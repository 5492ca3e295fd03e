"""The language server: `RodimusServer` (its state) and `build_server()` (the one table of what it serves).

Handlers live in `features/` as plain async functions taking the server as `ls`; they translate LSP values
into calls on the code graph (`analysis.Workspace`, held as `ls.project`) and back. Long work never runs on
the event loop or on pygls' thread pool (which also reads stdin): it goes through `ls.work` (work.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server import __version__
from lsp_server.convert import TextSource
from lsp_server.documents import DocumentStore
from lsp_server.features import (
    ai_completion, configuration, diagnostics, fix_issue, graph_completion, hover, indexing, lifecycle, navigation,
    rename, search, signature_help, sync,
)
from lsp_server.options import Options
from lsp_server.positions import Encoding
from lsp_server.protocol import RodimusProtocol, make_converter
from lsp_server.work import Work

if TYPE_CHECKING:
    from analysis.workspace import Workspace

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RodimusServer(LanguageServer):
    """pygls' server plus the state every feature shares.

    Open documents are in `documents` (not in pygls' `workspace`, which stays empty); subscribe to
    `documents.listeners` to follow edits, `index_listeners` to follow (re)indexing, `options_listeners` to follow
    configuration changes. `hover_sections` are rendered in order and joined, so later features add a section
    instead of rewriting hover.
    """

    protocol: RodimusProtocol

    def __init__(self) -> None:
        super().__init__(
            "rodimus-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=RodimusProtocol,
            converter_factory=make_converter,
        )
        self.documents = DocumentStore()
        self.options = Options()
        self.work = Work()
        self.root: Path | None = None
        self.project: Workspace | None = None
        self.hover_sections: list[hover.HoverSection] = [hover.graph_facts_section]
        self.index_listeners: list[Callable[[], None]] = []  # called on the loop after each successful index
        self.options_listeners: list[Callable[[], None]] = []  # called on the loop after the options change
        # Called by `shutdown` to stop the threads that run models: a process that exits while one of them is inside
        # torch is aborted (SIGABRT) instead of exiting with the status the client expects.
        self.closers: list[Callable[[], None]] = []
        self.stopping = threading.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.documents.listeners.append(sync.ProjectSync(self))

    @property
    def position_encoding(self) -> Encoding:
        return self.protocol.position_encoding

    def texts(self) -> TextSource:
        """A per-request reader of file texts (open buffers first, then the code graph's text)."""
        return TextSource(self.documents, self.project)

    async def query(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read-only graph query off the event loop, after the edits that preceded it."""
        return await self.work.read(fn, *args)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run background work on the loop; a failure is logged (nobody awaits it)."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s failed", task.get_name(), exc_info=task.exception())

    def command(self, command_name: str) -> Callable[[Handler], Handler]:
        """Register a `workspace/executeCommand` handler called as `handler(ls, *arguments)`.

        pygls evaluates a command handler's type hints to decide how to pass its arguments; feature modules
        annotate `ls` with `RodimusServer`, imported only for type checking, which would fail there. So every
        command goes through an adapter whose hints resolve here.
        """
        register = super().command(command_name)

        def decorator(handler: Handler) -> Handler:
            async def run(ls: LanguageServer, *arguments: Any) -> Any:
                return await handler(ls, *arguments)

            register(run)
            return handler

        return decorator

    def shutdown(self) -> None:
        self.stopping.set()
        for task in list(self._tasks):
            task.cancel()
        self.work.shutdown()
        for close in self.closers:
            try:
                close()
            except Exception:
                logger.exception("stopping %s failed", close)
        super().shutdown()


Handler = Callable[..., Awaitable[Any]]

FEATURES: tuple[tuple[str, Handler, Any], ...] = (
    (types.INITIALIZE, lifecycle.initialize, None),
    (types.INITIALIZED, lifecycle.initialized, None),
    (types.SHUTDOWN, lifecycle.shutdown, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, configuration.did_change_configuration, None),
    (types.TEXT_DOCUMENT_DID_OPEN, sync.did_open, None),
    (types.TEXT_DOCUMENT_DID_CHANGE, sync.did_change, None),
    (types.TEXT_DOCUMENT_DID_SAVE, sync.did_save, types.SaveOptions(include_text=False)),
    (types.TEXT_DOCUMENT_DID_CLOSE, sync.did_close, None),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, sync.did_change_watched_files, None),
    (types.TEXT_DOCUMENT_INLINE_COMPLETION, ai_completion.inline_completion, types.InlineCompletionOptions()),
    (types.TEXT_DOCUMENT_COMPLETION, ai_completion.completion, types.CompletionOptions(resolve_provider=True)),
    (types.COMPLETION_ITEM_RESOLVE, graph_completion.resolve, None),
    (types.TEXT_DOCUMENT_DEFINITION, navigation.definition, None),
    (types.TEXT_DOCUMENT_DECLARATION, navigation.declaration, None),
    (types.TEXT_DOCUMENT_IMPLEMENTATION, navigation.implementation, None),
    (types.TEXT_DOCUMENT_REFERENCES, navigation.references, None),
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, navigation.document_symbol, None),
    (types.WORKSPACE_SYMBOL, navigation.workspace_symbol, None),
    (types.TEXT_DOCUMENT_PREPARE_CALL_HIERARCHY, navigation.prepare_call_hierarchy, None),
    (types.CALL_HIERARCHY_INCOMING_CALLS, navigation.incoming_calls, None),
    (types.CALL_HIERARCHY_OUTGOING_CALLS, navigation.outgoing_calls, None),
    (types.TEXT_DOCUMENT_PREPARE_TYPE_HIERARCHY, navigation.prepare_type_hierarchy, None),
    (types.TYPE_HIERARCHY_SUPERTYPES, navigation.supertypes, None),
    (types.TYPE_HIERARCHY_SUBTYPES, navigation.subtypes, None),
    (types.TEXT_DOCUMENT_SELECTION_RANGE, navigation.selection_range, None),
    (types.TEXT_DOCUMENT_FOLDING_RANGE, navigation.folding_range, None),
    (types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT, navigation.document_highlight, None),
    (types.TEXT_DOCUMENT_PREPARE_RENAME, rename.prepare_rename, None),
    (types.TEXT_DOCUMENT_RENAME, rename.rename, rename.OPTIONS),
    (types.TEXT_DOCUMENT_HOVER, hover.hover, None),
    (types.TEXT_DOCUMENT_SIGNATURE_HELP, signature_help.signature_help, signature_help.OPTIONS),
    (types.TEXT_DOCUMENT_CODE_ACTION, fix_issue.code_action, fix_issue.OPTIONS),
    (types.CODE_ACTION_RESOLVE, fix_issue.resolve_code_action, None),
)

COMMANDS: tuple[tuple[str, Handler], ...] = (
    (indexing.REINDEX, indexing.reindex),
    (fix_issue.LOCALIZE, fix_issue.localize_command),
    (fix_issue.FIX_ISSUE, fix_issue.fix_issue_command),
)


def build_server() -> RodimusServer:
    """A fresh server with every feature registered (tests may build several in one process)."""
    server = RodimusServer()
    for method, handler, options in FEATURES:
        server.feature(method, options)(handler)
    for name, handler in COMMANDS:
        server.command(name)(handler)
    ai_completion.attach(server)
    search.attach(server)
    diagnostics.attach(server)
    return server
