"""Trailing whitespace and blank lines at the end of a completion would be inserted as junk."""
from __future__ import annotations

from completion.context import CompletionContext
from completion.policy import Mode


def trim_trailing_space(text: str, ctx: CompletionContext, mode: Mode) -> str:
    return text.rstrip()
