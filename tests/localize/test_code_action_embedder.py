"""`rodimus.localize` with a search head in the model folder: the server hands the search embedder and the
search index's vectors to localization, and ranks as `rodimus-lsp localize --model` does."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from analysis.localize import localize
from tests.localize.conftest import FIXTURE_REPO
from tests.localize.test_embedder_seam import localize_cli
from tests.localize.test_rewriter import TRACEBACK_ISSUE
from tests.server.harness import SERVER, start_session, wait_for_index

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fix-embedder-workspace") / "shop-repo"
    shutil.copytree(FIXTURE_REPO, root)
    return root


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, project: Path, tiny_model_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory):
    options = {"model": {"path": str(tiny_model_dir)}, "index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))}}
    await start_session(lsp_client, "visual-studio-code", project, options)
    await wait_for_index(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_localize_with_a_head_ranks_as_the_cli_with_that_head(client: LanguageClient, project: Path,
                                                                    tiny_model_dir: Path, tmp_path: Path,
                                                                    index) -> None:  # fmt: skip
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("rodimus.localize", [{"issue": TRACEBACK_ISSUE}]))  # fmt: skip
    with_head = json.loads(localize_cli(project, tmp_path, "-k", "10", "--model", str(tiny_model_dir)).stdout)
    without = localize(index, TRACEBACK_ISSUE).to_json()  # the same repository, no embedder
    assert [f["path"] for f in result["files"]] == [f["path"] for f in with_head["files"]]
    assert [f["score"] for f in result["files"]] != [f["score"] for f in without["files"]]  # embeddings counted
    assert result["files"][0]["path"] == "shop/pricing.py"
