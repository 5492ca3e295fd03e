"""Signature help for Python: which call the cursor is in, which argument it is at, and the callee's parameters.

The call is found by walking the parse tree's tokens backwards from the cursor, counting brackets, to the
innermost "(" left open by a call. Tokens, not the tree's shape: while a call is being typed its ")" is
missing, and tree-sitter's recovery then makes ERROR nodes in which no `call` or `argument_list` survives, but
every token (and every string and comment, as one token each) is still there and in order.
The parameters come from the callee's `def` header as the graph holds it, parsed again on its own.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from analysis.languages import new_parser
from analysis.types import Pos

_ATOMIC = frozenset({"string", "concatenated_string", "comment"})  # one token each, whatever is inside
_OPEN = frozenset({"(", "[", "{"})
_CLOSERS = frozenset({")", "]", "}"})
_BODIES = frozenset({"module", "block"})  # whose children are statements
# Keywords that only begin statements: meeting one outside brackets means the cursor is not in a call.
_STATEMENT_KEYWORDS = frozenset({
    "def", "class", "return", "import", "pass", "break", "continue", "raise", "global", "nonlocal", "del",
    "assert", "with", "while", "try", "except", "finally", "elif",
})
_MAX_TOKENS = 4096  # how far back to look for the open "("


@dataclass(frozen=True)
class CallSite:
    """Where the callee's name is, how many arguments precede the cursor's, and its `name=` if it has one."""

    callee: Pos
    argument: int
    keyword: str | None


@dataclass(frozen=True)
class Signature:
    """A callee's signature: `label` ("name(a, b=1) -> int"), each parameter's [start, end) in it (code points),
    the parameter the cursor is at (None when no parameter takes that argument) and the docstring."""

    label: str
    parameters: tuple[tuple[int, int], ...]
    active: int | None
    documentation: str


def call_site(root: Node, src: bytes, offset: int) -> CallSite | None:
    """The call whose argument list holds byte `offset`, or None (not in a call, or inside a string or comment)."""
    leaf = _last_token_before(root, offset)
    if leaf is None or (leaf.type in _ATOMIC and leaf.end_byte > offset):
        return None
    depth = argument = 0
    keyword: str | None = None
    current: list[Node] = []  # the tokens of the cursor's argument outside brackets, last first
    for count, token in enumerate(_backwards(leaf)):
        kind = token.type
        if count >= _MAX_TOKENS:
            return None
        if kind in _CLOSERS:
            depth += 1
        elif kind in _OPEN and depth:
            depth -= 1
        elif kind in _OPEN:
            if argument == 0:
                keyword = _keyword(current)
            callee = _callee(token) if kind == "(" else None
            if callee is False:
                return None  # the parameters of a `def` or the bases of a `class`
            if callee is not None:
                return CallSite(Pos(callee.start_point[0], callee.start_point[1]), argument, keyword)
            argument, keyword, current = 0, None, []  # a bracket inside an argument: the call is further out
        elif depth:
            continue
        elif kind == ",":
            if argument == 0:
                keyword = _keyword(current)
            argument += 1
        elif kind in _STATEMENT_KEYWORDS:
            return None
        elif argument == 0:
            current.append(token)
    return None


def _keyword(current: list[Node]) -> str | None:
    """`name` when the argument's first tokens are `name =` (the list is last token first)."""
    if len(current) >= 2 and current[-1].type == "identifier" and current[-2].type == "=":
        return _text(current[-1])
    return None


def _callee(paren: Node) -> Node | None | bool:
    """The name a "(" calls: the identifier just before it; False after `def name` or `class name`."""
    before = _previous_token(paren)
    if before is None or before.type != "identifier":
        return None
    keyword = _previous_token(before)
    if keyword is not None and keyword.type in ("def", "class"):
        return False
    return before


def _last_token_before(root: Node, offset: int) -> Node | None:
    """The last token that starts before `offset` (strings and comments are single tokens)."""
    node = root
    while node.child_count and node.type not in _ATOMIC:
        children = [child for child in node.children if child.start_byte < offset]
        if not children:
            return _previous_token(node)
        node = children[-1]
    return node if node.start_byte < offset else _previous_token(node)


def _backwards(leaf: Node) -> Iterator[Node]:
    """Tokens from `leaf` back, ending before a whole statement: one without errors has balanced brackets, so
    the "(" being looked for cannot be in it or, for the user, before it."""
    token: Node | None = leaf
    while token is not None:
        if token.end_byte > token.start_byte:  # MISSING tokens that error recovery invents have no width
            yield token
        token = _previous_token(token, stop_at_statements=True)


def _previous_token(node: Node, stop_at_statements: bool = False) -> Node | None:
    while node.prev_sibling is None:
        if node.parent is None:
            return None
        node = node.parent
    parent = node.parent
    node = node.prev_sibling
    if stop_at_statements and parent is not None and parent.type in _BODIES and not node.has_error:
        return None
    while node.child_count and node.type not in _ATOMIC:
        node = node.children[-1]
    return node


def signature_of(
    header: str, name: str, docstring: str, site: CallSite, *, bound: bool, constructor: bool = False
) -> Signature | None:
    """The signature of a Python `def` header, called as `name`, with the parameter `site` is at.

    `bound`: a method, so a leading `self` or `cls` takes no argument. `constructor`: the header is an
    `__init__` called through its class, whose return annotation (None) is not what the call gives.
    """
    data = (header.strip() + "\n    pass\n").encode("utf-8")
    tree = new_parser("python").parse(data)
    definition = next((n for n in _walk(tree.root_node) if n.type == "function_definition"), None)
    parameters = definition.child_by_field_name("parameters") if definition is not None else None
    if definition is None or parameters is None:
        return None
    nodes = [n for n in parameters.named_children if n.type != "comment"]
    if bound and nodes and _parameter_name(nodes[0]) in ("self", "cls"):
        nodes = nodes[1:]
    texts = [" ".join(_text(n).split()) for n in nodes]
    label = f"{name}("
    spans: list[tuple[int, int]] = []
    names: list[str | None] = []
    kinds: list[str] = []
    keyword_only_from = None
    for i, (node, text) in enumerate(zip(nodes, texts)):
        label += ", " if i else ""
        if node.type == "keyword_separator":  # a bare "*": the parameters after it take no positional argument
            keyword_only_from = len(names)
        elif node.type != "positional_separator":
            spans.append((len(label), len(label) + len(text)))
            names.append(_parameter_name(node))
            kinds.append(_parameter_kind(node))
        label += text
    label += ")"
    returns = definition.child_by_field_name("return_type")
    if returns is not None and not constructor:
        label += f" -> {' '.join(_text(returns).split())}"
    return Signature(label, tuple(spans), _active(names, kinds, keyword_only_from, site), docstring)


def _active(names: list[str | None], kinds: list[str], keyword_only_from: int | None, site: CallSite) -> int | None:
    """The parameter that takes the cursor's argument: by name, else by position; *args and **kwargs take the rest."""
    if site.keyword is not None:
        if site.keyword in names:
            return names.index(site.keyword)
        return kinds.index("**kwargs") if "**kwargs" in kinds else None
    positional = next((i for i, kind in enumerate(kinds) if kind != "plain"), len(kinds))
    if keyword_only_from is not None:
        positional = min(positional, keyword_only_from)
    if site.argument < positional:
        return site.argument
    return kinds.index("*args") if "*args" in kinds else None


def _parameter_kind(node: Node) -> str:
    """"*args" or "**kwargs" for a (typed) splat, else "plain"."""
    inner = node.named_children[0] if node.type == "typed_parameter" and node.named_children else node
    return {"list_splat_pattern": "*args", "dictionary_splat_pattern": "**kwargs"}.get(inner.type, "plain")


def _parameter_name(node: Node) -> str | None:
    if node.type == "identifier":
        return _text(node)
    named = node.child_by_field_name("name")
    if named is not None:
        return _text(named)
    identifier = next((child for child in node.named_children if child.type == "identifier"), None)
    return _text(identifier) if identifier is not None else None


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)
