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
    tokens = _BackwardTokens(root, offset)
    depth = argument = 0
    keyword: str | None = None
    current: list[Node] = []  # the tokens of the cursor's argument outside brackets, last first
    for _ in range(_MAX_TOKENS):
        token = tokens.previous()
        if token is None:
            return None
        kind = token.type
        if token.end_byte > offset and kind in _ATOMIC:
            return None  # the cursor is inside a string or a comment
        if kind in _CLOSERS:
            depth += 1
        elif kind in _OPEN and depth:
            depth -= 1
        elif kind in _OPEN:
            if argument == 0:
                keyword = _keyword(current)
            if kind == "(":
                callee, before = tokens.peek(2)
                if callee is not None and callee.type == "identifier":
                    if before is not None and before.type in ("def", "class"):
                        return None  # the parameters of a `def` or the bases of a `class`
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


class _BackwardTokens:
    """The tokens before a byte offset, last first, ending before a whole statement: one without errors has
    balanced brackets, so the "(" being looked for cannot be in it or, for the user, before it.

    A tree cursor, not `Node.parent` / `prev_sibling`: those walk down from the root on every call, which made
    each step cost the nesting depth (seconds on a file of 3,000 nested parentheses).
    """

    def __init__(self, root: Node, offset: int) -> None:
        self._cursor = root.walk()
        self._types = [root.type]  # the types from the root down to the cursor's node
        self._started = self._descend_before(offset)
        self._done = not self._started
        self._ahead: list[Node | None] = []  # read by `peek`, not yet returned by `previous`

    def previous(self) -> Node | None:
        """The next token back (zero-width MISSING tokens that error recovery invents are skipped)."""
        return self._ahead.pop(0) if self._ahead else self._read()

    def _read(self) -> Node | None:
        while not self._done:
            if self._started:
                self._started = False
            elif not self._step_back():
                self._done = True
                break
            node = self._cursor.node
            if node is not None and node.end_byte > node.start_byte:
                return node
        return None

    def peek(self, count: int) -> list[Node | None]:
        """The next `count` tokens back, which `previous` then returns again (no `TreeCursor.copy`: in
        py-tree-sitter 0.26.1 reading the copy's node crashes the process)."""
        while len(self._ahead) < count:
            self._ahead.append(self._read())
        return self._ahead[:count]

    def _descend_before(self, offset: int) -> bool:
        """Move to the last token that starts before `offset`; False when there is none."""
        cursor = self._cursor
        while cursor.node is not None and cursor.node.child_count and cursor.node.type not in _ATOMIC:
            if cursor.goto_first_child_for_byte(offset) is None:  # every child ends at or before `offset`
                cursor.goto_last_child()
            self._types.append(cursor.node.type)
            if cursor.node.start_byte >= offset and not self._sibling_back():
                return self._step_back()
        return cursor.node is not None and cursor.node.start_byte < offset

    def _sibling_back(self) -> bool:
        if not self._cursor.goto_previous_sibling():
            return False
        self._types[-1] = self._cursor.node.type
        return True

    def _step_back(self) -> bool:
        """Move to the previous token; False at the start of the file or before a whole statement."""
        while not self._sibling_back():
            if not self._cursor.goto_parent():
                return False
            self._types.pop()
        if len(self._types) >= 2 and self._types[-2] in _BODIES and not self._cursor.node.has_error:
            return False
        while self._cursor.node.child_count and self._cursor.node.type not in _ATOMIC:
            self._cursor.goto_last_child()
            self._types.append(self._cursor.node.type)
        return True


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
