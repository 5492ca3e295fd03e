"""Graph features end to end, under a UTF-16 client (VS Code) and a UTF-8 one (Neovim), on non-ASCII code."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import encoding, index_runs, initialize_result, open_document, registrations, text_in

pytestmark = pytest.mark.asyncio(loop_scope="module")


def covered(client: LanguageClient, location: types.Location) -> str:
    from pygls.uris import to_fs_path

    return text_in(Path(to_fs_path(location.uri)), location.range, encoding(client))


async def test_capabilities_and_negotiated_encoding(client: LanguageClient) -> None:
    capabilities = initialize_result(client).capabilities
    neovim = client.capabilities.general.position_encodings is not None
    assert capabilities.position_encoding == ("utf-8" if neovim else "utf-16")
    assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    for provider in ("definition", "references", "hover", "document_symbol", "workspace_symbol", "call_hierarchy"):
        assert getattr(capabilities, f"{provider}_provider"), provider


async def test_indexing_reports_progress_and_file_watching_is_registered(client: LanguageClient) -> None:
    (run,) = index_runs(client)
    assert isinstance(run[0], types.WorkDoneProgressBegin) and run[0].title == "Indexing"
    assert any(isinstance(report, types.WorkDoneProgressReport) for report in run[1:-1])
    assert isinstance(run[-1], types.WorkDoneProgressEnd) and "indexed" in run[-1].message
    watched = [r for r in registrations(client) if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    dynamic = client.capabilities.workspace.did_change_watched_files.dynamic_registration
    assert len(watched) == (1 if dynamic else 0)


async def test_definition_after_astral_characters(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=app.identifier, position=app.position("Größe(3)", offset=2))
    )
    assert result and result[0].uri.endswith("geometry/shapes.py")
    assert "Größe" in covered(client, result[0]) and result[0].range.start.line == 5


async def test_references_cover_exactly_the_name(client: LanguageClient, project: Path) -> None:
    shapes = open_document(client, project / "geometry" / "shapes.py")
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=shapes.identifier,
            position=shapes.position("def fläche", offset=6),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    calls = {(Path(r.uri).name, r.range.start.line) for r in result if covered(client, r) == "fläche"}
    assert {("app.py", 5), ("shapes.py", 12)} <= calls


async def test_hover_is_markdown_with_signature_docstring_and_place(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=app.identifier, position=app.position("Größe(3)", offset=1))
    )
    assert hover.contents.kind == types.MarkupKind.Markdown
    text = hover.contents.value
    assert "```python\nclass Größe" in text
    assert "A size in ünits 😀." in text
    assert "Defined in [geometry/shapes.py:6](" in text
    assert "caller" in text and "callee" in text


async def test_document_symbols_are_a_tree_with_names_in_range(client: LanguageClient, project: Path) -> None:
    shapes = open_document(client, project / "geometry" / "shapes.py")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=shapes.identifier)
    )
    by_name = {symbol.name: symbol for symbol in symbols}
    size = by_name["Größe"]
    assert size.kind == types.SymbolKind.Class
    assert {"__init__", "doppelt"} <= {child.name for child in size.children or []}
    assert by_name["fläche"].kind == types.SymbolKind.Function
    name = types.Location(uri=shapes.uri, range=by_name["fläche"].selection_range)
    assert covered(client, name) == "fläche"


async def test_workspace_symbol_finds_non_ascii_names(client: LanguageClient) -> None:
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="fläche"))
    hits = [symbol for symbol in result if symbol.name == "fläche"]
    assert hits and hits[0].location.uri.endswith("geometry/shapes.py")
    assert "fläche" in covered(client, hits[0].location)


async def test_call_hierarchy_both_ways(client: LanguageClient, project: Path) -> None:
    shapes = open_document(client, project / "geometry" / "shapes.py")
    (item,) = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(text_document=shapes.identifier, position=shapes.position("def fläche", offset=5))
    )
    assert item.name == "fläche"
    incoming = await client.call_hierarchy_incoming_calls_async(types.CallHierarchyIncomingCallsParams(item=item))
    callers = {call.from_.name: call for call in incoming}
    assert {"doppelt", "main"} <= callers.keys()
    call_site = types.Location(uri=callers["main"].from_.uri, range=callers["main"].from_ranges[0])
    assert covered(client, call_site).startswith("fläche")

    app = open_document(client, project / "app.py")
    (main,) = await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(text_document=app.identifier, position=app.position("def main", offset=5))
    )
    outgoing = await client.call_hierarchy_outgoing_calls_async(types.CallHierarchyOutgoingCallsParams(item=main))
    assert "fläche" in {call.to.name for call in outgoing}


async def test_live_edits_with_astral_text_reach_the_graph(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    end = app.offset_position(len(app.text))
    app.edit(types.Range(end, end), '\n\ndef zwei() -> str:\n    x = "𠀀😀"; return fläche(2, 2)\n')
    app.replace("main", "haupt")  # a second change in the same document, before the first call
    shapes = open_document(client, project / "geometry" / "shapes.py")
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=shapes.identifier,
            position=shapes.position("def fläche", offset=6),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    new_call = app.text.count("\n", 0, app.text.index("fläche(2, 2)"))
    hits = [r for r in result if r.uri == app.uri and r.range.start.line == new_call]
    assert hits and hits[0].range.start == app.position("fläche(2, 2)")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=app.identifier))
    assert {"haupt", "zwei"} <= {symbol.name for symbol in symbols}
    app.close()
