"""The code graph in CGM's schema: node and edge types, node ids, and the nodes one file contributes.

Node ids are stable across runs: a directory or file is its root-relative POSIX path (the repository is "."), a
class, function or attribute is `<file path>::<qualified name>`, with `#2`, `#3`... appended in document order when
a file defines the same qualified name more than once. Node attributes (all plain values):

- every node: `type` (a `NodeType` value), `name`, `path` (root-relative, "" for the repository)
- FILE: `text`, `lang`, `module` (dotted, Python only);  TEXTFILE: `text`
- CLASS / FUNCTION / ATTRIBUTE: `qualname`, `text`, `start_line` / `end_line` (1-based, inclusive, as CGM's
  startLoc / endLoc), `start_col` / `end_col` (0-based UTF-8 byte columns), `name_line` (1-based) / `name_col`
  (where the name is), `comment` (docstring), `header` (`def f(a, b) -> int:`); CLASS adds `bases` (the base
  class expressions as written); ATTRIBUTE adds `attribute_type` (annotation or inferred constructor, may be "")

Edges carry `type` (an `EdgeType` value) and use it as their key, so there is at most one edge of a type between
two nodes.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from itertools import accumulate
from typing import Any

import networkx as nx

from analysis.facts import (
    A_BIND, A_NAME, A_SCOPE, B_COL, B_END_COL, B_END_LINE, B_HINT, B_LINE, B_TEXT, D_COL, D_DOC, D_END_COL,
    D_END_LINE, D_EXTRA, D_HEADER, D_KIND, D_LINE, D_NAME, D_NAME_COL, D_NAME_LINE, D_PARENT,
    DEF_KIND_NAMES, FileFacts,
)


class NodeType(str, Enum):
    REPO = "REPO"
    PACKAGE = "PACKAGE"
    FILE = "FILE"
    TEXTFILE = "TEXTFILE"
    CLASS = "CLASS"
    FUNCTION = "FUNCTION"
    ATTRIBUTE = "ATTRIBUTE"


class EdgeType(str, Enum):
    CONTAINS = "contains"
    IMPORTS = "imports"
    EXTENDS = "extends"
    CALLS = "calls"


Edge = tuple[str, str, str]
REPO_ID = "."
CONTAINS = EdgeType.CONTAINS.value
IMPORTS = EdgeType.IMPORTS.value
EXTENDS = EdgeType.EXTENDS.value
CALLS = EdgeType.CALLS.value


def parent_dir(rel: str) -> str:
    """The id of the directory node that contains `rel` (the repository for top-level entries)."""
    cut = rel.rfind("/")
    return rel[:cut] if cut > 0 else REPO_ID


def member_ids(rel: str, facts: FileFacts) -> tuple[list[str], list[str]]:
    """Node ids of a file's defs and attributes, in record order, deduplicated deterministically."""
    qualnames: list[str] = []
    for d in facts.defs:
        parent = d[D_PARENT]
        qualnames.append(d[D_NAME] if parent < 0 else qualnames[parent] + "." + d[D_NAME])
    attr_qualnames = [
        a[A_NAME] if a[A_SCOPE] < 0 else qualnames[a[A_SCOPE]] + "." + a[A_NAME] for a in facts.attrs
    ]
    seen: dict[str, int] = {}
    prefix = rel + "::"

    def unique(qualname: str) -> str:
        count = seen.get(qualname, 0) + 1
        seen[qualname] = count
        return prefix + qualname if count == 1 else f"{prefix}{qualname}#{count}"

    return [unique(q) for q in qualnames], [unique(q) for q in attr_qualnames]


def qualname_of(node_id: str) -> str:
    return node_id.split("::", 1)[1] if "::" in node_id else ""


def bulk_add(graph: nx.MultiDiGraph, nodes: Iterable[tuple[str, dict[str, Any]]], edges: Iterable[Edge]) -> None:
    """Add many nodes and typed edges at once. This fills the same tables `add_node` / `add_edge` fill
    (`_node`, `_succ`, `_pred`, one key dict shared by both directions), without their per-call overhead,
    which dominates building a graph of a few hundred thousand edges. Edges to unknown nodes are skipped."""
    node_table, succ, pred = graph._node, graph._succ, graph._pred
    for node_id, attrs in nodes:
        current = node_table.get(node_id)
        if current is None:
            node_table[node_id] = attrs
            succ[node_id] = {}
            pred[node_id] = {}
        else:
            current.update(attrs)
    for u, v, kind in edges:
        if u not in node_table or v not in node_table:
            continue
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = pred[v][u] = {}
        keys[kind] = {"type": kind}
    cache = getattr(graph, "__networkx_cache__", None)
    if cache:
        cache.clear()


def edge_counts(graph: nx.MultiDiGraph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for neighbours in graph._succ.values():
        for keys in neighbours.values():
            for kind in keys:
                counts[kind] = counts.get(kind, 0) + 1
    return counts


class TextIndex:
    """Character offsets of (line, UTF-8 byte column) positions in a text, to slice definitions out of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = list(accumulate((len(line) + 1 for line in self.lines), initial=0))

    def offset(self, line: int, col: int) -> int:
        if line >= len(self.lines):
            return len(self.text)
        row = self.lines[line]
        if col and not row.isascii():
            col = len(row.encode("utf-8")[:col].decode("utf-8", "ignore"))
        return self.starts[line] + min(col, len(row))

    def slice(self, line: int, col: int, end_line: int, end_col: int) -> str:
        return self.text[self.offset(line, col):self.offset(end_line, end_col)]


def file_nodes(rel: str, facts: FileFacts, module: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The nodes a file contributes (its FILE or TEXTFILE node and everything defined in it) and the `contains`
    edges among them (the directory -> file edge belongs to the directory structure, not to the file)."""
    name = rel.rsplit("/", 1)[-1]
    if facts.lang == "text":
        return {rel: {"type": "TEXTFILE", "name": name, "path": rel, "text": facts.text}}, []
    nodes: dict[str, dict[str, Any]] = {
        rel: {"type": "FILE", "name": name, "path": rel, "text": facts.text, "lang": facts.lang, "module": module}
    }
    contains: list[tuple[str, str]] = []
    def_ids, attr_ids = member_ids(rel, facts)
    text = TextIndex(facts.text).slice
    for node_id, d in zip(def_ids, facts.defs):
        attrs = {
            "type": DEF_KIND_NAMES[d[D_KIND]], "name": d[D_NAME], "qualname": qualname_of(node_id), "path": rel,
            "start_line": d[D_LINE] + 1, "end_line": d[D_END_LINE] + 1, "start_col": d[D_COL],
            "end_col": d[D_END_COL], "name_line": d[D_NAME_LINE] + 1, "name_col": d[D_NAME_COL],
            "header": d[D_HEADER], "comment": d[D_DOC],
            "text": text(d[D_LINE], d[D_COL], d[D_END_LINE], d[D_END_COL]),
        }
        if d[D_KIND] == 0:
            attrs["bases"] = list(d[D_EXTRA])
        nodes[node_id] = attrs
        contains.append((rel if d[D_PARENT] < 0 else def_ids[d[D_PARENT]], node_id))
    for node_id, a in zip(attr_ids, facts.attrs):
        b = facts.binds[a[A_BIND]]
        hint = b[B_HINT] if isinstance(b[B_HINT], str) else ""
        nodes[node_id] = {
            "type": "ATTRIBUTE", "name": a[A_NAME], "qualname": qualname_of(node_id), "path": rel,
            "start_line": b[B_LINE] + 1, "end_line": b[B_END_LINE] + 1, "start_col": b[B_COL],
            "end_col": b[B_END_COL], "name_line": b[B_LINE] + 1, "name_col": b[B_COL], "header": "",
            "comment": "", "text": b[B_TEXT] or "", "attribute_type": hint[2:] if hint[:2] in ("t:", "c:") else "",
        }
        contains.append((rel if a[A_SCOPE] < 0 else def_ids[a[A_SCOPE]], node_id))
    return nodes, contains
