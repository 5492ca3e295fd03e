"""textDocument/selectionRange ("expand selection") from the parse tree, under a UTF-16 and a UTF-8 client."""
from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.harness import encoding, open_document, text_in

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_each_range_grows_to_the_next_syntax_node_up_to_the_whole_file(
    client: LanguageClient, project: Path
) -> None:
    app = open_document(client, project / "app.py")
    past_the_end = types.Position(9999, 0)
    positions = [app.position("len(s)", offset=1), past_the_end]
    ranges = await client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=app.identifier, positions=positions)
    )
    assert ranges is not None and len(ranges) == 2  # one answer per position, as the specification asks
    covered, node = [], ranges[0]
    while node is not None:
        covered.append(text_in(project / "app.py", node.range, encoding(client)))
        node = node.parent
    assert covered[:4] == ["len", "len(s)", "(len(s), 2)", "fläche(len(s), 2)"]  # after "😀😀" on the line above
    assert all(inner in outer and inner != outer for inner, outer in zip(covered, covered[1:]))
    assert covered[-1].strip() == app.text.strip()
