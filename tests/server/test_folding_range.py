"""textDocument/foldingRange from the parse tree, under VS Code's capabilities (rangeLimit 5000) and Neovim's."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import open_document

pytestmark = pytest.mark.asyncio(loop_scope="module")

METHODS = 2600


async def test_folds_follow_the_buffer_and_a_range_limit_keeps_the_outermost(
    client: LanguageClient, project: Path
) -> None:
    methods = "".join(f"    def m{n}(self):\n        if self:\n            return {n}\n" for n in range(METHODS))
    text = "import os\nimport sys\n\n\nclass Big:\n" + methods
    big = open_document(client, project / "big.py", text)  # not on disk: the open buffer is what folds
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=big.identifier))
    assert folds is not None
    starts = {fold.start_line: fold for fold in folds}
    assert starts[0].end_line == 1 and starts[0].kind == types.FoldingRangeKind.Imports
    assert starts[4].end_line == 4 + 3 * METHODS and starts[4].kind is None  # the class
    methods_folded = [line for line in range(5, 5 + 3 * METHODS, 3) if line in starts]
    ifs_folded = [line for line in range(6, 5 + 3 * METHODS, 3) if line in starts]
    assert len(methods_folded) == METHODS and all(starts[line].end_line == line + 2 for line in methods_folded)
    assert all(fold.start_character is None and fold.end_character is None for fold in folds)  # whole lines
    limit = client.capabilities.text_document.folding_range.range_limit if client.capabilities else None
    if limit is not None:  # VS Code: 5000, so some of the innermost folds (the `if`s) are left out
        assert len(folds) == limit and len(ifs_folded) == limit - 2 - METHODS
    else:
        assert len(folds) == 2 + 2 * METHODS and len(ifs_folded) == METHODS
    big.close()


async def test_a_file_outside_the_graph_gets_no_folds(client: LanguageClient, project: Path) -> None:
    notes = open_document(client, project / "notes.txt", "a\nb\n", language_id="plaintext")
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=notes.identifier))
    assert not folds
    notes.close()
