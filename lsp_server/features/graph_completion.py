"""The code graph's names in the completion menu, after the AI suggestion (analysis/completion_names.py)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features.target import position_target

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

_KINDS = {
    "class": types.CompletionItemKind.Class,
    "function": types.CompletionItemKind.Function,
    "module": types.CompletionItemKind.Module,
    "variable": types.CompletionItemKind.Variable,
}
_ORIGINS = {"member": "member", "scope": "in scope", "builtin": "builtin", "workspace": "workspace symbol"}


async def graph_items(ls: RodimusServer, params: types.CompletionParams) -> list[types.CompletionItem]:
    """Nearest names first (`sortText` keeps the server's order after the AI item's "\\0"); never raises, so a
    failure here costs the menu its names, not its AI suggestion."""
    try:
        found = await position_target(ls, params.text_document.uri, params.position)
        if found is None:
            return []
        target, pos = found
        names = await ls.query(target.project.completion_names, target.path, pos)
    except Exception:
        logger.exception("graph names for completion at %s:%d failed", params.text_document.uri, params.position.line)
        return []
    where = {"uri": params.text_document.uri, "line": params.position.line, "character": params.position.character}
    return [
        types.CompletionItem(
            label=candidate.name,
            kind=_KINDS.get(candidate.kind, types.CompletionItemKind.Variable),
            detail=_ORIGINS.get(candidate.origin, candidate.origin),
            sort_text=f"{rank:04d}",
            data=where,
        )
        for rank, candidate in enumerate(names)
    ]


async def resolve(ls: RodimusServer, item: types.CompletionItem) -> types.CompletionItem:
    """`completionItem/resolve`: the signature and docstring of a graph name, looked up at the position it was
    offered at (`data`); any other item, or data the client changed, comes back as it was."""
    where = item.data if isinstance(item.data, dict) else {}
    uri, line, character = where.get("uri"), where.get("line"), where.get("character")
    if not isinstance(uri, str) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                           for n in (line, character)):
        return item
    try:
        found = await position_target(ls, uri, types.Position(line, character))
        described = None
        if found is not None:
            target, pos = found
            described = await ls.query(target.project.describe_name, target.path, pos, item.label)
    except Exception:
        logger.exception("describing completion item %r failed", item.label)
        return item
    if described is not None:
        signature, docstring = described
        item.detail = signature
        text = f"```python\n{signature}\n```" + (f"\n\n{docstring}" if docstring else "")
        item.documentation = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return item
