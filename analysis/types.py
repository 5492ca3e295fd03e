"""Plain value types that cross the boundary between `analysis/` and its callers.

Positions inside `analysis/` are 0-based lines and 0-based UTF-8 byte columns of that line, the unit
tree-sitter works in. The language server converts from and to the client's negotiated encoding.
Paths are absolute filesystem paths (`str`); the CLI makes them relative to the root for output.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Pos:
    """A position: 0-based line and 0-based UTF-8 byte column in that line."""

    line: int
    col: int


@dataclass(frozen=True)
class Span:
    start: Pos
    end: Pos


@dataclass(frozen=True)
class TextEdit:
    """Replace the text between `start` and `end` (end exclusive) with `new_text`."""

    start: Pos
    end: Pos
    new_text: str


@dataclass(frozen=True)
class Location:
    path: str
    span: Span


@dataclass
class SymbolInfo:
    """A graph node seen as an editor symbol (documentSymbol, workspace/symbol, call hierarchy)."""

    node_id: str
    name: str
    kind: str  # CGM node type: "CLASS", "FUNCTION", "ATTRIBUTE", "FILE", ...
    path: str
    span: Span  # the whole definition
    selection: Span  # the name
    detail: str = ""  # header / signature
    container: str = ""  # qualified name of the enclosing symbol
    children: list["SymbolInfo"] = field(default_factory=list)


@dataclass
class HoverFacts:
    name: str
    kind: str
    signature: str
    docstring: str
    defined_at: Location
    callers: int
    callees: int
    node_id: str = ""
    bases: tuple[str, ...] = ()  # a class: the qualified names of the classes it extends
    subclasses: int = 0  # a class: how many classes extend it directly
    overrides: str = ""  # a method: the qualified name of the nearest base-class method of that name


@dataclass
class IndexReport:
    """What `rodimus-lsp index --json` prints (plus the root it was run on)."""

    files: int
    nodes: dict[str, int]
    edges: dict[str, int]
    seconds: float
    cache: str  # "hit" | "miss" | "partial"
