"""Repair templates: the small one-line edits a simple bug is usually one step away from, as template-based
program repair uses them (comparison flipped or moved by one, an integer moved by one, `not` added or removed,
two adjacent arguments exchanged, a local name replaced by another local name of the function).

The starter reader does not write replacement lines token by token: it ranks these candidates
(models.cgm.decode). A bug outside the templates cannot be fixed that way; a reader that writes free text
(``constrained_decoding`` false) has no such limit.
"""

from __future__ import annotations

import ast
import contextlib
import io
import keyword
import textwrap
import tokenize
from collections.abc import Sequence

_COMPARISONS = {"==": ("!=",), "!=": ("==",), "<": (">", "<="), ">": ("<", ">="), "<=": (">=", "<"),
                ">=": ("<=", ">")}  # fmt: skip
_OPERAND_AFTER_NAMES = frozenset({"if", "elif", "while", "and", "or", "return", "assert"})
_OPERAND_AFTER_OPS = frozenset({"(", ",", "=", "["})
_NOT_A_VARIABLE = frozenset({"self", "cls", "_", "True", "False", "None"})
_HEADERS = ("def ", "async def ", "class ", "@")
MAX_INTEGER = 10_000


def scope_names(region: Sequence[str]) -> list[str]:
    """The parameters and assigned names of the function(s) in ``region`` (its lines), in order of appearance;
    [] when the region does not parse."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(region)))
    except (SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
    return [name for name in dict.fromkeys(names) if name not in _NOT_A_VARIABLE]


def line_repairs(line: str, names: Sequence[str] = ()) -> list[str]:
    """Every template edit of ``line`` (distinct, in order, never ``line`` itself); [] for a ``def``/``class``
    line, a decorator, or a line Python's tokenizer cannot read."""
    if line.lstrip().startswith(_HEADERS):
        return []
    tokens = _tokens(line)
    out: dict[str, None] = {}

    def replace(start: int, end: int, new: str) -> None:
        edited = line[:start] + new + line[end:]
        if edited != line:
            out[edited] = None

    words = [t.string for t in tokens]
    for i, token in enumerate(tokens):
        start, end = token.start[1], token.end[1]
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if token.type == tokenize.OP and token.string in _COMPARISONS:
            for new in _COMPARISONS[token.string]:
                replace(start, end, new)
        elif token.type == tokenize.NUMBER and token.string.isdigit() and int(token.string) <= MAX_INTEGER:
            value = int(token.string)
            replace(start, end, str(value + 1))
            if value > 0:
                replace(start, end, str(value - 1))
        elif token.string == "is" and after != "not":
            replace(start, end, "is not")
        elif token.string == "is" and after == "not":
            replace(start, tokens[i + 1].end[1], "is")
        elif token.string == "in" and before != "not" and "for" not in words[:i]:
            replace(start, end, "not in")
        elif token.string == "not" and before != "is" and after not in ("in", ""):
            replace(start, tokens[i + 1].start[1], "")
        elif token.string == "not" and after == "in":
            replace(start, tokens[i + 1].end[1], "in")
        if _starts_operand(token, before):
            replace(start, start, "not ")
        if token.type == tokenize.NAME and token.string in names and before != "." and after != "=":
            for other in names:
                if other != token.string:
                    replace(start, end, other)
        if token.string == "(" and i and (tokens[i - 1].type == tokenize.NAME or words[i - 1] in (")", "]")):
            for a, b in _adjacent_arguments(tokens, i):
                replace(a[0], b[1], line[b[0]:b[1]] + line[a[1]:b[0]] + line[a[0]:a[1]])
    return list(out)


def _tokens(line: str) -> list[tokenize.TokenInfo]:
    """The line's tokens without layout tokens, up to where the tokenizer gives up (an unclosed bracket or string
    at the line's end, which a line of a longer statement often has)."""
    out: list[tokenize.TokenInfo] = []
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        for token in tokenize.generate_tokens(io.StringIO(line.strip("\n") + "\n").readline):
            if token.start[0] != 1:
                break
            if token.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING):
                out.append(token)
    return out


def _starts_operand(token: tokenize.TokenInfo, before: str) -> bool:
    if token.type == tokenize.NAME:
        if keyword.iskeyword(token.string) and token.string not in ("True", "False", "None"):
            return False
    elif token.string != "(":
        return False
    return before in _OPERAND_AFTER_NAMES or before in _OPERAND_AFTER_OPS


def _adjacent_arguments(tokens: list[tokenize.TokenInfo], open_index: int) -> list[tuple[tuple[int, int], ...]]:
    """Pairs of adjacent positional arguments ((start, end), (start, end)) of the call whose "(" is
    ``tokens[open_index]``, when the call closes on this line."""
    depth, args, current = 0, [], []
    for token in tokens[open_index + 1:]:
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}"):
            if depth == 0:
                if current:
                    args.append(current)
                break
            depth -= 1
        if depth == 0 and token.string == ",":
            args.append(current)
            current = []
        else:
            current.append(token)
    else:
        return []
    spans = []
    for arg in args:
        if not arg or arg[0].string in ("*", "**") or (len(arg) > 1 and arg[1].string == "="):
            break
        spans.append((arg[0].start[1], arg[-1].end[1]))
    return [(a, b) for a, b in zip(spans, spans[1:])]
