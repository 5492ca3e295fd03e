"""The reader's files as a code subgraph (nodes + typed edges) with node text serialized the CGM way.

CGM's reader takes the retrieved subgraph as node tokens: every node's text is serialized by type
(research/cgm_cge.md 2.3, `getPythonSentence`) and cut to a maximum length, and its adjacency becomes the attention
mask among node tokens. This module builds that `GraphContext` from the live graph (analysis/graph.py schema):

- nodes: the given FILE nodes, everything they contain (classes, functions, attributes) and their REPO / PACKAGE
  ancestors, bounded to `max_nodes`. The focus nodes (the ranked functions) are kept first, then the files in
  rank order, then the contained definitions closest to the focus (over edges of any type and direction); every
  node is taken with the nodes that contain it, so the kept nodes stay connected by `contains` edges.
- order: the kept focus nodes first, in the order given (so a reader may take the first FUNCTION node as the
  best-ranked place to look), then the ancestors outermost first, then each file followed by its kept
  definitions in source order.
- edges: every edge among the kept nodes (contains, imports, extends, calls), as (source index, target index, type).

Sentences (the release's format, including its stripping of spaces at the ends):
File "{path}\\n{text}"; TextFile "{name}\\n{text}"; Class "{classType} {name}\\n{comment}\\n{text}";
Attribute "{attributeType} {name}\\n{comment}\\n{text}"; Function "{header} {name}\\n{comment}{text}" (the comment
followed by a newline only when there is one); Repo its name; Package its dotted name.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence

import networkx as nx

from analysis.readers.base import GraphContext, GraphNode

NodeId = Hashable

MAX_NODES = 64
MAX_SENTENCE_CHARS = 8_000  # the release cuts every sentence to `max_len` characters too
CLASS_TYPE = "class"  # CGM's Python graphs' `classType`
_CONTAINS = "contains"


def _label(value: object) -> str:
    return value if type(value) is str else str(getattr(value, "value", value))


def _type(data: dict) -> str:
    return _label(data.get("type", "")).upper()


def _edge(data: dict) -> str:
    return _label(data.get("type", "")).lower()


def node_sentence(data: dict, max_chars: int = MAX_SENTENCE_CHARS) -> str:
    """A node's text as CGM's encoder reads it (`getPythonSentence`), cut to `max_chars` characters."""
    kind = _type(data)
    name = str(data.get("name") or "")
    text = str(data.get("text") or "")
    comment = str(data.get("comment") or "")
    if kind == "FILE":
        sentence = f"{data.get('path') or name}\n{text}"
    elif kind == "TEXTFILE":
        sentence = f"{name}\n{text}"
    elif kind == "CLASS":
        sentence = f"{CLASS_TYPE} {name}\n{comment}\n{text}".strip(" ")
    elif kind == "ATTRIBUTE":
        sentence = f"{data.get('attribute_type') or ''} {name}\n{comment}\n{text}".strip(" ")
    elif kind == "FUNCTION":
        sentence = f"{data.get('header') or ''} {name}\n{comment + chr(10) if comment else ''}{text}".strip(" ")
    else:  # REPO, PACKAGE
        sentence = name
    return sentence.replace("\r\n", "\n")[:max_chars]  # a CRLF file's nodes read as the encoder was trained


def build_graph_context(
    graph: nx.MultiDiGraph,
    files: Sequence[NodeId],
    focus: Sequence[NodeId] = (),
    *,
    max_nodes: int = MAX_NODES,
    max_chars: int = MAX_SENTENCE_CHARS,
) -> GraphContext:
    """The subgraph of `files` (rank order) around `focus` (e.g. the ranked functions), as a `GraphContext`."""
    files = [f for f in dict.fromkeys(files) if f in graph]
    parent = {f: _contains_parent(graph, f) for f in files}
    members: dict[NodeId, None] = {}
    for file in files:
        for node in _descendants(graph, file):
            members.setdefault(node, None)
            parent[node] = _contains_parent(graph, node)
    kept: dict[NodeId, None] = {}

    def keep(node: NodeId) -> bool:
        """Keep `node` after the ancestors it needs, if all fit; whether it is kept now."""
        chain: list[NodeId] = []
        current: NodeId | None = node
        while current is not None and current not in kept:
            chain.append(current)
            current = parent.get(current) if current in parent else _contains_parent(graph, current)
        if len(kept) + len(chain) > max_nodes:
            return False
        for item in reversed(chain):
            kept[item] = None
        return True

    sources = [f for f in dict.fromkeys(focus) if f in members]
    for node in (*sources, *files):
        keep(node)
    for node in _by_distance(graph, members, sources or files):
        if len(kept) >= max_nodes:
            break
        keep(node)
    first = [f for f in dict.fromkeys(focus) if f in kept]
    leading = set(first)
    order = first + [n for n in _ordered(graph, kept, files, members) if n not in leading]
    position = {node: i for i, node in enumerate(order)}
    edges = sorted(
        {
            (position[source], position[target], _edge(data))
            for source in order
            for _, target, data in graph.out_edges(source, data=True)
            if target in position
        }
    )
    nodes = tuple(GraphNode(str(n), _type(graph.nodes[n]), node_sentence(graph.nodes[n], max_chars)) for n in order)
    return GraphContext(nodes=nodes, edges=tuple(edges))


def _contains_parent(graph: nx.MultiDiGraph, node: NodeId) -> NodeId | None:
    for source, keyed in graph.pred[node].items():
        if any(_edge(data) == _CONTAINS for data in keyed.values()):
            return source
    return None


def _contains_children(graph: nx.MultiDiGraph, node: NodeId) -> list[NodeId]:
    return [t for t, keyed in graph.succ[node].items() if any(_edge(d) == _CONTAINS for d in keyed.values())]


def _descendants(graph: nx.MultiDiGraph, file: NodeId) -> list[NodeId]:
    """What `file` contains, transitively, in source order."""
    out: list[NodeId] = []
    todo = _contains_children(graph, file)
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(_contains_children(graph, node))
    return sorted(out, key=lambda n: _source_key(graph.nodes[n]))


def _source_key(data: dict) -> tuple[int, int, int, str]:
    return (
        int(data.get("start_line") or 0),
        int(data.get("start_col") or 0),
        -int(data.get("end_line") or 0),
        str(data.get("qualname") or ""),
    )


def _by_distance(graph: nx.MultiDiGraph, members: dict[NodeId, None], sources: Iterable[NodeId]) -> list[NodeId]:
    """`members` by breadth-first distance from `sources` over edges of any type and direction, walking through
    the files' nodes only; ties keep source order, unreachable members come last in source order."""
    allowed = set(members) | set(sources)
    distance: dict[NodeId, int] = {}
    queue: deque[NodeId] = deque()
    for source in sources:
        if source not in distance:
            distance[source] = 0
            queue.append(source)
    while queue:
        node = queue.popleft()
        for neighbour in (*graph.succ[node], *graph.pred[node]):
            if neighbour in allowed and neighbour not in distance:
                distance[neighbour] = distance[node] + 1
                queue.append(neighbour)
    order = {node: i for i, node in enumerate(members)}
    unreachable = len(distance) + len(members)
    return sorted(members, key=lambda n: (distance.get(n, unreachable), order[n]))


def _ordered(
    graph: nx.MultiDiGraph, kept: dict[NodeId, None], files: list[NodeId], members: dict[NodeId, None]
) -> list[NodeId]:
    """Ancestors outermost first, then each file followed by its kept definitions in source order."""
    ancestors = [n for n in kept if n not in members and n not in files]
    ancestors.sort(key=lambda n: (_depth(graph, n), str(n)))
    out = ancestors
    for file in files:
        if file in kept:
            out.append(file)
            out.extend(n for n in _descendants(graph, file) if n in kept)
    return out


def _depth(graph: nx.MultiDiGraph, node: NodeId) -> int:
    depth, current, seen = 0, _contains_parent(graph, node), {node}
    while current is not None and current not in seen:
        seen.add(current)
        depth += 1
        current = _contains_parent(graph, current)
    return depth
