""""Fix this issue": the code action, its resolve, and the `rodimus.localize` / `rodimus.fixIssue` commands.

`textDocument/codeAction` only decides whether to offer the action (cheap): on a selection (its text is the
issue), on diagnostics (their messages), or on a line whose comment has TODO / FIXME / BUG. `codeAction/resolve`
and the commands run the pipeline with work-done progress and cancellation:

- event loop: the search embedder and the definitions' vectors of the search index (features/search.py keeps
  them up to date in the background); without a search head, localization uses BM25 and the graph (logged once);
- writer thread (serialized with graph edits, so the graph is consistent): refresh the localization index,
  localize, and collect the texts and subgraph the reader needs;
- reader pool: the reader (an LLM call that may take long and checks the cancel flag per streamed chunk), then
  patch validation. The result is a `WorkspaceEdit`; the server never writes files.

Without a reader the resolved action carries the localization and a message saying how to configure one
(`data["message"]`, also shown with window/showMessage); no patch is ever made up.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams, JsonRpcRequestCancelled

from lsp_server.features.workspace_edit import workspace_edit
from lsp_server.progress import WorkDone

if TYPE_CHECKING:
    from collections.abc import Hashable

    import numpy as np

    from analysis.localize import Embedder, LocalizationIndex
    from analysis.patch.pipeline import FixResult, PreparedFix
    from analysis.readers.config import ReaderConfig
    from analysis.workspace import Workspace
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

LOCALIZE = "rodimus.localize"
FIX_ISSUE = "rodimus.fixIssue"
TITLE = "Fix this issue"
OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True)

_MARKER = re.compile(r"(?:#|//|/\*|--|\*|;)\s*(?:TODO|FIXME|BUG)\b.*")  # the conventional upper-case markers
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*|--|;)")
MAX_ISSUE_CHARS = 20_000
STAGES = 6


# ---- the cheap code action ----


async def code_action(ls: RodimusServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    only = params.context.only
    if only and not any(types.CodeActionKind.QuickFix.value.startswith(kind) for kind in only):
        return None
    document = ls.documents.get(params.text_document.uri)
    if document is None or ls.project is None:
        return None
    issue, diagnostics = _issue_at(document.lines, params.range, params.context.diagnostics, ls.position_encoding)
    if issue is None:
        return None
    where = _relative(ls, document.path) if document.path else params.text_document.uri
    action = types.CodeAction(
        title=TITLE,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=diagnostics or None,
        data={"issue": f"{issue}\n\n(in {where}, line {params.range.start.line + 1})"},
    )
    return [action]


def _issue_at(lines, selection: types.Range, diagnostics: list[types.Diagnostic], encoding) -> tuple[str | None, list]:
    """The issue text the action would fix here, and the diagnostics it answers."""
    from lsp_server.positions import client_col_to_char

    if selection.start != selection.end and selection.start.line < len(lines):
        parts = []
        for line in range(selection.start.line, min(selection.end.line, len(lines) - 1) + 1):
            text = lines.content(line)
            first, last = line == selection.start.line, line == selection.end.line
            start = client_col_to_char(text, selection.start.character, encoding) if first else 0
            end = client_col_to_char(text, selection.end.character, encoding) if last else len(text)
            parts.append(text[start:end])
        selected = "\n".join(parts).strip()
        if selected:
            return selected[:MAX_ISSUE_CHARS], []
    if diagnostics:
        messages = [f"{d.source + ': ' if d.source else ''}{d.message}" for d in diagnostics]
        line = diagnostics[0].range.start.line
        context = lines.content(line).strip() if line < len(lines) else ""
        return "\n".join(messages) + (f"\n\n```\n{context}\n```" if context else ""), list(diagnostics)
    line = selection.start.line
    if line >= len(lines):
        return None, []
    marker = _MARKER.search(lines.content(line))
    if marker is None:
        return None, []
    comment = [marker.group(0)]
    following = line + 1
    while following < len(lines) and _COMMENT_LINE.match(lines.content(following)) and len(comment) < 20:
        comment.append(lines.content(following).strip())
        following += 1
    return "\n".join(comment), []


# ---- resolve and commands ----


async def resolve_code_action(ls: RodimusServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    issue = data.get("issue")
    if not isinstance(issue, str) or not issue.strip():
        raise JsonRpcInvalidParams("this code action carries no issue text")
    result = await _run(ls, issue, want_patch=True)
    payload = result.to_json()
    if result.patch is not None:
        action.edit = _edit(ls, result)
    message = result.message or ""
    if result.patch is None:
        message = _summary(payload["localization"]) + ("\n" + message if message else "")
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
    action.data = {**data, "localization": payload["localization"], "patch": payload["patch"], "message": message}
    return action


# Command handlers leave `ls` unannotated: pygls resolves their type hints at call time, where the
# TYPE_CHECKING-only name RodimusServer does not exist.


async def localize_command(ls, *args: Any) -> dict[str, Any]:  # noqa: ANN001
    """`rodimus.localize [{"issue"}]`: what `rodimus-lsp localize --json` prints."""
    issue = _command_issue(args)
    result = await _run(ls, issue, want_patch=False)
    return result.localization.to_json()


async def fix_issue_command(ls, *args: Any) -> dict[str, Any]:  # noqa: ANN001
    """`rodimus.fixIssue [{"issue", "apply"}]`: `rodimus-lsp fix --json` plus the `WorkspaceEdit` under "edit";
    with `"apply": true` the server asks the client to apply it (workspace/applyEdit)."""
    issue = _command_issue(args)
    apply = bool(args[0].get("apply")) if args and isinstance(args[0], dict) else False
    result = await _run(ls, issue, want_patch=True)
    payload = result.to_json()
    edit = _edit(ls, result) if result.patch is not None else None
    payload["edit"] = edit  # pygls' converter turns it into JSON with the rest of the result
    if apply and edit is not None:
        applied = await asyncio.shield(
            ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=TITLE))
        )
        payload["applied"] = bool(applied.applied)
    return payload


def _command_issue(args: tuple[Any, ...]) -> str:
    # pygls passes the command's `arguments` list as the positional arguments.
    first = args[0] if args else None
    if isinstance(first, list) and first:
        first = first[0]
    if not isinstance(first, dict) or not isinstance(first.get("issue"), str) or not first["issue"].strip():
        raise JsonRpcInvalidParams('expected arguments [{"issue": "..."}]')
    return first["issue"]


# ---- the pipeline on the server's threads ----


@dataclass
class _IndexCache:
    version: int
    project: Any
    index: LocalizationIndex


_indexes: weakref.WeakKeyDictionary[Any, _IndexCache] = weakref.WeakKeyDictionary()
_logged_no_embedder: weakref.WeakSet[Any] = weakref.WeakSet()


async def _run(ls: RodimusServer, issue: str, want_patch: bool) -> FixResult:
    from analysis.localize import Cancelled
    from analysis.patch.pipeline import FixResult

    project = ls.project
    if project is None:
        raise JsonRpcInternalError("no code graph: the workspace has no root folder")
    config = _reader_config(ls)
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    embedder, vectors = await _search_vectors(ls)
    async with WorkDone(ls, "Fixing issue" if want_patch else "Localizing issue", cancellable=True) as progress:
        steps = iter(range(1, STAGES))

        def report(message: str) -> None:
            """One stage done (indexing, rewriting, retrieving, reranking, reading); never reaches 100%."""
            loop.call_soon_threadsafe(progress.report, next(steps, STAGES - 1), STAGES, message)

        def cancelled() -> bool:
            return cancel.is_set() or progress.cancelled or ls.stopping.is_set()

        try:
            prepared = await asyncio.wrap_future(
                ls.work.write(_prepare, ls, project, issue[:MAX_ISSUE_CHARS], config, want_patch, embedder, vectors,
                              cancelled, report)  # fmt: skip
            )
            if prepared is None:
                raise Cancelled("localizing")
            if not want_patch or prepared.reader is None:
                progress.end_message = "localized"
                return FixResult(prepared.localization, None, prepared.missing_reader_message)
            result = await loop.run_in_executor(None, _complete, prepared, cancelled, report)
        except asyncio.CancelledError:
            cancel.set()
            progress.end_message = "cancelled"
            raise
        except Cancelled:
            progress.end_message = "cancelled"
            raise JsonRpcRequestCancelled("cancelled") from None
        progress.end_message = "patch ready" if result.patch is not None else "no patch"
        return result


async def _search_vectors(ls: RodimusServer) -> tuple[Embedder | None, dict[Hashable, np.ndarray] | None]:
    """The search embedder and the definitions' vectors of the server's search index (semantic search keeps
    them up to date in the background), or (None, None) without a usable search head: localization then uses
    BM25 and the graph alone, which is logged once per server."""
    from analysis.localize.search_vectors import definition_vectors
    from lsp_server.features import search

    service = search.service_of(ls)
    ready = None
    if service is not None:
        await service.ensure_embedder()
        ready = await service.ready_index()
    if ready is None or ready[0].embedder is None:
        if ls not in _logged_no_embedder:
            _logged_no_embedder.add(ls)
            logger.info("no search head: issue localization ranks with BM25 and the code graph alone")
        return None, None
    index, changes = ready
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, index.apply, changes)
    return index.embedder, await loop.run_in_executor(None, definition_vectors, index)


def _prepare(
    ls: RodimusServer,
    project: Workspace,
    issue: str,
    config: ReaderConfig,
    want_patch: bool,
    embedder: Embedder | None,
    vectors: dict[Hashable, np.ndarray] | None,
    cancelled,
    report,
) -> PreparedFix | None:
    """Writer thread: refresh the index and localize (the graph cannot change meanwhile)."""
    from analysis.localize import Cancelled, LocalizationIndex
    from analysis.localize.tokenstore import STORE_FILE, TokenStore
    from analysis.patch.pipeline import prepare_fix
    from analysis.readers.config import build_chat, build_reader, missing_reader_hint

    cached = _indexes.get(ls)
    if cached is None or cached.project is not project or cached.version != project.version:
        report("indexing the code graph for localization")
        store_path = project.cache_path.with_name(STORE_FILE)
        fresh = cached is None or cached.project is not project
        previous = TokenStore.load(store_path) if fresh else cached.index
        index = LocalizationIndex.build(project.graph, project.root, previous)
        if fresh and index.tokens.dirty:
            index.tokens.save(store_path)  # the next session starts warm
        _indexes[ls] = cached = _IndexCache(project.version, project, index)
    reader = build_reader(config) if want_patch else None
    try:
        return prepare_fix(
            cached.index, issue, reader, _reader_of(project), missing_reader_message=missing_reader_hint(config),
            embedder=embedder, definition_vectors=vectors, chat=build_chat(config), cancelled=cancelled,
            progress=report,
        )  # fmt: skip
    except Cancelled:
        return None


def _complete(prepared: PreparedFix, cancelled: Callable[[], bool], report) -> FixResult:
    from analysis.patch.pipeline import complete_fix

    return complete_fix(prepared, cancelled=cancelled, progress=report)


def _reader_of(project: Workspace) -> Callable[[str], str | None]:
    """Current file texts (open buffers first) by root-relative path."""

    def read(relative: str) -> str | None:
        return project.text(str(project.root / relative))

    return read


def _reader_config(ls: RodimusServer) -> ReaderConfig:
    from analysis.readers.config import ReaderConfig

    cgm = ls.options.cgm
    return ReaderConfig(backend=cgm.backend, endpoint=cgm.endpoint, model=cgm.model, api_key_env=cgm.api_key_env)


def _edit(ls: RodimusServer, result: FixResult) -> types.WorkspaceEdit:
    workspace = ls.client_capabilities.workspace
    edit_capabilities = workspace.workspace_edit if workspace else None
    operations = (edit_capabilities.resource_operations or []) if edit_capabilities else []
    can_create = bool(edit_capabilities and edit_capabilities.document_changes) and (
        types.ResourceOperationKind.Create in operations
    )
    assert result.patch is not None and ls.project is not None
    try:
        return workspace_edit(ls.project.root, result.patch, ls.position_encoding, can_create)
    except ValueError as error:
        raise JsonRpcInternalError(str(error)) from None


def _summary(localization: dict[str, Any]) -> str:
    """One message listing the likely locations, for window/showMessage."""
    functions = [f"{f['path']}:{f['start_line']} {f['name']}" for f in localization["functions"][:3]]
    files = [f["path"] for f in localization["files"][:3]]
    if not files:
        return "No likely location found for this issue."
    text = "Likely files: " + ", ".join(files)
    if functions:
        text += ". Likely functions: " + ", ".join(functions)
    return text + "."


def _relative(ls: RodimusServer, path: str) -> str:
    root = ls.root
    try:
        return Path(path).relative_to(root).as_posix() if root else path
    except ValueError:
        return path
