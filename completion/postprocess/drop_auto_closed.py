"""`foo(|)` completed as `a, b)` would leave `foo(a, b))`: drop closers the editor already inserted.

Only brackets that close something opened before the cursor count, so `len(x)` before `)` stays whole.
"""
from __future__ import annotations

from completion.context import CompletionContext
from completion.policy import Mode
from completion.stop import first_unbalanced_closer


def drop_auto_closed(text: str, ctx: CompletionContext, mode: Mode) -> str:
    last_line_start = text.rfind("\n") + 1
    closer = first_unbalanced_closer(text[last_line_start:])
    if closer is None:
        return text
    cut = last_line_start + closer
    tail = text[cut:].strip()
    following = (ctx.line_suffix if last_line_start == 0 else ctx.suffix).lstrip()
    return text[:cut] if following.startswith(tail) else text
