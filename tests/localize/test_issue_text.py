"""Where "Fix this issue" is offered and what issue text it carries (the code action's cheap part)."""
from __future__ import annotations

from lsprotocol import types

from lsp_server.documents import Lines
from lsp_server.features.fix_issue import _issue_at

SOURCE = '''def total(cart):
    # FIXME: the discount is applied twice
    #   when the cart has one line
    return price(cart) * (1 - cart.discount)  # todo: lower-case is not a marker

x = a * bug  # multiplication, not a marker
'''


def at(line: int, character: int = 0) -> types.Range:
    return types.Range(types.Position(line, character), types.Position(line, character))


def test_a_marker_comment_with_its_continuation_lines_is_the_issue() -> None:
    issue, diagnostics = _issue_at(Lines(SOURCE), at(1, 6), [], "utf-16")
    assert issue == "# FIXME: the discount is applied twice\n#   when the cart has one line" and diagnostics == []


def test_no_issue_on_plain_code_lower_case_markers_or_products() -> None:
    for line in (0, 3, 5):
        assert _issue_at(Lines(SOURCE), at(line), [], "utf-16") == (None, [])


def test_a_selection_in_utf16_units_is_cut_on_characters() -> None:
    lines = Lines("name = 'Größe 😀 wrong'\n")
    selection = types.Range(types.Position(0, 8), types.Position(0, 22))  # 😀 is two UTF-16 units
    assert _issue_at(lines, selection, [], "utf-16")[0] == "Größe 😀 wrong"
