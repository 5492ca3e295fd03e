"""The CGM JSON export: the shape CGM's own tools read."""
from __future__ import annotations

import json
from pathlib import Path

from analysis import Workspace
from analysis.export import write_cgm_json

FIXTURES = Path(__file__).with_name("fixtures")

FIELDS = {
    "Repo": {"repoName", "groupName"},
    "Package": {"name"},
    "File": {"fileName", "filePath", "text", "clean_text"},
    "TextFile": {"name", "path", "text"},
    "Class": {"className", "classType", "comment", "text", "startLoc", "endLoc", "col", "clean_text"},
    "Attribute": {"name", "attributeType", "comment", "text", "startLoc", "endLoc", "col"},
    "Function": {"name", "header", "comment", "text", "startLoc", "endLoc", "col"},
}


def test_cgm_json_shape(tmp_path: Path) -> None:
    ws = Workspace(FIXTURES / "pyres", cache_dir=tmp_path / "cache")
    ws.index(use_cache=False)
    out = tmp_path / "out" / "graph.json"
    write_cgm_json(ws.graph, ws.root, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"nodes", "edges"}
    ids = set()
    for node in data["nodes"]:
        assert set(node) == {"id", "nodeType"} | FIELDS[node["nodeType"]]
        ids.add(node["id"])
    assert {n["nodeType"] for n in data["nodes"]} == {"Repo", "Package", "File", "Class", "Attribute", "Function"}
    assert len(data["edges"]) == ws.graph.number_of_edges()
    for edge in data["edges"]:
        assert set(edge) == {"edgeType", "source", "target"}
        assert edge["edgeType"] in {"contains", "imports", "extends", "calls"}
        assert edge["source"] in ids and edge["target"] in ids
    by_id = {n["id"]: n for n in data["nodes"]}
    item = by_id["shop/catalog.py::Item"]
    assert (item["className"], item["startLoc"], item["endLoc"], item["col"]) == ("Item", 8, 24, 0)
    assert "def label" not in item["clean_text"] and "currency" in item["clean_text"]
    catalog = by_id["shop/catalog.py"]
    assert (catalog["fileName"], catalog["filePath"]) == ("catalog.py", "shop")
    assert "class Item" not in catalog["clean_text"] and "DEFAULT_PRICE" in catalog["clean_text"]
    write_cgm_json(ws.graph, ws.root, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == out.read_bytes()
