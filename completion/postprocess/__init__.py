"""The postprocess pipeline: pure filters `(text, ctx, mode) -> text`, applied in the order written here.

Each filter is one module with the case it fixes in its docstring (as tabby-agent's `postprocess/`).
An empty result means "no suggestion".
"""
from __future__ import annotations

from collections.abc import Callable

from completion.context import CompletionContext
from completion.policy import Mode
from completion.postprocess.drop_auto_closed import drop_auto_closed
from completion.postprocess.drop_blank import drop_blank
from completion.postprocess.drop_looping_line import drop_looping_line
from completion.postprocess.drop_suffix_overlap import drop_suffix_overlap
from completion.postprocess.trim_trailing_space import trim_trailing_space

Filter = Callable[[str, CompletionContext, Mode], str]

FILTERS: tuple[Filter, ...] = (
    trim_trailing_space, drop_looping_line, drop_auto_closed, drop_suffix_overlap, drop_blank,
)


def postprocess(text: str, ctx: CompletionContext, mode: Mode) -> str:
    for step in FILTERS:
        text = step(text, ctx, mode)
        if not text:
            return ""
    return text


__all__ = ["FILTERS", "Filter", "postprocess"]
