"""Translation between LSP values (client units) and analysis values (UTF-8 bytes, absolute paths).

A position that the client sends is converted on the text the client sees: the open document if there is
one, else the text the code graph was built from. Ranges going back out are converted on the target
file's text, read once per request through a `TextSource`.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls import uris

from analysis.types import Location, Pos, Span, SymbolInfo
from lsp_server.documents import DocumentStore, Lines
from lsp_server.positions import Encoding, byte_to_client_col, client_col_to_byte

if TYPE_CHECKING:
    from analysis.workspace import Workspace

logger = logging.getLogger(__name__)


def uri_to_path(uri: str) -> str | None:
    """The absolute filesystem path of a file: URI; None for other schemes and unreadable URIs."""
    try:
        path = uris.to_fs_path(uri)
    except Exception:
        return None
    return path if path and Path(path).is_absolute() else None


class TextSource:
    """The text of files by path, as the code graph sees it, each read at most once."""

    def __init__(self, documents: DocumentStore, project: Workspace | None) -> None:
        self._documents = documents
        self._project = project
        self._lines: dict[str, Lines | None] = {}

    def lines(self, path: str) -> Lines | None:
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def uri(self, path: str) -> str:
        document = self._documents.by_path(path)
        return document.uri if document is not None else (uris.from_fs_path(path) or f"file://{path}")

    def _read(self, path: str) -> Lines | None:
        document = self._documents.by_path(path)
        if document is not None:
            return document.lines.snapshot()
        text = self._project.text(path) if self._project is not None else None
        if text is None:
            try:
                text = Path(path).read_bytes().decode("utf-8", "replace")
            except OSError:
                return None
        return Lines(text)


def to_pos(lines: Lines, position: types.Position, encoding: Encoding) -> Pos | None:
    """The analysis position of a client position; None past the last line (a column is clamped)."""
    if position.line >= len(lines):
        return None
    return Pos(position.line, client_col_to_byte(lines.content(position.line), position.character, encoding))


def lsp_position(lines: Lines, pos: Pos, encoding: Encoding) -> types.Position:
    if pos.line >= len(lines):  # the graph is older than the text: the end of the text
        last = len(lines) - 1
        return types.Position(last, byte_to_client_col(lines.content(last), 1 << 30, encoding))
    return types.Position(pos.line, byte_to_client_col(lines.content(pos.line), pos.col, encoding))


def lsp_range(lines: Lines, span: Span, encoding: Encoding) -> types.Range:
    return types.Range(lsp_position(lines, span.start, encoding), lsp_position(lines, span.end, encoding))


def lsp_location(texts: TextSource, location: Location, encoding: Encoding) -> types.Location | None:
    lines = texts.lines(location.path)
    if lines is None:
        logger.warning("no text for %s: location dropped", location.path)
        return None
    return types.Location(uri=texts.uri(location.path), range=lsp_range(lines, location.span, encoding))


_SYMBOL_KINDS = {
    "REPO": types.SymbolKind.Module,
    "PACKAGE": types.SymbolKind.Package,
    "FILE": types.SymbolKind.File,
    "TEXTFILE": types.SymbolKind.File,
    "CLASS": types.SymbolKind.Class,
    "FUNCTION": types.SymbolKind.Function,
    "LAMBDA": types.SymbolKind.Function,
    "ATTRIBUTE": types.SymbolKind.Variable,
}


def lsp_symbol_kind(kind: str, parent_kind: str | None = None) -> types.SymbolKind:
    """The LSP kind of a CGM node type; inside a class, functions are methods and attributes fields."""
    if parent_kind == "CLASS" and kind == "FUNCTION":
        return types.SymbolKind.Method
    if parent_kind == "CLASS" and kind == "ATTRIBUTE":
        return types.SymbolKind.Field
    return _SYMBOL_KINDS.get(kind, types.SymbolKind.Variable)


def lsp_document_symbol(
    lines: Lines, symbol: SymbolInfo, encoding: Encoding, parent_kind: str | None = None
) -> types.DocumentSymbol:
    whole = lsp_range(lines, symbol.span, encoding)
    name = lsp_range(lines, symbol.selection, encoding)
    if not (whole.start <= name.start and name.end <= whole.end):
        name = types.Range(whole.start, whole.start)  # the spec requires the name inside the whole
    return types.DocumentSymbol(
        name=symbol.name or "?",
        kind=lsp_symbol_kind(symbol.kind, parent_kind),
        range=whole,
        selection_range=name,
        detail=symbol.detail or None,
        children=[lsp_document_symbol(lines, child, encoding, symbol.kind) for child in symbol.children] or None,
    )


def lsp_symbol_information(texts: TextSource, symbol: SymbolInfo, encoding: Encoding) -> types.SymbolInformation | None:
    location = lsp_location(texts, Location(symbol.path, symbol.span), encoding)
    if location is None:
        return None
    return types.SymbolInformation(
        name=symbol.name or "?",
        kind=lsp_symbol_kind(symbol.kind),
        location=location,
        container_name=symbol.container or None,
    )


def lsp_call_hierarchy_item(texts: TextSource, symbol: SymbolInfo, encoding: Encoding) -> types.CallHierarchyItem | None:
    fields = _hierarchy_item_fields(texts, symbol, encoding)
    return types.CallHierarchyItem(**fields) if fields is not None else None


def lsp_type_hierarchy_item(
    texts: TextSource, symbol: SymbolInfo, encoding: Encoding
) -> types.TypeHierarchyItem | None:
    fields = _hierarchy_item_fields(texts, symbol, encoding)
    return types.TypeHierarchyItem(**fields) if fields is not None else None


def _hierarchy_item_fields(texts: TextSource, symbol: SymbolInfo, encoding: Encoding) -> dict[str, Any] | None:
    """What call and type hierarchy items share; `data` carries the graph node for the follow-up requests."""
    lines = texts.lines(symbol.path)
    if lines is None:
        return None
    return {
        "name": symbol.name or "?",
        "kind": lsp_symbol_kind(symbol.kind),
        "uri": texts.uri(symbol.path),
        "range": lsp_range(lines, symbol.span, encoding),
        "selection_range": lsp_range(lines, symbol.selection, encoding),
        "detail": symbol.detail or None,
        "data": {"nodeId": symbol.node_id},
    }

