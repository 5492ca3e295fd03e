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

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

import networkx as nx

from analysis.facts import (
    A_COL, A_END_COL, A_END_LINE, A_HINT, A_LINE, A_NAME, A_SCOPE, A_TEXT, D_COL, D_DOC, D_END_COL,
    D_END_BYTE, D_END_LINE, D_EXTRA, D_HEADER, D_KIND, D_LINE, D_NAME, D_NAME_COL, D_NAME_LINE, D_PARENT,
    D_START_BYTE,
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


def qualnames(facts: FileFacts) -> tuple[list[str], list[str]]:
    """Qualified names of a file's defs and attributes, in record order."""
    names: list[str] = []
    for d in facts.defs:
        parent = d[D_PARENT]
        names.append(d[D_NAME] if parent < 0 else names[parent] + "." + d[D_NAME])
    return names, [a[A_NAME] if a[A_SCOPE] < 0 else names[a[A_SCOPE]] + "." + a[A_NAME] for a in facts.attrs]


def member_ids(rel: str, facts: FileFacts, names: tuple[list[str], list[str]] | None = None
               ) -> tuple[list[str], list[str]]:
    """Node ids of a file's defs and attributes, in record order, deduplicated deterministically."""
    def_names, attr_names = names if names is not None else qualnames(facts)
    seen: dict[str, int] = {}
    prefix = rel + "::"
    out: list[str] = []
    for qualname in (*def_names, *attr_names):
        count = seen.get(qualname)
        if count is None:
            seen[qualname] = 1
            out.append(prefix + qualname)
        else:
            seen[qualname] = count + 1
            out.append(f"{prefix}{qualname}#{count + 1}")
    return out[:len(def_names)], out[len(def_names):]


# Edge attribute dicts, shared by all edges of a type (they never change): one dict per edge would cost a few
# hundred bytes times a few hundred thousand edges.
_EDGE_DATA = {kind.value: {"type": kind.value} for kind in EdgeType}


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
        keys[kind] = _EDGE_DATA[kind]
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


def text_slicer(text: str) -> Callable[[int, int], str]:
    """Text between two UTF-8 byte offsets of `text` (byte offsets are character offsets in ASCII text)."""
    if text.isascii():
        return lambda start, end: text[start:end]
    data = text.encode("utf-8")
    return lambda start, end: data[start:end].decode("utf-8", "replace")


def def_node(rel: str, qualname: str, d: tuple, text: Callable[[int, int], str]) -> dict[str, Any]:
    """The attributes of a CLASS or FUNCTION node, from its def record."""
    attrs = {
        "type": DEF_KIND_NAMES[d[D_KIND]], "name": d[D_NAME], "qualname": qualname, "path": rel,
        "start_line": d[D_LINE] + 1, "end_line": d[D_END_LINE] + 1, "start_col": d[D_COL],
        "end_col": d[D_END_COL], "name_line": d[D_NAME_LINE] + 1, "name_col": d[D_NAME_COL],
        "header": d[D_HEADER], "comment": d[D_DOC], "text": text(d[D_START_BYTE], d[D_END_BYTE]),
    }
    if d[D_KIND] == 0:
        attrs["bases"] = list(d[D_EXTRA])
    return attrs


def attribute_node(rel: str, qualname: str, a: tuple) -> dict[str, Any]:
    """The attributes of an ATTRIBUTE node, from its attribute record."""
    return {
        "type": "ATTRIBUTE", "name": a[A_NAME], "qualname": qualname, "path": rel,
        "start_line": a[A_LINE] + 1, "end_line": a[A_END_LINE] + 1, "start_col": a[A_COL],
        "end_col": a[A_END_COL], "name_line": a[A_LINE] + 1, "name_col": a[A_COL], "header": "",
        "comment": "", "text": a[A_TEXT], "attribute_type": a[A_HINT],
    }


def file_node(rel: str, facts: FileFacts, module: str) -> dict[str, Any]:
    name = rel.rsplit("/", 1)[-1]
    if facts.lang == "text":
        return {"type": "TEXTFILE", "name": name, "path": rel, "text": facts.text}
    return {"type": "FILE", "name": name, "path": rel, "text": facts.text, "lang": facts.lang, "module": module}


def file_nodes(rel: str, facts: FileFacts, module: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The nodes a file contributes (its FILE or TEXTFILE node and everything defined in it) and the `contains`
    edges among them (the directory -> file edge belongs to the directory structure, not to the file)."""
    nodes: dict[str, dict[str, Any]] = {rel: file_node(rel, facts, module)}
    if facts.lang == "text":
        return nodes, []
    contains: list[tuple[str, str]] = []
    names = qualnames(facts)
    def_ids, attr_ids = member_ids(rel, facts, names)
    text = text_slicer(facts.text)
    for node_id, qualname, d in zip(def_ids, names[0], facts.defs):
        nodes[node_id] = def_node(rel, qualname, d, text)
        contains.append((rel if d[D_PARENT] < 0 else def_ids[d[D_PARENT]], node_id))
    for node_id, qualname, a in zip(attr_ids, names[1], facts.attrs):
        nodes[node_id] = attribute_node(rel, qualname, a)
        contains.append((rel if a[A_SCOPE] < 0 else def_ids[a[A_SCOPE]], node_id))
    return nodes, contains
