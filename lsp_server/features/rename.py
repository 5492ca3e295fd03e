"""`textDocument/prepareRename` and `textDocument/rename` for Python local variables (analysis/rename.py).

A refusal is an error response (LSP `RequestFailed`) whose message says why, which editors show to the user. The
rename is a `WorkspaceEdit` for the client to apply (the server never writes files), versioned when the file is
open and the client supports `documentChanges`, so that it is not applied to a buffer that changed meanwhile.
"""
from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from analysis.rename import RenameRefused
from analysis.types import Span
from lsp_server.convert import lsp_range
from lsp_server.features.target import Target, position_target

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

OPTIONS = types.RenameOptions(prepare_provider=True)

T = TypeVar("T")


async def prepare_rename(ls: RodimusServer, params: types.PrepareRenameParams) -> types.Range | None:
    found = await position_target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    target, pos = found
    span = await _refusal_as_error(ls.query(target.project.rename_target, target.path, pos))
    lines = ls.texts().lines(target.path)
    return lsp_range(lines, span, ls.position_encoding) if lines is not None else None


async def rename(ls: RodimusServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    found = await position_target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    target, pos = found
    document = ls.documents.get(params.text_document.uri)
    version = document.version if document is not None else None
    spans = await _refusal_as_error(ls.query(target.project.rename_spans, target.path, pos, params.new_name))
    return _workspace_edit(ls, target, spans, params.new_name, version)


async def _refusal_as_error(query: Awaitable[T]) -> T:
    try:
        return await query
    except RenameRefused as refused:
        raise JsonRpcException(str(refused), code=types.LSPErrorCodes.RequestFailed) from None


def _workspace_edit(
    ls: RodimusServer, target: Target, spans: list[Span], new_name: str, version: int | None
) -> types.WorkspaceEdit | None:
    lines = ls.texts().lines(target.path)
    if lines is None:
        return None
    edits = [types.TextEdit(range=lsp_range(lines, span, ls.position_encoding), new_text=new_name) for span in spans]
    workspace = ls.client_capabilities.workspace
    versioned = bool(workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes)
    if versioned and version is not None:
        document = types.OptionalVersionedTextDocumentIdentifier(uri=target.uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={target.uri: edits})

