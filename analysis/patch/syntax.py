"""Count tree-sitter ERROR and MISSING nodes, the syntax check a patch must pass."""
from __future__ import annotations

import threading

from tree_sitter import Node, Parser

from analysis.languages import language_for_path, new_parser

_local = threading.local()  # parsers are not thread-safe: one per thread and language


def _parser(language: str) -> Parser:
    parsers: dict[str, Parser] = _local.__dict__.setdefault("parsers", {})
    if language not in parsers:
        parsers[language] = new_parser(language)
    return parsers[language]


def count_syntax_errors(path: str, text: str) -> int | None:
    """ERROR + MISSING nodes in `text` parsed as `path`'s language; None when no grammar covers the file."""
    language = language_for_path(path)
    if language is None or language == "text":
        return None
    root = _parser(language).parse(text.encode("utf-8")).root_node
    return _count(root) if root.has_error else 0


def _count(node: Node) -> int:
    """Nodes that are errors or missing, skipping subtrees without any."""
    total = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            total += 1
        stack.extend(child for child in current.children if child.has_error or child.is_missing)
    return total
