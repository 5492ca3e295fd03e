"""Hover: Markdown built from sections, each a small async function, joined by rules.

The first section renders the graph's facts about the symbol (signature in a code block, docstring, where
it is defined, callers and callees; a class's bases and subclasses, the method a method overrides). Later
features append their own section to `ls.hover_sections` (for example "Similar code" from semantic search); a
section that fails or has nothing to say is left out.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from analysis.types import HoverFacts, Pos
from lsp_server.features.target import position_target

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)

SEPARATOR = "\n\n---\n\n"

_FENCE_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".go": "go", ".java": "java", ".rs": "rust",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
}  # fmt: skip


@dataclass(frozen=True)
class HoverQuery:
    """What every section gets: where the cursor is and the graph's facts there (None if no symbol)."""

    uri: str
    path: str
    pos: Pos
    facts: HoverFacts | None


HoverSection = Callable[["RodimusServer", HoverQuery], Awaitable["str | None"]]


async def hover(ls: RodimusServer, params: types.HoverParams) -> types.Hover | None:
    found = await position_target(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    target, pos = found
    facts = await ls.query(target.project.hover, target.path, pos)
    query = HoverQuery(target.uri, target.path, pos, facts)
    parts = await asyncio.gather(*(section(ls, query) for section in ls.hover_sections), return_exceptions=True)
    texts = []
    for section, part in zip(ls.hover_sections, parts):
        if isinstance(part, BaseException):
            logger.error("hover section %s failed", getattr(section, "__name__", section), exc_info=part)
        elif part:
            texts.append(part)
    if not texts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=SEPARATOR.join(texts)))


async def graph_facts_section(ls: RodimusServer, query: HoverQuery) -> str | None:
    facts = query.facts
    if facts is None:
        return None
    return render_facts(facts, ls.texts().uri(facts.defined_at.path), _relative(ls, facts.defined_at.path))


def render_facts(facts: HoverFacts, uri: str, shown_path: str) -> str:
    """Markdown: signature, docstring, then "Defined in file:line", the call counts and, for a class, its bases and
    subclasses, for a method what it overrides."""
    language = _FENCE_LANGUAGES.get(Path(facts.defined_at.path).suffix, "")
    signature = facts.signature.replace("\r\n", "\n").strip() or facts.name  # a CRLF file's text: "\n" in Markdown
    fence = "````" if "```" in signature else "```"
    parts = [f"{fence}{language}\n{signature}\n{fence}"]
    if docstring := facts.docstring.replace("\r\n", "\n").strip():
        parts.append(docstring)
    line = facts.defined_at.span.start.line + 1
    where = f"Defined in [{shown_path}:{line}]({uri}#L{line})"
    facts_line = [where, _count(facts.callers, "caller"), _count(facts.callees, "callee")]
    if facts.bases:
        facts_line.append("extends " + ", ".join(f"`{base}`" for base in facts.bases))
    if facts.kind == "CLASS":
        facts_line.append(_count(facts.subclasses, "subclass", "subclasses"))
    if facts.overrides:
        facts_line.append(f"overrides `{facts.overrides}`")
    parts.append(" · ".join(facts_line))
    return "\n\n".join(parts)


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _relative(ls: RodimusServer, path: str) -> str:
    """`path` relative to the workspace root with "/" separators (absolute outside the root)."""
    try:
        return Path(path).relative_to(ls.root).as_posix() if ls.root is not None else path
    except ValueError:
        return Path(path).as_posix()
