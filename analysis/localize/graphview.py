"""How localization reads nodes and edges of the code graph (CGM schema); the one place that knows attribute names.

Nodes carry `type` (FILE, CLASS, FUNCTION, ...), `name`, `path` (root-relative), `text`, `start_line`/`end_line`
(1-based, inclusive; absent on FILE nodes), `comment` (docstring), `header`; edges carry `type` (contains, imports,
extends, calls). See analysis/graph.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

FILE = "FILE"
CLASS = "CLASS"
FUNCTION = "FUNCTION"
ATTRIBUTE = "ATTRIBUTE"
DEFINITION_TYPES = frozenset({CLASS, FUNCTION})
CONTAINS = "contains"
CALLS = "calls"


def _label(value: Any) -> str:
    """Enum members and plain strings alike."""
    return value if type(value) is str else str(getattr(value, "value", value))


_NODE_TYPES: dict[Any, str] = {}
_EDGE_TYPES: dict[Any, str] = {}


def node_type(data: dict) -> str:
    raw = data.get("type", "")
    found = _NODE_TYPES.get(raw)
    if found is None:
        found = _NODE_TYPES[raw] = _label(raw).upper()
    return found


def edge_type(data: dict) -> str:
    raw = data.get("type", "")
    found = _EDGE_TYPES.get(raw)
    if found is None:
        found = _EDGE_TYPES[raw] = _label(raw).lower()
    return found


def node_text(data: dict) -> str:
    return str(data.get("text") or "")


def node_lines(data: dict) -> tuple[int, int]:
    """1-based (start, end) lines, inclusive; a FILE spans all its lines."""
    start = data.get("start_line")
    if start is None:
        return 1, node_text(data).count("\n") + 1
    return int(start), int(data.get("end_line") or start)


def relative_path(data: dict, root: Path) -> str | None:
    """The node's path relative to `root` with '/' separators; None when it lies outside the root."""
    raw = data.get("path")
    if not raw:
        return None
    path = Path(str(raw))
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
