"""A whitespace-only suggestion is noise: ghost text the user cannot see but can accept."""
from __future__ import annotations

from completion.context import CompletionContext
from completion.policy import Mode


def drop_blank(text: str, ctx: CompletionContext, mode: Mode) -> str:
    return text if text.strip() else ""
