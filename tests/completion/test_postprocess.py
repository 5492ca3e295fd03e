"""The postprocess filters, one case each, and the pipeline in order."""
from __future__ import annotations

import pytest

from completion.policy import Mode
from completion.postprocess import postprocess
from completion.postprocess.drop_auto_closed import drop_auto_closed
from completion.postprocess.drop_blank import drop_blank
from completion.postprocess.drop_looping_line import drop_looping_line
from completion.postprocess.drop_suffix_overlap import drop_suffix_overlap
from completion.postprocess.trim_trailing_space import trim_trailing_space
from tests.completion.cursor import context_at


@pytest.mark.parametrize(("marked", "text", "expected"), [
    ("foo(║)", "a, b)", "a, b"),
    ("print(║)", "len(x)", "len(x)"),  # balanced: the closer is the model's own
    ("x = [║]\n", "1, 2]", "1, 2"),
    ("x = f(║", "a)", "a)"),  # nothing auto-closed after the cursor
])
def test_drop_auto_closed(marked: str, text: str, expected: str) -> None:
    assert drop_auto_closed(text, context_at(marked), Mode.LINE) == expected


def test_drop_suffix_overlap_line() -> None:
    ctx = context_at("value = ║ # total")
    assert drop_suffix_overlap("a + b # total", ctx, Mode.LINE) == "a + b"
    assert drop_suffix_overlap("# total", ctx, Mode.LINE) == "# total"  # nothing would be left


def test_drop_suffix_overlap_block() -> None:
    ctx = context_at("def f():\n    ║\n\n    return y\n")
    text = "x = 1\n    y = x + 1\n    return y"
    assert drop_suffix_overlap(text, ctx, Mode.BLOCK) == "x = 1\n    y = x + 1"


def test_trim_and_blank() -> None:
    ctx = context_at("x = ║")
    assert trim_trailing_space("1  \n\n", ctx, Mode.LINE) == "1"
    assert drop_blank(" \n\t", ctx, Mode.LINE) == ""


def test_pipeline() -> None:
    assert postprocess("a, b)   \n", context_at("foo(║)"), Mode.LINE) == "a, b"
    assert postprocess("   ", context_at("foo(║)"), Mode.LINE) == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("self.assertEqual(self.f" + ", self.b" * 14 + ",", ""),  # the starter without its cache, at the token limit
    ("x = 1\n    return self" + ".a" * 9, "x = 1"),  # the loop's line goes, the lines before it stay
    ("call(" + "the " * 10, ""),
    ("x = [" + "0, " * 12 + "0]", None),  # a repetition that closes is data, not a loop
    ("# " + "-" * 60, None),  # separators: no word character
    ("# " + "_" * 60, None),  # nor anything but word characters
    ("mask = 0x" + "F" * 32, None),
    ("def test_issue_with_" + "path_" * 27, ""),  # a name that loops (the starter on pygls' server.py)
    ("mask = 0x" + "5A" * 16, None),  # a pattern of two characters is a literal
    ("self.b" * 7, None),  # too few copies
])
def test_drop_looping_line(text: str, expected: str | None) -> None:
    assert drop_looping_line(text, context_at("x = ║"), Mode.BLOCK) == (text if expected is None else expected)


def test_a_loop_on_a_huge_line_is_found_at_bounded_cost() -> None:
    line = "x" * 200_000 + ", self.b" * 30
    assert drop_looping_line(line, context_at("║"), Mode.LINE) == ""
    assert drop_looping_line("y" * 200_000, context_at("║"), Mode.LINE) == "y" * 200_000
