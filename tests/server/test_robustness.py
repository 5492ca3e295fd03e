"""Every request gets an answer, bad input loses nothing, and the server keeps serving other documents."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from tests.server.harness import open_document, send_raw_notification, send_raw_request

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOVER = types.TEXT_DOCUMENT_HOVER


async def still_serving(client: LanguageClient, project: Path) -> None:
    """A good request right after a bad one is answered correctly."""
    app = open_document(client, project / "app.py")
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=app.identifier, position=app.position("fläche(len", offset=1))
    )
    assert result and result[0].uri.endswith("geometry/shapes.py")


@pytest.mark.parametrize(
    "uri", ["not a uri", "file:///no/such/file.py", "untitled:Untitled-1", "https://example.com/x.py", ""]
)
async def test_a_bad_uri_gets_an_empty_answer(client: LanguageClient, project: Path, uri: str) -> None:
    document = types.TextDocumentIdentifier(uri=uri)
    position = types.Position(0, 0)
    assert await client.text_document_definition_async(types.DefinitionParams(text_document=document, position=position)) is None
    assert await client.text_document_hover_async(types.HoverParams(text_document=document, position=position)) is None
    assert await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=document)) is None
    await still_serving(client, project)


@pytest.mark.parametrize("position", [types.Position(9999, 0), types.Position(0, 9999), types.Position(2**31 - 1, 2**31 - 1)])
async def test_an_out_of_range_position_gets_an_answer(client: LanguageClient, project: Path, position: types.Position) -> None:
    app = open_document(client, project / "app.py")
    document = app.identifier
    await client.text_document_hover_async(types.HoverParams(text_document=document, position=position))
    context = types.ReferenceContext(include_declaration=True)
    await client.text_document_references_async(
        types.ReferenceParams(text_document=document, position=position, context=context)
    )
    await client.text_document_prepare_call_hierarchy_async(
        types.CallHierarchyPrepareParams(text_document=document, position=position)
    )
    await still_serving(client, project)


@pytest.mark.parametrize(
    "params",
    [
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "zero", "character": 0}},  # wrong type
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "3", "character": 0}},  # no coercion
        {"textDocument": {"uri": 42}, "position": {"line": 0, "character": 0}},
        {"textDocument": {"uri": "file:///x.py"}},  # missing field
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": -1, "character": 0}},
        [1, 2],
        None,
    ],
)
async def test_malformed_params_get_invalid_params(client: LanguageClient, project: Path, params: object) -> None:
    with pytest.raises(JsonRpcInvalidParams) as error:
        await send_raw_request(client, HOVER, params)
    assert error.value.code == -32602
    await still_serving(client, project)


async def test_a_malformed_notification_is_dropped_and_the_document_keeps_working(
    client: LanguageClient, project: Path
) -> None:
    app = open_document(client, project / "app.py")
    send_raw_notification(client, types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": {"uri": app.uri}, "contentChanges": 7})
    send_raw_notification(client, types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": {"uri": "file:///not/open.py", "version": 2}, "contentChanges": [{"text": "x"}]})
    await still_serving(client, project)


async def test_an_unknown_node_in_a_call_hierarchy_item_is_answered(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    item = types.CallHierarchyItem(
        name="ghost", kind=types.SymbolKind.Function, uri=app.uri,
        range=types.Range(types.Position(0, 0), types.Position(0, 1)),
        selection_range=types.Range(types.Position(0, 0), types.Position(0, 1)),
        data={"nodeId": "no-such-node"},
    )  # fmt: skip
    try:
        result = await client.call_hierarchy_incoming_calls_async(types.CallHierarchyIncomingCallsParams(item=item))
        assert not result
    except JsonRpcException:
        pass  # an error response is an answer too
    await still_serving(client, project)


async def test_an_unknown_command_is_an_error_not_silence(client: LanguageClient, project: Path) -> None:
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="rodimus.noSuchCommand"))
    await still_serving(client, project)


async def workspace_symbols(client: LanguageClient, query: str) -> list[str]:
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return [symbol.name for symbol in found or []]


async def test_a_document_over_the_size_limit_is_held_back_until_it_shrinks(
    client: LanguageClient, project: Path
) -> None:
    """Over 1 MB (the scan's limit for files on disk), an open document gets no graph and no completions, and
    the other documents are served as before; edited back under, it is analysed again."""
    generated = open_document(client, project / "generated.py",
                              "".join(f"def big_function_{i}():\n    return {i}\n" for i in range(40_000)))
    context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    answer = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(context, generated.identifier, types.Position(80_000, 0))
    )
    assert answer is not None and not answer.items
    await still_serving(client, project)
    assert await workspace_symbols(client, "big_function_39999") == []
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=generated.uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text="def small_again():\n    return 0\n")],
    ))  # fmt: skip
    for _ in range(100):
        if await workspace_symbols(client, "small_again"):
            break
        await asyncio.sleep(0.05)
    assert await workspace_symbols(client, "small_again") == ["small_again"]
    generated.close()


async def test_a_held_back_document_gets_no_answers_from_its_file_on_disk(client: LanguageClient,
                                                                          project: Path) -> None:
    """A small file whose buffer grew over the limit: the graph still holds the file on disk, whose positions no
    longer match the buffer, so requests about the buffer get no graph answer (as the log line says)."""
    shapes = project / "geometry" / "shapes.py"
    grown = open_document(client, shapes, "x = 1\n" * 200_000 + shapes.read_text(encoding="utf-8"))
    assert await client.text_document_document_symbol_async(types.DocumentSymbolParams(grown.identifier)) is None
    assert await client.text_document_hover_async(types.HoverParams(grown.identifier, types.Position(5, 8))) is None
    grown.close()
    await still_serving(client, project)  # the graph's own file is as it was
