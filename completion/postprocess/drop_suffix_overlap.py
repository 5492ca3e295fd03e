"""A model often writes again what already follows the cursor; drop that repeated tail.

Line mode: the completion ends with the rest of the line (bracket-free: brackets are `drop_auto_closed`'s
job, which knows about balance). Block mode: its last lines repeat the first non-blank lines after the
cursor.
"""
from __future__ import annotations

from completion.context import CompletionContext
from completion.policy import Mode
from completion.stop import CLOSERS, OPENERS

_BRACKETS = set(OPENERS) | set(CLOSERS)


def drop_suffix_overlap(text: str, ctx: CompletionContext, mode: Mode) -> str:
    if mode is Mode.BLOCK:
        return _drop_repeated_lines(text, ctx.suffix)
    rest = ctx.line_suffix.strip()
    if rest and not _BRACKETS & set(rest) and text.endswith(rest) and len(text) > len(rest):
        return text[: len(text) - len(rest)].rstrip()
    return text


def _drop_repeated_lines(text: str, suffix: str) -> str:
    lines = text.split("\n")
    following = [line.strip() for line in suffix.split("\n")[1:] if line.strip()]
    for n in range(min(len(lines) - 1, len(following)), 0, -1):
        if [line.strip() for line in lines[-n:]] == following[:n]:
            return "\n".join(lines[:-n]).rstrip()
    return text
