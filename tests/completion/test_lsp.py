"""End to end over stdio (pytest-lsp): inline completions while typing, latest wins, type-through from the
cache, unopened and closed documents; the AI item in textDocument/completion. A tiny random Rodimus+
serves the requests (what it writes is noise; the mechanics are what is checked here)."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.completion.edits import BASE
from tests.server.harness import CLIENTS, SERVER, Doc, open_document, start_session, wait_for_index

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEBUG_SERVER = ClientServerConfig(
    server_command=SERVER.server_command,
    server_env={**os.environ, "RODIMUS_LSP_LOG": "debug", "PYTHONUNBUFFERED": "1"},
    client_factory=SERVER.client_factory,
)
DEBOUNCE_MS = 400


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("completion-workspace")
    (root / "app.py").write_text(BASE, encoding="utf-8")
    return root


@pytest_lsp.fixture(config=DEBUG_SERVER, params=CLIENTS, scope="module")
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, project: Path, tiny_model_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory):
    options: dict[str, Any] = {
        "model": {"path": str(tiny_model_dir)},
        "completion": {"maxTokens": 12, "debounceMs": DEBOUNCE_MS, "fim": True},
        "index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))},
    }
    await start_session(lsp_client, request.param, project, options)
    yield
    await lsp_client.shutdown_session()


def inline(doc: Doc, position: types.Position, automatic: bool = False) -> Any:
    kind = types.InlineCompletionTriggerKind.Automatic if automatic else types.InlineCompletionTriggerKind.Invoked
    return doc.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=doc.identifier, position=position, context=types.InlineCompletionContext(trigger_kind=kind)))


def end_of(doc: Doc) -> types.Position:
    return doc.offset_position(len(doc.text))


def log_lines(client: LanguageClient, needle: str) -> list[str]:
    return [m.message for m in client.log_messages if needle in m.message]


async def test_capabilities(client: LanguageClient) -> None:
    from tests.server.harness import initialize_result

    capabilities = initialize_result(client).capabilities
    assert capabilities.inline_completion_provider is not None
    assert capabilities.completion_provider is not None


async def test_typing_then_completing(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "app.py", BASE)
    for ch in "\n\ndef total(values):\n    ":
        doc.edit(types.Range(end_of(doc), end_of(doc)), ch)
    result = await inline(doc, end_of(doc))
    assert isinstance(result, types.InlineCompletionList) and len(result.items) == 1
    item = result.items[0]
    assert isinstance(item.insert_text, str) and item.insert_text.strip()
    assert item.range is not None and item.range.start == item.range.end == end_of(doc)
    doc.close()


async def test_newer_request_supersedes_the_older(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "app.py", BASE)
    older = asyncio.ensure_future(inline(doc, doc.position("name: str"), automatic=True))  # waits 400 ms
    await asyncio.sleep(0.05)
    newer = await inline(doc, end_of(doc))
    assert not (await older).items
    assert len(newer.items) == 1
    doc.close()


async def test_type_through_is_served_from_the_cache(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "app.py", BASE)
    first = await inline(doc, end_of(doc))
    suggestion = first.items[0].insert_text
    model_calls = len(log_lines(client, ": model, "))
    doc.edit(types.Range(end_of(doc), end_of(doc)), suggestion[0])
    second = await inline(doc, end_of(doc), automatic=True)
    assert [item.insert_text for item in second.items] == [suggestion[1:]]
    await asyncio.sleep(0.2)  # let the log messages arrive
    assert len(log_lines(client, "served from the type-through cache")) >= 1
    assert len(log_lines(client, ": model, ")) == model_calls
    doc.close()


async def test_unopened_and_closed_documents_get_empty_results(client: LanguageClient, project: Path) -> None:
    ghost = Doc(client, from_fs_path(str(project / "never_opened.py")), "x = 1\n")
    assert not (await inline(ghost, types.Position(0, 5))).items
    doc = open_document(client, project / "app.py", BASE)
    doc.close()
    assert not (await inline(doc, end_of(doc))).items
    reopened = open_document(client, project / "app.py", BASE)
    assert len((await inline(reopened, end_of(reopened))).items) == 1  # the server kept serving
    reopened.close()


async def test_completion_popup_has_the_ai_item_first_then_the_graphs_names(
    client: LanguageClient, project: Path
) -> None:
    await wait_for_index(client)  # the graph's names come once the first index is built
    doc = open_document(client, project / "app.py", BASE + "\nresult = Gree")
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc.identifier, position=end_of(doc)))
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    item = result.items[0]
    assert item.detail == "Rodimus" and item.text_edit is not None
    assert item.text_edit.range.start == doc.position("Gree", nth=0, offset=0) or \
        item.text_edit.new_text.startswith("Gree")
    assert item.text_edit.range.end == end_of(doc)
    graph_names = [(other.label, other.kind, other.detail) for other in result.items[1:]]
    assert graph_names[0] == ("Greeter", types.CompletionItemKind.Class, "in scope")  # the module's class first
    assert [other.sort_text for other in result.items] == sorted(other.sort_text for other in result.items)
    resolved = await asyncio.wait_for(client.completion_item_resolve_async(result.items[1]), 20)
    assert resolved.detail == "class Greeter:" and resolved.documentation is not None
    assert "Say hello." in resolved.documentation.value
    assert await asyncio.wait_for(client.completion_item_resolve_async(item), 20) == item  # nothing to add
    garbage = types.CompletionItem(label="Greeter", data={"uri": 3, "line": -1})
    assert await asyncio.wait_for(client.completion_item_resolve_async(garbage), 20) == garbage
    doc.close()
