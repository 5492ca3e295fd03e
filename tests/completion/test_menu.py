"""The completion menu: the AI item, then the graph's names unless they are late (a re-index holds them up)."""
from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from lsp_server.features import ai_completion

PARAMS = types.CompletionParams(text_document=types.TextDocumentIdentifier(uri="file:///m.py"),
                                position=types.Position(0, 0))


def item(label: str) -> types.CompletionItem:
    return types.CompletionItem(label=label)


@pytest.mark.asyncio
@pytest.mark.parametrize(("names_delay", "labels"), [(0.0, ["ai", "name"]), (5.0, ["ai"])])
async def test_names_follow_the_ai_item_unless_they_are_late(
    monkeypatch: pytest.MonkeyPatch, names_delay: float, labels: list[str]
) -> None:
    async def names(ls: object, params: types.CompletionParams) -> list[types.CompletionItem]:
        await asyncio.sleep(names_delay)
        return [item("name")]

    async def suggestion(ls: object, params: types.CompletionParams) -> types.CompletionItem:
        return item("ai")

    monkeypatch.setattr(ai_completion, "graph_items", names)
    monkeypatch.setattr(ai_completion, "_ai_item", suggestion)
    monkeypatch.setattr(ai_completion, "GRAPH_NAMES_GRACE_S", 0.05)
    result = await ai_completion.completion(None, PARAMS)  # type: ignore[arg-type]
    assert [entry.label for entry in result.items] == labels and result.is_incomplete
