"""Search over LSP and the CLI, with the tiny model: hover's "Similar code" names the obvious twin (and not the
symbol itself), `rodimus.semanticSearch` answers what `rodimus-lsp search --json` prints, bad arguments are
refused, and an edited function is found by its new text."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.search.conftest import FIXTURE_PROJECT
from tests.server.harness import SERVER, initialize_result, open_document, start_session, wait_for_index

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-workspace") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    return root


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, project: Path, tiny_model_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory):
    options = {"model": {"path": str(tiny_model_dir)}, "index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))}}
    await start_session(lsp_client, "visual-studio-code", project, options)
    await wait_for_index(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def search(client: LanguageClient, query: str, k: int = 5) -> list[dict]:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="rodimus.semanticSearch", arguments=[{"query": query, "k": k}]))


def cli_search(project: Path, model: Path, cache: Path, query: str, k: int = 5) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "lsp_server", "search", str(project), query, "-k", str(k), "--json", "--model",
         str(model), "--cache-dir", str(cache)], capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return json.loads(done.stdout)


async def test_the_command_is_advertised(client: LanguageClient) -> None:
    assert "rodimus.semanticSearch" in initialize_result(client).capabilities.execute_command_provider.commands


async def test_hover_lists_the_twin_as_similar_code(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "textutil" / "checksums.py")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc.identifier, position=doc.position("file_checksum", offset=2)))
    text = hover.contents.value
    assert "Defined in [textutil/checksums.py:7]" in text  # the graph's facts come first
    similar = text.split("**Similar code**", 1)[1]
    assert "[storage/blobs.py:7](" in similar and "`blob_digest`" in similar
    assert "textutil/checksums.py:7]" not in similar  # the symbol itself is left out


async def test_the_command_answers_what_the_cli_prints(client: LanguageClient, project: Path, tiny_model_dir: Path,
                                                       tmp_path: Path) -> None:
    query = "retry a flaky call with exponential backoff"
    hits = await search(client, query, 4)
    assert len(hits) == 4 and set(hits[0]) == {"path", "name", "kind", "start_line", "end_line", "score"}
    assert "retry_with_backoff" in [hit["name"] for hit in hits[:2]]
    printed = cli_search(project, tiny_model_dir, tmp_path / "cli-cache", query, 4)
    assert [(h["path"], h["name"], h["kind"], h["start_line"], h["end_line"]) for h in printed] == \
        [(h["path"], h["name"], h["kind"], h["start_line"], h["end_line"]) for h in hits]
    assert [h["score"] for h in printed] == pytest.approx([h["score"] for h in hits], rel=1e-3)


async def test_an_edited_function_is_found_by_its_new_text(client: LanguageClient, project: Path) -> None:
    doc = open_document(client, project / "net" / "retry.py")
    doc.replace("    host, _, port = address.rpartition", "    quokka_fallback = 1\n    host, _, port = address.rpartition")
    hits = await search(client, "quokka fallback", 1)
    assert [(h["name"], h["start_line"]) for h in hits] == [("parse_host_port", 17)]


@pytest.mark.parametrize("arguments", [[], [{}], [{"query": ""}], [{"query": "x", "k": 0}], [{"query": "x", "k": "3"}]])
async def test_bad_arguments_are_an_invalid_params_error(client: LanguageClient, arguments: list) -> None:
    with pytest.raises(Exception, match="expected arguments|must be an integer"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="rodimus.semanticSearch", arguments=arguments))
