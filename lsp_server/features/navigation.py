"""Navigation from the code graph and parse trees: definition, implementation, references, symbols, call and type
hierarchy, selection ranges.

Each handler finds its target on the loop (cheap), then runs the graph query and the conversion of the
results back to client units in a worker (`ls.query`). An empty answer is `None`, as the spec allows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types

from analysis.folding import outermost
from analysis.types import Location, Pos, SymbolInfo
from lsp_server.convert import (
    lsp_call_hierarchy_item,
    lsp_document_symbol,
    lsp_location,
    lsp_range,
    lsp_symbol_information,
    lsp_type_hierarchy_item,
    to_pos,
)
from lsp_server.features.target import Target, file_target, position_target

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

T = TypeVar("T")


async def definition(ls: RodimusServer, params: types.DefinitionParams) -> list[types.Location] | None:
    return await _at_position(
        ls, params, lambda target, pos: _locations(ls, target.project.definition(target.path, pos))
    )


async def declaration(ls: RodimusServer, params: types.DeclarationParams) -> list[types.Location] | None:
    return await _at_position(
        ls, params, lambda target, pos: _locations(ls, target.project.declaration(target.path, pos))
    )


async def implementation(ls: RodimusServer, params: types.ImplementationParams) -> list[types.Location] | None:
    return await _at_position(
        ls, params, lambda target, pos: _locations(ls, target.project.implementations(target.path, pos))
    )


async def references(ls: RodimusServer, params: types.ReferenceParams) -> list[types.Location] | None:
    include = params.context.include_declaration
    return await _at_position(
        ls, params, lambda target, pos: _locations(ls, target.project.references(target.path, pos, include))
    )


async def document_symbol(
    ls: RodimusServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
    symbols = ls.client_capabilities.text_document and ls.client_capabilities.text_document.document_symbol
    hierarchical = bool(symbols and symbols.hierarchical_document_symbol_support)
    return await _in_file(ls, params.text_document.uri, lambda target: _document_symbols(ls, target, hierarchical))


async def workspace_symbol(ls: RodimusServer, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation] | None:
    project = ls.project
    if project is None:
        return None
    return await ls.query(_symbol_informations, ls, lambda: project.workspace_symbols(params.query))


async def prepare_call_hierarchy(
    ls: RodimusServer, params: types.CallHierarchyPrepareParams
) -> list[types.CallHierarchyItem] | None:
    return await _at_position(ls, params, lambda target, pos: _prepare(ls, target, pos))


async def incoming_calls(
    ls: RodimusServer, params: types.CallHierarchyIncomingCallsParams
) -> list[types.CallHierarchyIncomingCall] | None:
    return await _in_file(ls, params.item.uri, lambda target: _incoming(ls, target, params.item))


async def outgoing_calls(
    ls: RodimusServer, params: types.CallHierarchyOutgoingCallsParams
) -> list[types.CallHierarchyOutgoingCall] | None:
    return await _in_file(ls, params.item.uri, lambda target: _outgoing(ls, target, params.item))


async def prepare_type_hierarchy(
    ls: RodimusServer, params: types.TypeHierarchyPrepareParams
) -> list[types.TypeHierarchyItem] | None:
    """The class at the position (its definition or a use of its name); other symbols have no type hierarchy."""
    return await _at_position(ls, params, lambda target, pos: _prepare_type(ls, target, pos))


async def supertypes(
    ls: RodimusServer, params: types.TypeHierarchySupertypesParams
) -> list[types.TypeHierarchyItem] | None:
    return await _in_file(ls, params.item.uri, lambda target: _related_types(ls, target, params.item, True))


async def subtypes(
    ls: RodimusServer, params: types.TypeHierarchySubtypesParams
) -> list[types.TypeHierarchyItem] | None:
    return await _in_file(ls, params.item.uri, lambda target: _related_types(ls, target, params.item, False))


async def selection_range(ls: RodimusServer, params: types.SelectionRangeParams) -> list[types.SelectionRange] | None:
    """"Expand selection": the syntax nodes around each position, innermost first, each one's parent the next."""
    return await _in_file(ls, params.text_document.uri, lambda target: _selection_ranges(ls, target, params.positions))


async def document_highlight(
    ls: RodimusServer, params: types.DocumentHighlightParams
) -> list[types.DocumentHighlight] | None:
    """The other occurrences of the Python name (or `self.` attribute) under the cursor, by Python's scopes."""
    return await _at_position(ls, params, lambda target, pos: _highlights(ls, target, pos))


async def folding_range(ls: RodimusServer, params: types.FoldingRangeParams) -> list[types.FoldingRange] | None:
    """Folds from the parse tree, whole lines only; at most the client's `rangeLimit`, the least nested kept."""
    folding = ls.client_capabilities.text_document and ls.client_capabilities.text_document.folding_range
    limit = folding.range_limit if folding is not None and folding.range_limit is not None else None
    return await _in_file(ls, params.text_document.uri, lambda target: _folding_ranges(target, limit))


async def _at_position(
    ls: RodimusServer, params: types.TextDocumentPositionParams, work: Callable[[Target, Pos], T]
) -> T | None:
    """`work(target, pos)` in a worker, for the file and position a request points at; None when it points nowhere."""
    found = await position_target(ls, params.text_document.uri, params.position)
    return await ls.query(work, *found) if found is not None else None


async def _in_file(ls: RodimusServer, uri: str, work: Callable[[Target], T]) -> T | None:
    """`work(target)` in a worker, for the file a request is about; None when the graph cannot answer for it."""
    target = file_target(ls, uri)
    return await ls.query(work, target) if target is not None else None


# Worker side: graph query, then conversion back to client units.


def _locations(ls: RodimusServer, hits: list[Location]) -> list[types.Location] | None:
    texts, encoding = ls.texts(), ls.position_encoding
    found = [location for hit in hits if (location := lsp_location(texts, hit, encoding)) is not None]
    return found or None


def _document_symbols(
    ls: RodimusServer, target: Target, hierarchical: bool
) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
    symbols = target.project.document_symbols(target.path)
    if not hierarchical:
        return _symbol_informations(ls, lambda: list(_flatten(symbols)))
    lines = ls.texts().lines(target.path)
    if lines is None or not symbols:
        return None
    return [lsp_document_symbol(lines, symbol, ls.position_encoding) for symbol in symbols]


def _symbol_informations(ls: RodimusServer, query: Callable[[], list[SymbolInfo]]) -> list[types.SymbolInformation] | None:
    texts, encoding = ls.texts(), ls.position_encoding
    found = [info for symbol in query() if (info := lsp_symbol_information(texts, symbol, encoding)) is not None]
    return found or None


def _selection_ranges(
    ls: RodimusServer, target: Target, positions: list[types.Position]
) -> list[types.SelectionRange] | None:
    lines, encoding = ls.texts().lines(target.path), ls.position_encoding
    if lines is None:
        return None
    end = Pos(len(lines) - 1, len(lines.content(len(lines) - 1).encode("utf-8")))
    chains = target.project.selection_ranges(target.path, [to_pos(lines, p, encoding) or end for p in positions])
    if chains is None:
        return None
    answers = []
    for position, chain in zip(positions, chains):
        answer = None
        for span in reversed(chain):  # outermost first, so that each range can name the one around it
            answer = types.SelectionRange(range=lsp_range(lines, span, encoding), parent=answer)
        answers.append(answer or types.SelectionRange(range=types.Range(position, position)))
    return answers


def _highlights(ls: RodimusServer, target: Target, pos: Pos) -> list[types.DocumentHighlight] | None:
    found = target.project.highlights(target.path, pos)
    lines = ls.texts().lines(target.path)
    if not found or lines is None:
        return None
    return [types.DocumentHighlight(
        range=lsp_range(lines, occurrence.span, ls.position_encoding),
        kind=types.DocumentHighlightKind.Write if occurrence.write else types.DocumentHighlightKind.Read,
    ) for occurrence in found]


def _folding_ranges(target: Target, limit: int | None) -> list[types.FoldingRange] | None:
    folds = target.project.folding_ranges(target.path)
    if folds is None:
        return None
    return [
        types.FoldingRange(fold.start, fold.end, kind=types.FoldingRangeKind(fold.kind) if fold.kind else None)
        for fold in (outermost(folds, limit) if limit is not None else folds)
    ]


def _prepare(ls: RodimusServer, target: Target, pos: Pos) -> list[types.CallHierarchyItem] | None:
    symbol = target.project.symbol_at(target.path, pos)
    item = lsp_call_hierarchy_item(ls.texts(), symbol, ls.position_encoding) if symbol is not None else None
    return [item] if item is not None else None


def _incoming(
    ls: RodimusServer, target: Target, item: types.CallHierarchyItem
) -> list[types.CallHierarchyIncomingCall] | None:
    node_id = _node_id(ls, target, item)
    if node_id is None:
        return None
    texts, encoding = ls.texts(), ls.position_encoding
    calls = []
    for caller, spans in target.project.incoming_calls(node_id):
        caller_item = lsp_call_hierarchy_item(texts, caller, encoding)
        lines = texts.lines(caller.path)
        if caller_item is not None and lines is not None:
            ranges = [lsp_range(lines, span, encoding) for span in spans]
            calls.append(types.CallHierarchyIncomingCall(from_=caller_item, from_ranges=ranges))
    return calls or None


def _outgoing(
    ls: RodimusServer, target: Target, item: types.CallHierarchyItem
) -> list[types.CallHierarchyOutgoingCall] | None:
    node_id = _node_id(ls, target, item)
    texts, encoding = ls.texts(), ls.position_encoding
    lines = texts.lines(target.path)  # call sites are in the caller, the item itself
    if node_id is None or lines is None:
        return None
    calls = []
    for callee, spans in target.project.outgoing_calls(node_id):
        callee_item = lsp_call_hierarchy_item(texts, callee, encoding)
        if callee_item is not None:
            ranges = [lsp_range(lines, span, encoding) for span in spans]
            calls.append(types.CallHierarchyOutgoingCall(to=callee_item, from_ranges=ranges))
    return calls or None


def _prepare_type(ls: RodimusServer, target: Target, pos: Pos) -> list[types.TypeHierarchyItem] | None:
    symbol = target.project.symbol_at(target.path, pos)
    if symbol is None or symbol.kind != "CLASS":
        return None
    item = lsp_type_hierarchy_item(ls.texts(), symbol, ls.position_encoding)
    return [item] if item is not None else None


def _related_types(
    ls: RodimusServer, target: Target, item: types.TypeHierarchyItem, bases: bool
) -> list[types.TypeHierarchyItem] | None:
    node_id = _node_id(ls, target, item)
    if node_id is None:
        return None
    related = target.project.supertypes(node_id) if bases else target.project.subtypes(node_id)
    texts, encoding = ls.texts(), ls.position_encoding
    items = [found for symbol in related if (found := lsp_type_hierarchy_item(texts, symbol, encoding)) is not None]
    return items or None


def _node_id(ls: RodimusServer, target: Target, item: types.CallHierarchyItem | types.TypeHierarchyItem) -> str | None:
    """The graph node of an item: from its `data`, else the symbol at its name (a client may drop data)."""
    if isinstance(item.data, dict) and isinstance(item.data.get("nodeId"), str):
        return item.data["nodeId"]
    lines = ls.texts().lines(target.path)
    pos = to_pos(lines, item.selection_range.start, ls.position_encoding) if lines is not None else None
    symbol = target.project.symbol_at(target.path, pos) if pos is not None else None
    return symbol.node_id if symbol is not None else None


def _flatten(symbols: list[SymbolInfo]) -> Iterator[SymbolInfo]:
    for symbol in symbols:
        yield symbol
        yield from _flatten(symbol.children)
