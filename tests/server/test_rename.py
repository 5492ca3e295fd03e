"""prepareRename / rename of Python locals over LSP: a versioned WorkspaceEdit the client applies, refusals as
errors whose message says why, positions in the session's encoding."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.server.harness import initialize_result, open_document

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_local_is_renamed_everywhere_in_its_function(client: LanguageClient, project: Path) -> None:
    assert initialize_result(client).capabilities.rename_provider == types.RenameOptions(prepare_provider=True)
    app = open_document(client, project / "app.py")
    app.replace("return g.doppelt()", "return (lambda: g)().doppelt()")  # version 2: `g` is used in a closure
    at = app.position("g = ")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=app.identifier, position=at)
    )
    assert prepared == types.Range(at, app.position("g = ", offset=1))  # after two astral characters
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=app.identifier, position=at, new_name="größe")
    )
    assert edit is not None
    workspace = client.capabilities.workspace if client.capabilities else None
    if workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes:  # VS Code
        (change,) = edit.document_changes or []
        assert change.text_document.version == 2  # not applied to a buffer that changed since
        edits = change.edits
    else:  # Neovim's recorded capabilities: plain changes
        (edits,) = (edit.changes or {}).values()
    assert [e.range.start for e in edits] == [at, app.position("g)()")]
    assert {e.new_text for e in edits} == {"größe"}
    app.close()


async def test_refusals_say_why(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    for needle, reason in (("main", "module level"), ("Größe(3)", "module level"), ("doppelt", "attributes")):
        with pytest.raises(JsonRpcException, match=reason):
            await client.text_document_prepare_rename_async(
                types.PrepareRenameParams(text_document=app.identifier, position=app.position(needle))
            )
    with pytest.raises(JsonRpcException, match="already used"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=app.identifier, position=app.position("g = "), new_name="s")
        )
    app.close()
