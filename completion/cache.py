"""Type-through cache: typing the start of the suggestion on screen returns the rest with no model call.

Tabby's `cache.ts` pre-indexes a shown completion at each following character; here one entry per
document (the suggestion last shown) is matched directly: the request's prefix window must end with the
prefix the suggestion was made for plus some start of the suggestion, the suffix window must be
unchanged, and the cursor must be on the line that start of the suggestion leads to.
"""
from __future__ import annotations

from dataclasses import dataclass

from completion.context import CompletionContext

ANCHOR_CHARS = 512  # how much of the original prefix must still be there, just before what was typed


@dataclass(frozen=True)
class ShownCompletion:
    line: int
    prefix_tail: str
    suffix: str
    text: str
    mode: str


class TypeThroughCache:
    """The last suggestion shown per document."""

    def __init__(self) -> None:
        self._shown: dict[str, ShownCompletion] = {}

    def remember(self, ctx: CompletionContext, text: str, mode: str) -> None:
        if text:
            self._shown[ctx.uri] = ShownCompletion(ctx.line, ctx.prefix[-ANCHOR_CHARS:], ctx.suffix, text, mode)

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)

    def lookup(self, ctx: CompletionContext) -> tuple[str, str] | None:
        """(the rest of the shown suggestion, its mode) if the user typed a start of it, else None."""
        shown = self._shown.get(ctx.uri)
        if shown is None or ctx.suffix != shown.suffix:
            return None
        for typed in range(len(shown.text)):
            start = shown.text[:typed]
            if ctx.line == shown.line + start.count("\n") and ctx.prefix.endswith(shown.prefix_tail + start):
                rest = shown.text[typed:]
                return (rest, shown.mode) if rest.strip() else None
        return None
