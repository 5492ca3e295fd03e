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
    return [
        types.CompletionItem(
            label=candidate.name,
            kind=_KINDS.get(candidate.kind, types.CompletionItemKind.Variable),
            detail=_ORIGINS.get(candidate.origin, candidate.origin),
            sort_text=f"{rank:04d}",
        )
        for rank, candidate in enumerate(names)
    ]
