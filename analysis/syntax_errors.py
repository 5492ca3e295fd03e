"""Syntax errors of one file, where an editor should underline them, in any language the graph parses.

Tree-sitter decides where the errors are: a `MISSING` node ("missing `)`") or an `ERROR` node (the text the parser
had to skip). For Python, the interpreter's own message replaces tree-sitter's for the error it reports
(`'(' was never closed`, `expected ':'`), since it names the cause where tree-sitter only shows the symptom.

Why tree-sitter and not `compile()` decides: the grammars follow the newest language version, while `compile()`
knows only the running interpreter's, and the project may target a newer one (`type X = int` is Python 3.12;
a server on 3.11 must not call it an error). The exception is Python's `IndentationError`, reported even where
tree-sitter sees nothing (it accepts `for x in y:` followed by an unindented body): indentation rules are the
same in every Python 3 version.
"""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from tree_sitter import Node

from analysis.languages import new_parser
from analysis.types import Pos, Span

MAX_PROBLEMS = 50  # a file that is not code in this language at all would otherwise flood the editor
_SHOWN_TOKEN_CHARS = 30
# The interpreter warns while it parses (`"\d"` is an invalid escape sequence): not an error, and a warning per check
# would flood the server's log. A filter on this file name, set once, because `catch_warnings` is not thread-safe.
_CHECKED_AS = "<rodimus-syntax-check>"
warnings.filterwarnings("ignore", module=re.escape(_CHECKED_AS))


@dataclass(frozen=True)
class SyntaxProblem:
    span: Span  # UTF-8 byte columns
    message: str


def syntax_problems(text: str, lang: str) -> list[SyntaxProblem]:
    """The file's syntax errors in document order, at most `MAX_PROBLEMS`.

    A fresh parse, not an open document's incrementally updated tree: error recovery after an incremental
    reparse can differ from a fresh parse's, and the errors must not depend on the order of the edits.
    """
    src = text.encode("utf-8")
    root = new_parser(lang).parse(src).root_node
    found = _tree_problems(root, src) if root.has_error else []
    if lang == "python":
        found = _with_interpreter_message(found, text, root)
    return [SyntaxProblem(span, message) for span, message, _ in found[:MAX_PROBLEMS]]


_Found = tuple[Span, str, int]  # span shown, message, last line of the whole syntax node (to match the interpreter)


def _tree_problems(root: Node, src: bytes) -> list[_Found]:
    found: list[_Found] = []
    stack = [root]
    while stack and len(found) < MAX_PROBLEMS:
        node = stack.pop()
        start = Pos(*node.start_point)
        if node.is_missing:
            found.append((Span(start, start), f"missing {_describe(node)}", start.line))
        elif node.is_error:
            end = Pos(*node.end_point)
            shown_end = end if end.line == start.line else Pos(start.line, _line_end(src, node.start_byte))
            found.append((Span(start, shown_end), _unexpected(node), end.line))
        else:
            stack.extend(child for child in reversed(node.children) if child.has_error)
    return found


def _describe(node: Node) -> str:
    return node.type.replace("_", " ") if node.is_named else f"`{node.type}`"


def _unexpected(error: Node) -> str:
    """"syntax error", naming the first token the parser could not place when it is short enough to read."""
    token = error
    while token.child_count:
        token = token.children[0]
    text = (token.text or b"").decode("utf-8", "replace")
    if not text or "\n" in text or len(text) > _SHOWN_TOKEN_CHARS:
        return "syntax error"
    return f"syntax error: unexpected `{text}`"


def _line_end(src: bytes, offset: int) -> int:
    """The byte column of the end of the line holding byte `offset`."""
    line_start = src.rfind(b"\n", 0, offset) + 1
    line_end = src.find(b"\n", offset)
    return (len(src) if line_end < 0 else line_end) - line_start


def _with_interpreter_message(found: list[_Found], text: str, root: Node) -> list[_Found]:
    """Put the interpreter's message and place on the tree-sitter error it matches (see the module docstring).

    The match is the first tree-sitter error that ends on or after the interpreter's line and starts no later than
    the top-level statement after the one holding that line: tree-sitter often notices an error late (a missing
    `:` at the next line's first token, an unclosed bracket where the text stops making sense), while an error in
    some later part of the file is another error.
    """
    try:
        ast.parse(text, filename=_CHECKED_AS)
        return found
    except SyntaxError as error:
        reported = _interpreter_span(error, text)
        layout_error = isinstance(error, IndentationError)
        message = error.msg
    except (ValueError, RecursionError, MemoryError):  # NUL bytes (3.11), nesting too deep for the interpreter
        return found
    if reported is None:
        return found
    line = reported.start.line
    limit = _next_statement_end(root, line)
    matched = next((index for index, (span, _, last_line) in enumerate(found)
                    if last_line >= line and span.start.line <= limit), None)
    if matched is None and not layout_error:
        return found
    kept = found if matched is None else found[:matched] + found[matched + 1:]
    return sorted([*kept, (reported, message, reported.end.line)], key=lambda problem: problem[0].start)


def _next_statement_end(root: Node, line: int) -> int:
    """The last line of the top-level statement after the one that holds (or follows) `line`."""
    statements = [child for child in root.children if child.end_point.row >= line]
    return statements[min(1, len(statements) - 1)].end_point.row if statements else line


def _interpreter_span(error: SyntaxError, text: str) -> Span | None:
    """A SyntaxError's place in UTF-8 byte columns. Its offsets count characters from 1; its end may be missing,
    or (for a bracket "never closed") before its start: then it covers the one character at the start."""
    lines = text.split("\n")
    if error.lineno is None or not lines:
        return None
    line = min(max(error.lineno, 1), len(lines)) - 1
    content = lines[line]
    col = min(max((error.offset or 1) - 1, 0), len(content))
    start = Pos(line, len(content[:col].encode("utf-8")))
    end_line = (error.end_lineno or 0) - 1
    end_col = (error.end_offset or 0) - 1
    if end_line > line and end_line < len(lines):
        return Span(start, Pos(end_line, len(lines[end_line][: max(end_col, 0)].encode("utf-8"))))
    if end_line == line and end_col > col:
        return Span(start, Pos(line, len(content[:end_col].encode("utf-8"))))
    return Span(start, Pos(line, len(content[: col + 1].encode("utf-8"))))
