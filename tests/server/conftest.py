"""Fixtures for the server's end-to-end tests; see harness.py for the helpers they build on."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from tests.server.harness import CLIENTS, FIXTURE_PROJECT, SERVER, start_session, wait_for_index


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture project (tests may edit files on disk)."""
    root = tmp_path_factory.mktemp("workspace") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    return root


@pytest.fixture(scope="module")
def initialization_options(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The options the client starts the server with; a test module may override this fixture."""
    return {"index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))}}


@pytest_lsp.fixture(config=SERVER, params=CLIENTS, scope="module")
async def client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest, project: Path, initialization_options: dict[str, Any]
):
    """A server on the fixture project, one per client kind, indexed before the first test runs."""
    await start_session(lsp_client, request.param, project, initialization_options)
    await wait_for_index(lsp_client)
    yield
    await lsp_client.shutdown_session()
