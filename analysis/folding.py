"""Folding ranges from a parse tree, for any language the graph parses: code blocks, comments, imports, regions.

A fold names the line that stays visible (`start`) and the last line it hides (`end`). The rules, chosen so that
folding a line hides what a reader means by "its body" in every grammar without a per-language table:

- each line gets the fold of the outermost multi-line syntax node that starts on it, leaving out nodes that only
  group their first child with what follows (a statement block, a decorated definition);
- a closing bracket that begins the node's last line at (or left of) the header's indentation stays visible
  (`}` of a function, `)` of a call laid out one argument per line);
- a following clause that begins a line at the header's indentation ends the fold before it (`elif`, `else`,
  `except`), and so does a brace body opened on the header line and closed at the start of a later line
  (`} else {`): each of those lines gets its own fold;
- runs of whole-line comments and multi-line comments fold as `comment`, runs of import statements as
  `imports`, and `region` / `endregion` comment markers (VS Code's convention, any comment leader) as `region`.

Folds never cross: one that would start inside another and end after it is dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from analysis.languages import BY_NAME

_CLOSERS = frozenset({b"}", b")", b"]"})
_BRACE_BODY_FIELDS = ("body", "consequence")
_REGION_MARKER = re.compile(rb"(?:#|//+|/\*+|--)\s*#?\s*(end)?region\b", re.IGNORECASE)


@dataclass(frozen=True)
class Fold:
    start: int  # 0-based line that stays visible
    end: int  # last 0-based line the fold hides
    kind: str | None = None  # "comment", "imports", "region" or None for code


def folding_ranges(root: Node, src: bytes, lang: str) -> list[Fold]:
    """The folds of one parsed file, ordered by start line, at most one per start line, properly nested."""
    layout = _Layout(src)
    import_types = BY_NAME[lang].import_nodes if lang in BY_NAME else frozenset()
    code: dict[int, int] = {}  # start line -> last hidden line
    comments: list[Node] = []
    extra: list[Fold] = []
    stack = [root]
    while stack:
        node = stack.pop()
        run: list[Node] = []
        children = node.children
        for child in children:
            if child.type.endswith("comment"):
                comments.append(child)
                continue
            if child.type in import_types:
                run.append(child)
                continue
            if child.is_named:
                extra.extend(_import_run(run, layout))
                run = []
            if _last_line(child) > child.start_point.row:
                stack.append(child)
        extra.extend(_import_run(run, layout))
        if node is not root and not _groups_its_first_child(node, children):
            _fold_code(node, children, layout, code)
    comments.sort(key=lambda comment: comment.start_byte)
    markers = {comment.start_byte: marker for comment in comments
               if (marker := _REGION_MARKER.match(src, comment.start_byte, comment.end_byte)) is not None}
    extra.extend(_comment_folds([comment for comment in comments if comment.start_byte not in markers], layout))
    extra.extend(_region_folds([comment for comment in comments if comment.start_byte in markers], markers))
    merged = {start: Fold(start, end) for start, end in code.items()}
    for fold in extra:  # at one start line the larger fold wins; a tie goes to the one with a kind
        held = merged.get(fold.start)
        if held is None or fold.end >= held.end:
            merged[fold.start] = fold
    return _nested(sorted(merged.values(), key=lambda fold: fold.start))


class _Layout:
    """Per line: where its first non-blank byte is and which byte that is (b"" for a blank line)."""

    def __init__(self, src: bytes) -> None:
        self.indents: list[int] = []
        self.firsts: list[bytes] = []
        for line in src.split(b"\n"):
            body = line.lstrip(b" \t\f")
            self.indents.append(len(line) - len(body))
            self.firsts.append(body[:1])

    def begins_line(self, node: Node) -> bool:
        row, col = node.start_point
        return row < len(self.indents) and col == self.indents[row] and self.firsts[row] != b""

    def opens_with_closer(self, row: int, indent: int) -> bool:
        """Whether line `row` begins with a closing bracket at or left of `indent`."""
        return row < len(self.indents) and self.indents[row] <= indent and self.firsts[row] in _CLOSERS


def _last_line(node: Node) -> int:
    """The node's last line: a node that ends at column 0 ends with the line break before it."""
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point.row else row


def _groups_its_first_child(node: Node, children: list[Node]) -> bool:
    """A statement block, a decorated definition, a call statement: the node starts with a named non-leaf child."""
    first = children[0] if children else None
    return first is not None and first.is_named and first.child_count > 0 and first.start_byte == node.start_byte


def _fold_code(node: Node, children: list[Node], layout: _Layout, code: dict[int, int]) -> None:
    """Record the fold of the outermost node that starts on a line; nodes inside it on that line may narrow it."""
    start = node.start_point.row
    end = code.get(start)
    if end is None:
        end = _structural_end(node, children, layout)
    body_end = _brace_body_end(node, layout)
    if body_end is not None:
        end = min(end, body_end)
    if end > start:
        code[start] = end


def _structural_end(node: Node, children: list[Node], layout: _Layout) -> int:
    """The node's last line, less a closing bracket at the header's indentation, or before a following clause."""
    start = node.start_point.row
    indent = layout.indents[start]
    end = _last_line(node)
    if layout.opens_with_closer(end, indent):
        end -= 1
    for previous, child in zip(children, children[1:]):
        row = child.start_point.row
        if start < row <= end and child.is_named and child.child_count > 0 and not child.type.endswith("comment") \
                and layout.begins_line(child) and child.start_point.column <= indent:
            return min(end, _last_line(previous))
    return end


def _brace_body_end(node: Node, layout: _Layout) -> int | None:
    """The line before the closing brace of a body opened on the node's first line, as in `} else {`."""
    start = node.start_point.row
    for field in _BRACE_BODY_FIELDS:
        body = node.child_by_field_name(field)
        if body is not None and body.start_point.row == start:
            closed = _last_line(body)
            if closed > start and layout.opens_with_closer(closed, layout.indents[start]):
                return closed - 1
    return None


def _import_run(run: list[Node], layout: _Layout) -> list[Fold]:
    if not run:
        return []
    start, end = run[0].start_point.row, _last_line(run[-1])
    if layout.opens_with_closer(end, layout.indents[start]):
        end -= 1
    return [Fold(start, end, "imports")] if end > start else []


def _comment_folds(comments: list[Node], layout: _Layout) -> list[Fold]:
    """Multi-line comments, and runs of comments that each fill their own line on consecutive lines."""
    folds = []
    run_start = run_end = -2
    for comment in comments:
        first, last = comment.start_point.row, _last_line(comment)
        whole_line = layout.begins_line(comment)
        if whole_line and first == run_end + 1 and first == last:
            run_end = last
            continue
        if run_end > run_start:
            folds.append(Fold(run_start, run_end, "comment"))
        run_start, run_end = (first, last) if whole_line and first == last else (-2, -2)
        if last > first:
            folds.append(Fold(first, last, "comment"))
    if run_end > run_start:
        folds.append(Fold(run_start, run_end, "comment"))
    return folds


def _region_folds(markers: list[Node], matches: dict[int, re.Match[bytes]]) -> list[Fold]:
    """`# region` ... `# endregion` (or `// #region`, `//region`, ...), matched like brackets."""
    folds, open_rows = [], []
    for comment in markers:
        if matches[comment.start_byte].group(1) is None:
            open_rows.append(comment.start_point.row)
        elif open_rows:
            start = open_rows.pop()
            if comment.start_point.row > start:
                folds.append(Fold(start, comment.start_point.row, "region"))
    return folds


def _nested(folds: list[Fold]) -> list[Fold]:
    """Drop each fold that starts inside a kept one and ends after it (`folds` sorted by start)."""
    kept: list[Fold] = []
    open_folds: list[Fold] = []
    for fold in folds:
        while open_folds and open_folds[-1].end < fold.start:
            open_folds.pop()
        if open_folds and fold.end > open_folds[-1].end:
            continue
        kept.append(fold)
        open_folds.append(fold)
    return kept


def outermost(folds: list[Fold], limit: int) -> list[Fold]:
    """At most `limit` folds, the least nested kept (a client's `rangeLimit`); `folds` as `folding_ranges` gives.

    The least nested folds are the ones a reader collapses to get an outline, so they are what a limit must keep.
    """
    if len(folds) <= limit:
        return folds
    depths, open_ends = [], []
    for fold in folds:
        while open_ends and open_ends[-1] < fold.start:
            open_ends.pop()
        depths.append(len(open_ends))
        open_ends.append(fold.end)
    ranked = sorted(range(len(folds)), key=lambda index: (depths[index], index))[: max(limit, 0)]
    return [folds[index] for index in sorted(ranked)]
