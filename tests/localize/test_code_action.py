""""Fix this issue" over LSP: the action appears on a TODO line, a selection and a diagnostic; its resolve runs
the pipeline with progress and, with no reader configured, returns the localization and how to configure a reader
(never a made-up patch); `rodimus.localize` prints the CLI's JSON; with an OpenAI-compatible reader (a test
double endpoint here) `rodimus.fixIssue` returns a validated WorkspaceEdit that the server does not write."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.localize.conftest import FIXTURE_REPO
from tests.localize.doubles import canned_chat_endpoint
from tests.server.harness import SERVER, initialize_result, open_document, start_session, wait_for_index

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODO = "        # TODO: remove_item must reset discount_percent when the cart becomes empty\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fix-workspace") / "shop-repo"
    shutil.copytree(FIXTURE_REPO, root)
    return root


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, project: Path, tmp_path_factory: pytest.TempPathFactory):
    # "without a reader": the local backend pointed at an empty folder, so the shipped starter reader is not used
    options = {"index": {"cacheDir": str(tmp_path_factory.mktemp("cache"))},
               "cgm": {"backend": "local", "model": str(tmp_path_factory.mktemp("no-reader"))}}
    await start_session(lsp_client, "visual-studio-code", project, options)
    await wait_for_index(lsp_client)
    yield
    await lsp_client.shutdown_session()


def cart_with_todo(client: LanguageClient, project: Path):
    text = (project / "shop/cart.py").read_text()
    anchor = "    def remove_item(self, sku: str) -> None:\n"
    return open_document(client, project / "shop/cart.py", text.replace(anchor, anchor + TODO))


async def actions(client: LanguageClient, doc, range_: types.Range, diagnostics=()) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(doc.identifier, range_, types.CodeActionContext(diagnostics=list(diagnostics)))
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_capabilities(client: LanguageClient) -> None:
    capabilities = initialize_result(client).capabilities
    provider = capabilities.code_action_provider
    assert provider.resolve_provider and types.CodeActionKind.QuickFix in provider.code_action_kinds
    assert {"rodimus.localize", "rodimus.fixIssue"} <= set(capabilities.execute_command_provider.commands)


async def test_the_action_is_offered_on_a_todo_line_cheaply_and_not_on_plain_code(client, project) -> None:
    doc = cart_with_todo(client, project)
    todo = types.Range(doc.position("TODO"), doc.position("TODO"))
    (action,) = await actions(client, doc, todo)
    assert action.title == "Fix this issue" and action.kind == types.CodeActionKind.QuickFix
    assert action.edit is None and "remove_item must reset discount_percent" in action.data["issue"]
    plain = types.Range(doc.position("def subtotal"), doc.position("def subtotal"))
    assert await actions(client, doc, plain) == []


async def test_the_action_is_offered_on_a_selection_and_on_a_diagnostic(client, project) -> None:
    doc = cart_with_todo(client, project)
    selection = doc.range_of("self.lines.append(Line(sku, price, quantity))")
    (action,) = await actions(client, doc, selection)
    assert action.data["issue"].startswith("self.lines.append(Line(sku, price, quantity))")
    diagnostic = types.Diagnostic(range=doc.range_of("def total"), message="total() is wrong for empty carts",
                                  source="tests")  # fmt: skip
    (action,) = await actions(client, doc, types.Range(diagnostic.range.start, diagnostic.range.start), [diagnostic])
    assert list(action.diagnostics) == [diagnostic] and "total() is wrong for empty carts" in action.data["issue"]


async def test_resolve_without_a_reader_shows_the_localization_and_invents_no_patch(client, project) -> None:
    doc = cart_with_todo(client, project)
    (action,) = await actions(client, doc, types.Range(doc.position("TODO"), doc.position("TODO")))
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is None and resolved.data["patch"] is None
    assert resolved.data["localization"]["files"][0]["path"] == "shop/cart.py"
    message = resolved.data["message"]
    assert "shop/cart.py" in message and "cgm.backend" in message and "cgm.endpoint" in message
    fixing = [r for r in client.progress_reports.values() if r and getattr(r[0], "title", "") == "Fixing issue"]
    assert fixing and isinstance(fixing[-1][-1], types.WorkDoneProgressEnd)
    assert any("cgm.backend" in m.message for m in client.messages if m.type == types.MessageType.Info)


async def test_localize_command_returns_the_cli_json(client) -> None:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "rodimus.localize", [{"issue": "Inventory.reserve raises OutOfStock after a restock"}]
    ))  # fmt: skip
    assert set(result) == {"files", "functions"} and result["files"][0]["path"] == "shop/inventory.py"
    assert {"path", "name", "start_line", "end_line", "score"} == set(result["functions"][0])


CART_FIX = (
    "shop/cart.py\n<<<<<<< SEARCH\n        self.lines = [line for line in self.lines if line.sku != sku]\n"
    "=======\n        self.lines = [line for line in self.lines if line.sku != sku]\n"
    "        if not self.lines:\n            self.discount_percent = 0.0\n>>>>>>> REPLACE\n"
)


@pytest.fixture(scope="module")
def canned_endpoint() -> Iterator[str]:
    with canned_chat_endpoint(CART_FIX) as url:
        yield url


async def test_fix_issue_with_a_reader_returns_a_workspace_edit_and_writes_nothing(
    client, project, canned_endpoint
) -> None:
    before = (project / "shop/cart.py").read_text()
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"rodimus": {"cgm": {"backend": "openai", "endpoint": canned_endpoint, "model": "canned"}}}
    ))  # fmt: skip
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "rodimus.fixIssue", [{"issue": "remove_item must reset the discount when the cart becomes empty"}]
    ))  # fmt: skip
    assert result["files"] == ["shop/cart.py"] and "+            self.discount_percent = 0.0" in result["patch"]
    (uri, edits), = result["edit"]["changes"].items()
    assert uri.endswith("shop/cart.py") and "self.discount_percent = 0.0" in edits[0]["newText"]
    assert (project / "shop/cart.py").read_text() == before
