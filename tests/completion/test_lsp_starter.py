"""End to end with the bundled starter checkpoint and the server's default options: typing with didChange,
then an inline completion, gives text that fits the code (it parses, and a block body stays in its block)."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.server.harness import SERVER, Doc, open_document, start_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

STARTER_SERVER = ClientServerConfig(
    server_command=SERVER.server_command,
    server_env={**os.environ, "PYTHONUNBUFFERED": "1"},
    client_factory=SERVER.client_factory,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("starter-workspace")


@pytest_lsp.fixture(config=STARTER_SERVER, scope="module")
async def client(lsp_client: LanguageClient, project: Path, tmp_path_factory: pytest.TempPathFactory):
    options = {"completion": {"maxTokens": 24}, "index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))}}
    await start_session(lsp_client, "visual-studio-code", project, options)  # no model.path: the starter
    yield
    await lsp_client.shutdown_session()


async def type_and_complete(doc: Doc, typed: str) -> str:
    for ch in typed:
        end = doc.offset_position(len(doc.text))
        doc.edit(types.Range(end, end), ch)
    result = await doc.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=doc.identifier, position=doc.offset_position(len(doc.text)),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    assert isinstance(result, types.InlineCompletionList) and len(result.items) == 1
    text = result.items[0].insert_text
    assert isinstance(text, str) and text.strip() and "\ufffd" not in text and "<|" not in text
    return text


async def test_rest_of_the_line(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "arith.py", "")
    text = await type_and_complete(doc, "def add(a, b):\n    return a + ")
    assert "\n" not in text
    ast.parse(doc.text + text)


async def test_block_body_stays_in_its_block(client: LanguageClient, project: Path) -> None:
    header = "import os\n\n\ndef read_config(path):\n"
    doc = open_document(client, project / "config.py", "")
    text = await type_and_complete(doc, header + "    ")
    body = (doc.text + text)[len(header):].split("\n")
    assert all(line.startswith(" ") or not line.strip() for line in body)


async def test_a_crlf_document_gets_the_lf_suggestion_with_crlf(client: LanguageClient, project: Path) -> None:
    header = "import os\n\n\ndef read_config(path):\n"
    lf = await type_and_complete(open_document(client, project / "lf.py", header), "    ")
    crlf = await type_and_complete(open_document(client, project / "crlf.py", header.replace("\n", "\r\n")), "    ")
    assert "\n" in lf  # a block, so the line breaks show
    assert crlf == lf.replace("\n", "\r\n")
