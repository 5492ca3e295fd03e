"""StopRule.cut: where generation stops for lines, Python blocks and brace blocks."""
from __future__ import annotations

from completion.policy import Mode
from completion.stop import StopRule, first_unbalanced_closer


def test_line_stops_at_newline() -> None:
    rule = StopRule(Mode.LINE, suffix="")
    assert rule.cut("x = 1") is None
    assert rule.cut("x = 1\ny") == 5


def test_line_stops_before_an_auto_closed_bracket() -> None:
    rule = StopRule(Mode.LINE, suffix=")\nnext")
    assert rule.cut("len(x)") is None  # balanced: the model may go on
    assert rule.cut("len(x))") == 6
    assert StopRule(Mode.LINE, suffix="").cut("a)") is None  # nothing after the cursor: the closer is needed


def test_python_block_stops_at_dedent() -> None:
    rule = StopRule(Mode.BLOCK, suffix="\n\nprint(1)", block_indent="    ")
    text = "\n        x = 1\n\n        return x\n    def other(self):"
    assert rule.cut(text) == text.index("\n    def")
    assert rule.cut("\n        x = 1\n   ") is None  # an indentation still being written decides nothing


def test_block_line_limit() -> None:
    rule = StopRule(Mode.BLOCK, suffix="", max_lines=2)
    assert rule.cut("\n  a\n  b\n  c") == len("\n  a")


def test_brace_block_stops_at_the_closing_brace() -> None:
    text = "\n  return 1;\n}\nfunction g() {"
    assert StopRule(Mode.BLOCK, suffix="\n}\n", indent_scoped=False).cut(text) == text.index("\n}")
    assert StopRule(Mode.BLOCK, suffix="", indent_scoped=False).cut(text) == text.index("}") + 1


def test_first_unbalanced_closer() -> None:
    assert first_unbalanced_closer("f(a[1]) + 2)") == 11
    assert first_unbalanced_closer("{[()]}") is None
