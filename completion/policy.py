"""Decide what to complete at the cursor: nothing, the rest of the line, or a block body.

As llm-ls' `should_complete` does, from the tree-sitter node at the cursor, kept apart from prompting and
generation. Only a bounded window of text around the cursor is parsed (from the last top-level line of
the context's prefix), so the decision costs the same in any document size.

- Mid-word (an identifier character right after the cursor): skip Automatic triggers.
- Text after the cursor on its line: complete the rest of the line.
- End of a line (or a blank line) right after a block opener whose body is empty: a block.
- Otherwise: the rest of the line.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import tree_sitter

from completion.context import CompletionContext, Trigger
from completion.languages import LanguageFacts, facts_for, parser_for


class Mode(enum.Enum):
    SKIP = "skip"
    LINE = "line"
    BLOCK = "block"


@dataclass(frozen=True)
class Decision:
    mode: Mode
    block_indent: str = ""  # BLOCK: indentation of the line holding the opener; lines at or below it end the block


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def decide(ctx: CompletionContext, multiline: bool = True) -> Decision:
    """Skip, line or block at the context's cursor."""
    line_suffix = ctx.line_suffix
    if line_suffix.strip():
        if _is_word_char(line_suffix[0]) and ctx.trigger is Trigger.AUTOMATIC:
            return Decision(Mode.SKIP)
        return Decision(Mode.LINE)
    if not multiline:
        return Decision(Mode.LINE)
    facts = facts_for(ctx.language_id)
    opener_line = _empty_block_opener_line(ctx, facts)
    if opener_line is None:
        return Decision(Mode.LINE)
    return Decision(Mode.BLOCK, opener_line[: len(opener_line) - len(opener_line.lstrip(" \t"))])


def _empty_block_opener_line(ctx: CompletionContext, facts: LanguageFacts | None) -> str | None:
    """The line of the block opener right before the cursor when that block's body is still empty."""
    before = ctx.prefix.rstrip()
    opener = facts.opener if facts is not None else ":"
    if not before.endswith(opener if facts is not None else (":", "{")):
        return None
    opener_line = before[before.rfind("\n") + 1 :]
    if facts is None:
        return opener_line if _next_line_not_deeper(ctx, opener_line) else None
    start = _window_start(ctx.prefix)
    window = (ctx.prefix[start:] + ctx.suffix).encode("utf-8")
    anchor = len(before[start:].encode("utf-8")) - len(opener.encode("utf-8"))
    tree = parser_for(facts).parse(window)
    node = tree.root_node.descendant_for_byte_range(anchor, anchor + 1)
    if node is None or node.type != opener:
        return None
    if _opens_empty_block(node, facts):
        return opener_line
    # A brace the grammar could not place (an unfinished statement parses as an object literal, say):
    # trust the text when nothing but a closing brace follows.
    parent = node.parent
    if node.has_error or (parent is not None and (parent.has_error or parent.type == "object")):
        rest = ctx.suffix.lstrip()
        return opener_line if not facts.indent_scoped and (not rest or rest.startswith("}")) else None
    return None


def _opens_empty_block(opener: tree_sitter.Node, facts: LanguageFacts) -> bool:
    parent = opener.parent
    if facts.indent_scoped and parent is not None:
        # `next_sibling` skips the zero-width block tree-sitter makes for an empty body: walk the children.
        siblings = parent.children
        after = [c for c in siblings if c.start_byte >= opener.end_byte and c.id != opener.id]
        block = after[0] if after else None
    else:
        block = parent
    if block is None or block.type not in facts.block_types:
        return False
    return all(child.type == "comment" for child in block.named_children)


def _next_line_not_deeper(ctx: CompletionContext, opener_line: str) -> bool:
    """Text-only rule: the body is empty when the next non-blank line is not indented deeper."""
    depth = len(opener_line) - len(opener_line.lstrip(" \t"))
    for line in ctx.suffix.split("\n")[1:]:
        if line.strip():
            return len(line) - len(line.lstrip(" \t")) <= depth
    return True


def _window_start(prefix: str) -> int:
    """Start of the last top-level line in the prefix window, so the parse sees a whole statement."""
    newline = prefix.rfind("\n")
    while newline >= 0:
        if newline + 1 < len(prefix) and not prefix[newline + 1].isspace():
            return newline + 1
        newline = prefix.rfind("\n", 0, newline)
    return 0
