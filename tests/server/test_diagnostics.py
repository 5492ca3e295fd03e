"""Syntax errors of open documents as publishDiagnostics: on open, after edits pause, cleared by a fix, by close
and by turning the option off; positions in the session's encoding (UTF-16 for VS Code, UTF-8 for Neovim)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import TIMEOUT_S, open_document

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def published(client: LanguageClient, uri: str, check: Callable[[list[types.Diagnostic]], bool]) -> list:
    """The diagnostics last published for `uri`, once they pass `check` (polled: cancelling pytest-lsp's
    `wait_for_notification` on a timeout breaks its client)."""
    async def wait() -> list[types.Diagnostic]:
        while uri not in client.diagnostics or not check(list(client.diagnostics[uri])):
            await asyncio.sleep(0.02)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(wait(), TIMEOUT_S)


async def test_an_error_is_underlined_until_the_edit_that_fixes_it(client: LanguageClient, project: Path) -> None:
    broken = open_document(client, project / "broken.py", "s = '😀'; t = f((1,\nu = 2\n")
    (error,) = await published(client, broken.uri, bool)
    assert error.message == "'(' was never closed" and error.severity == types.DiagnosticSeverity.Error
    assert error.range == types.Range(broken.position("(1,"), broken.position("(1,", offset=1))  # after an astral
    assert error.source == "rodimus-lsp"
    broken.replace("(1,", "(1,))")
    assert await published(client, broken.uri, lambda diagnostics: not diagnostics) == []
    broken.replace("u = 2", "u = = 2")
    assert len(await published(client, broken.uri, bool)) == 1
    broken.close()
    assert await published(client, broken.uri, lambda diagnostics: not diagnostics) == []


async def test_newer_python_and_other_languages(client: LanguageClient, project: Path) -> None:
    generic = open_document(client, project / "generic.py", "type Pair[T] = tuple[T, T]\n")
    rust = open_document(client, project / "main.rs", "fn main() { let x = ; }\n", language_id="rust")
    (error,) = await published(client, rust.uri, bool)
    assert error.message == "syntax error: unexpected `=`" and error.range.start == rust.position("= ;")
    assert await published(client, generic.uri, lambda diagnostics: True) == []
    generic.close()
    rust.close()


async def test_turning_the_option_off_clears_what_is_shown(
    client: LanguageClient, project: Path, initialization_options: dict[str, Any]
) -> None:
    broken = open_document(client, project / "off.py", "def f(:\n")
    assert await published(client, broken.uri, bool)
    settings = {**initialization_options, "diagnostics": {"syntax": False}}  # the same index options: no rebuild
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"rodimus": settings}))
    assert await published(client, broken.uri, lambda diagnostics: not diagnostics) == []
    broken.replace("def f(:", "def g(:")
    await asyncio.sleep(1.0)  # past the pause after which a check would publish
    assert not client.diagnostics[broken.uri]
    broken.close()
