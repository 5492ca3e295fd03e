"""decide(): skip mid-word, the rest of the line mid-line, a block after an opener whose body is empty."""
from __future__ import annotations

import pytest

from completion.context import Trigger
from completion.policy import Mode, decide
from tests.completion.cursor import context_at

CASES = [
    ("python", "def f():║", Mode.BLOCK, ""),
    ("python", "def f():\n    ║", Mode.BLOCK, ""),
    ("python", "class A:\n    def g(self):\n        if x:║\n\nprint(1)", Mode.BLOCK, "        "),
    ("python", "class A:\n    def g(self):\n        if x:\n            ║\n\nprint(1)", Mode.BLOCK, "        "),
    ("python", "def f():\n    ║\n    return 1\n", Mode.LINE, ""),  # the body is not empty
    ("python", 'x = {"a":║', Mode.LINE, ""),  # a colon that opens no block
    ("python", "def f():  # note\n    ║", Mode.LINE, ""),
    ("python", "foo(║)", Mode.LINE, ""),
    ("python", "x = 1║", Mode.LINE, ""),
    ("python", "fo║o", Mode.SKIP, ""),
    ("javascript", "function f() {║\n}\n", Mode.BLOCK, ""),
    ("javascript", "if (x) {║", Mode.BLOCK, ""),
    ("javascript", "if (x) {║\n  y();\n}", Mode.LINE, ""),
    ("c", "int f() {\n  ║\n}", Mode.BLOCK, ""),
    ("rust", "fn f() {\n    let x = 1;\n    ║\n}", Mode.LINE, ""),
    ("go", "func f() {\n\t║\n}\n", Mode.BLOCK, ""),
    ("plaintext", "items:\n  ║", Mode.BLOCK, ""),  # no grammar: the text rule
]


@pytest.mark.parametrize(("language", "marked", "mode", "indent"), CASES)
def test_decide(language: str, marked: str, mode: Mode, indent: str) -> None:
    decision = decide(context_at(marked, language))
    assert (decision.mode, decision.block_indent) == (mode, indent)


def test_invoked_mid_word_completes_the_line() -> None:
    assert decide(context_at("fo║o", trigger=Trigger.INVOKED)).mode is Mode.LINE


def test_multiline_off_gives_lines() -> None:
    assert decide(context_at("def f():║"), multiline=False).mode is Mode.LINE
