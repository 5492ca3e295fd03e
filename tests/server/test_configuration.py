"""Options through initializationOptions and workspace/didChangeConfiguration (pushed and pulled)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import wait_for_index

pytestmark = pytest.mark.asyncio(loop_scope="module")

HIDDEN = "excluded/versteckt.py"


@pytest.fixture(scope="module")
def project(project: Path) -> Path:
    """The fixture project plus a file that `index.exclude` hides."""
    (project / HIDDEN).parent.mkdir()
    (project / HIDDEN).write_text("def versteckte_größe() -> int:\n    return 1\n", encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def initialization_options(initialization_options: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": {**initialization_options["index"], "exclude": ["excluded/"]},
        "completion": {"maxTokens": "many", "debounceMs": 30},
        "colour": "red",
    }


def effective_options(client: LanguageClient) -> dict[str, Any]:
    """The options the server last logged as in force."""
    line = [m.message for m in client.log_messages if "options from" in m.message][-1]
    return json.loads(line[line.index("{") :])


async def logged(client: LanguageClient, count: int) -> None:
    """Wait until the server has logged its options `count` times."""
    async def wait() -> None:
        while sum("options from" in m.message for m in client.log_messages) < count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), 10)


async def find(client: LanguageClient, query: str) -> list[str]:
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return [symbol.name for symbol in result or []]


async def test_initialization_options_apply_and_invalid_values_are_shown(client: LanguageClient) -> None:
    options = effective_options(client)
    assert options["completion"] == {"maxTokens": 64, "debounceMs": 30, "multiline": True, "fim": False,
                                     "documentCache": True}
    assert options["index"]["exclude"] == ["excluded/"]
    (shown,) = [m for m in client.messages if "invalid options" in m.message]
    assert shown.type == types.MessageType.Warning
    assert "rodimus.completion.maxTokens: expected an integer from 1 to 4096, got 'many'" in shown.message
    assert any("unknown option rodimus.colour" in m.message for m in client.log_messages)


async def test_index_exclude_hides_files(client: LanguageClient) -> None:
    assert await find(client, "versteckte") == []
    assert "fläche" in await find(client, "fläche")


async def test_pushed_settings_replace_the_options_and_rebuild_the_graph(client: LanguageClient) -> None:
    cache = effective_options(client)["index"]["cacheDir"]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"rodimus": {"index": {"cacheDir": cache}, "completion": {"maxTokens": 8}}})
    )
    await wait_for_index(client, runs=2)
    assert effective_options(client)["completion"]["maxTokens"] == 8
    assert await find(client, "versteckte") == ["versteckte_größe"]


async def test_pulled_settings_when_the_client_only_signals_a_change(client: LanguageClient) -> None:
    index = effective_options(client)["index"]  # unchanged: no rebuild
    client.set_configuration({"index": index, "completion": {"maxTokens": 16}, "stateBudgetMB": 32}, section="rodimus")
    logs = sum("options from" in m.message for m in client.log_messages)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await logged(client, logs + 1)
    options = effective_options(client)
    assert (options["completion"]["maxTokens"], options["stateBudgetMB"]) == (16, 32)
