"""The retrieved subgraph as text for a reader's prompt.

One block per ranked file: its path, then its classes and functions indented by nesting with 1-based line
ranges, then the files it is linked to (imports, calls, extends) among the retrieved files. This is the textual
counterpart of CGM's node tokens + adjacency: structure without the code, which the prompt carries separately.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from analysis.localize.graphview import CONTAINS, node_type
from analysis.localize.index import LocalizationIndex, NodeId


def serialize_subgraph(index: LocalizationIndex, files: Sequence[NodeId], max_definitions: int = 60) -> str:
    wanted = set(files)
    links: dict[NodeId, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for file in files:
        members = [file, *index.children.get(file, [])]
        for member in members:
            for _, target, data in index.graph.out_edges(member, data=True):
                kind = str(getattr(data.get("type"), "value", data.get("type", ""))).lower()
                if kind == CONTAINS:
                    continue
                target_file = index.containing_file(target)
                if target_file in wanted and target_file != file:
                    links[file][kind].add(index.units[target_file].path)
    blocks = []
    for file in files:
        unit = index.units[file]
        lines = [f"file {unit.path}"]
        for child in index.children.get(file, [])[:max_definitions]:
            child_unit = index.units[child]
            depth = child_unit.qualname.count(".") + 1
            kind = node_type(index.graph.nodes[child]).lower()
            span = f"lines {child_unit.start_line}-{child_unit.end_line}"
            lines.append(f"{'  ' * depth}{kind} {child_unit.name} ({span})")
        for kind in sorted(links[file]):
            lines.append(f"  {kind}: {', '.join(sorted(links[file][kind]))}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
