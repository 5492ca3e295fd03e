"""textDocument/documentHighlight: a Python name's occurrences in its file, writes and reads, in client units;
textDocument/declaration: where the name is bound in the file, beside go-to-definition's target."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import open_document

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_local_and_an_imported_name(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")

    async def highlights(position: types.Position) -> list[tuple[types.Range, types.DocumentHighlightKind]] | None:
        found = await client.text_document_document_highlight_async(
            types.DocumentHighlightParams(text_document=app.identifier, position=position)
        )
        return None if found is None else [(highlight.range, highlight.kind) for highlight in found]

    write, read = types.DocumentHighlightKind.Write, types.DocumentHighlightKind.Read
    assert await highlights(app.position("g.doppelt")) == [  # `g = ...` comes after two astral characters
        (types.Range(app.position("g = "), app.position("g = ", offset=1)), write),
        (types.Range(app.position("g.doppelt"), app.position("g.doppelt", offset=1)), read),
    ]
    assert await highlights(app.position("Größe(3)")) == [
        (app.range_of("Größe"), write), (app.range_of("Größe", nth=1), read),
    ]
    assert await highlights(app.position("def main")) is None
    app.close()


async def test_declaration_is_the_import_where_definition_is_the_def(client: LanguageClient, project: Path) -> None:
    app = open_document(client, project / "app.py")
    at = app.position("Größe(3)")
    declared = await client.text_document_declaration_async(
        types.DeclarationParams(text_document=app.identifier, position=at)
    )
    assert declared == [types.Location(uri=app.uri, range=app.range_of("Größe"))]
    defined = await client.text_document_definition_async(
        types.DefinitionParams(text_document=app.identifier, position=at)
    )
    assert defined and all(location.uri.endswith("shapes.py") for location in defined)
    app.close()
