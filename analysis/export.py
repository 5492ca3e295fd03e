"""Writing the graph in the JSON form CGM's own tools read (research/cgm_cge.md section 2.1).

`{"nodes": [...], "edges": [{"edgeType", "source", "target"}]}`; a node carries `id`, `nodeType` (the capitalised
type name) and the fields of its type:

| nodeType | fields |
|---|---|
| Repo | repoName, groupName |
| Package | name (dotted) |
| File | fileName, filePath (the directory), text, clean_text |
| TextFile | name, path, text |
| Class | className, classType, comment, text, startLoc, endLoc, col, clean_text |
| Attribute | name, attributeType, comment, text, startLoc, endLoc, col |
| Function | name, header, comment, text, startLoc, endLoc, col |

`startLoc` / `endLoc` are 1-based lines, `col` the 0-based column of the start. `clean_text` is the text with the
text of the classes and functions it contains cut out, so no text appears twice along a `contains` path.
Nodes are sorted by id and edges by (source, target, type), so equal graphs give equal files.
"""
from __future__ import annotations

import json
import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from analysis.graph import CONTAINS

NODE_TYPE_NAMES = {
    "REPO": "Repo", "PACKAGE": "Package", "FILE": "File", "TEXTFILE": "TextFile", "CLASS": "Class",
    "ATTRIBUTE": "Attribute", "FUNCTION": "Function",
}


def _clean_text(graph: nx.MultiDiGraph, node_id: str, text: str) -> str:
    """The text without the text of the classes and functions directly contained in the node."""
    pieces: list[str] = []
    position = 0
    children = [
        graph.nodes[child] for child, keys in graph.succ[node_id].items()
        if CONTAINS in keys and graph.nodes[child].get("type") in ("CLASS", "FUNCTION")
    ]
    for child in sorted(children, key=lambda data: (data["start_line"], data["start_col"])):
        found = text.find(child["text"], position)
        if found < 0:
            continue
        pieces.append(text[position:found])
        position = found + len(child["text"])
    pieces.append(text[position:])
    return "".join(pieces)


def cgm_node(graph: nx.MultiDiGraph, node_id: str, data: dict[str, Any], root: Path) -> dict[str, Any]:
    """One node in CGM's JSON form."""
    kind = data["type"]
    out: dict[str, Any] = {"id": node_id, "nodeType": NODE_TYPE_NAMES[kind]}
    if kind == "REPO":
        out.update(repoName=data["name"], groupName=root.parent.name)
    elif kind == "PACKAGE":
        out.update(name=data["name"])
    elif kind == "FILE":
        out.update(fileName=data["name"], filePath=posixpath.dirname(data["path"]), text=data["text"],
                   clean_text=_clean_text(graph, node_id, data["text"]))
    elif kind == "TEXTFILE":
        out.update(name=data["name"], path=data["path"], text=data["text"])
    else:
        location = {"text": data["text"], "startLoc": data["start_line"], "endLoc": data["end_line"],
                    "col": data["start_col"], "comment": data["comment"]}
        if kind == "CLASS":
            out.update(className=data["name"], classType="class", **location,
                       clean_text=_clean_text(graph, node_id, data["text"]))
        elif kind == "FUNCTION":
            out.update(name=data["name"], header=data["header"], **location)
        else:
            out.update(name=data["name"], attributeType=data["attribute_type"], **location)
    return out


def cgm_json(graph: nx.MultiDiGraph, root: str | Path) -> dict[str, list[dict[str, Any]]]:
    root = Path(root)
    nodes = [cgm_node(graph, node_id, data, root) for node_id, data in sorted(graph.nodes(data=True))]
    edges = [{"edgeType": kind, "source": u, "target": v} for u, v, kind in
             sorted(graph.edges(keys=True), key=lambda e: (e[0], e[1], e[2]))]
    return {"nodes": nodes, "edges": edges}


def write_cgm_json(graph: nx.MultiDiGraph, root: str | Path, out_path: str | Path) -> None:
    """Write the graph as CGM's JSON to `out_path` (atomically: a reader never sees half a file)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(cgm_json(graph, root), out, ensure_ascii=False)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
