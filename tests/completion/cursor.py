"""Test documents mark the cursor with "║" (as tabby-agent's tests do)."""
from __future__ import annotations

from completion.context import CompletionContext, Trigger

CURSOR = "║"


def context_at(marked: str, language_id: str = "python", trigger: Trigger = Trigger.AUTOMATIC,
               uri: str = "file:///t.py") -> CompletionContext:
    at = marked.index(CURSOR)
    text = marked.replace(CURSOR, "")
    line = text.count("\n", 0, at)
    column = len(text[text.rfind("\n", 0, at) + 1 : at].encode("utf-8"))
    return CompletionContext.in_text(text, line, column, uri=uri, language_id=language_id, trigger=trigger)
