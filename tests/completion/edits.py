"""Hypothesis strategies for edit sequences on source text (character positions, so UTF-8 stays valid)."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

PIECES = ["a", "x", "_", "self", " ", "  ", "    ", "\t", "\n", "\r\n", "\n    ", "(", ")", ":", "=", ".", ",",
          '"', "'s", "é", "😀", "中文", "1", "42", "def ", "return ", "<|endoftext|>", "#", "{", "}"]

BASE = '''import os


class Greeter:
    """Say hello."""

    def greet(self, name: str) -> str:
        if not name:
            return "hello, 😀 world"
        return f"hello, {name}"  # é


def main():
    print(Greeter().greet(os.environ.get("USER", "")))
'''


@dataclass(frozen=True)
class CharEdit:
    where: float  # fraction of the text's length
    delete: int  # characters removed from there
    insert: str

    def apply(self, text: str) -> tuple[int, int, str]:
        """(start, end, inserted) in code points for this text."""
        start = min(int(self.where * (len(text) + 1)), len(text))
        return start, min(len(text), start + self.delete), self.insert


edits = st.builds(
    CharEdit,
    st.floats(0, 1, allow_nan=False),
    st.sampled_from([0, 0, 0, 1, 1, 2, 5, 12]),
    st.lists(st.sampled_from(PIECES), max_size=4).map("".join),
)


def byte_span(text: str, start: int, end: int) -> tuple[int, int]:
    return len(text[:start].encode("utf-8")), len(text[:end].encode("utf-8"))
