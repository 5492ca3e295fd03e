"""Signature help end to end, while a call is being typed (no ")" yet), under a UTF-16 and a UTF-8 client."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import encoding, initialize_result, open_document, units

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def help_at(client: LanguageClient, project: Path, typed: str) -> types.SignatureHelp | None:
    """Type `typed` (its "|" is the cursor) at the end of app.py's buffer, then ask for signature help there."""
    app = open_document(client, project / "app.py")
    cursor = typed.index("|")
    end = app.offset_position(len(app.text))
    app.edit(types.Range(end, end), typed.replace("|", ""))
    position = app.offset_position(len(app.text) - (len(typed) - 1 - cursor))
    trigger = types.SignatureHelpTriggerKind.TriggerCharacter
    context = types.SignatureHelpContext(trigger_kind=trigger, is_retrigger=False)
    return await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=app.identifier, position=position, context=context)
    )


def active_label(client: LanguageClient, result: types.SignatureHelp) -> str | None:
    """The active parameter's text, cut from the signature label by its offsets in the session's encoding."""
    (signature,) = result.signatures
    if result.active_parameter is None:
        return None
    start, end = signature.parameters[result.active_parameter].label
    label, name = signature.label, encoding(client)
    first = next(i for i in range(len(label) + 1) if units(label[:i], name) == start)
    last = next(i for i in range(len(label) + 1) if units(label[:i], name) == end)
    return label[first:last]


async def test_the_capability_has_trigger_characters(client: LanguageClient) -> None:
    options = initialize_result(client).capabilities.signature_help_provider
    assert options is not None and set(options.trigger_characters or []) == {"(", ","}


async def test_an_unclosed_call_shows_the_callee_and_the_argument_being_typed(
    client: LanguageClient, project: Path
) -> None:
    result = await help_at(client, project, "\n\ndef neu() -> int:\n    return fläche(3, |\n")
    assert result is not None
    (signature,) = result.signatures
    assert signature.label == "fläche(𠀀breite: int, höhe: int) -> int"  # offsets count the session's units
    assert active_label(client, result) == "höhe: int"
    assert "Area of a rectangle" in str(signature.documentation)
    keyword = await help_at(client, project, "\n\nx = fläche(höhe=|")
    assert keyword is not None and active_label(client, keyword) == "höhe: int"


async def test_a_class_call_shows_its_init_without_self_and_a_method_call_without_self(
    client: LanguageClient, project: Path
) -> None:
    constructor = await help_at(client, project, "\n\nbox = Größe(|)\n")
    assert constructor is not None and constructor.signatures[0].label == "Größe(wert: int)"
    assert active_label(client, constructor) == "wert: int"
    method = await help_at(client, project, "\n\nbox2 = Größe(1)\nn = box2.doppelt(|)\n")
    assert method is not None and method.signatures[0].label == "doppelt() -> int"
    assert method.active_parameter is None


@pytest.mark.parametrize("typed", ["\n\ny = len(|)\n", "\n\ns2 = 'fläche(|'\n", "\n\nz = fläche(1, 2)|\n"],
                         ids=["unknown-callee", "in-a-string", "after-the-call"])
async def test_no_signature_outside_a_call_the_graph_knows(client: LanguageClient, project: Path, typed: str) -> None:
    assert await help_at(client, project, typed) is None
