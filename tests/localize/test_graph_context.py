"""The reader's graph context: CGM node sentences, the bound, the focus first, edges among kept nodes, and
`prepare_fix` filling it."""
from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx

from analysis.patch.apply import disk_reader
from analysis.patch.pipeline import prepare_fix
from analysis.readers.base import ReaderReply, ReaderRequest
from analysis.readers.graph_context import build_graph_context, node_sentence
from analysis.workspace import Workspace

PRICING = "shop/pricing.py"
DISCOUNT = "shop/pricing.py::apply_discount"


def test_sentences_follow_cgm_per_node_type() -> None:
    function = {"type": "FUNCTION", "name": "f", "header": "def f(a):", "comment": "Doc.", "text": "def f(a):\n  x"}
    assert node_sentence(function) == "def f(a): f\nDoc.\ndef f(a):\n  x"
    assert node_sentence({**function, "comment": ""}) == "def f(a): f\ndef f(a):\n  x"
    cls = {"type": "CLASS", "name": "C", "comment": "", "text": "class C:\n  pass"}
    assert node_sentence(cls) == "class C\n\nclass C:\n  pass"
    attribute = {"type": "ATTRIBUTE", "name": "X", "attribute_type": "int", "comment": "", "text": "X = 1"}
    assert node_sentence(attribute) == "int X\n\nX = 1"
    assert node_sentence({**attribute, "attribute_type": ""}) == "X\n\nX = 1"
    assert node_sentence({"type": "FILE", "name": "m.py", "path": "p/m.py", "text": "x = 1\n"}) == "p/m.py\nx = 1\n"
    assert node_sentence({"type": "TEXTFILE", "name": "R.md", "path": "R.md", "text": "hi"}) == "R.md\nhi"
    assert node_sentence({"type": "PACKAGE", "name": "p.q", "path": "p/q"}) == "p.q"
    long_file = {"type": "FILE", "name": "m.py", "path": "m.py", "text": "y" * 50}
    assert node_sentence(long_file, max_chars=10) == "m.py\nyyyyy"


def test_files_their_definitions_and_ancestors_with_the_edges_among_them(index) -> None:
    context = build_graph_context(index.graph, [PRICING], [DISCOUNT])
    ids = [node.id for node in context.nodes]
    assert ids[0] == DISCOUNT  # the focus first
    assert ids[1:4] == [".", "shop", PRICING]  # then the ancestors, outermost first, then the file
    contains = nx.DiGraph((s, t) for s, t, d in index.graph.edges(data=True) if d["type"] == "contains")
    expected = {PRICING, *nx.descendants(contains, PRICING), ".", "shop"}
    assert "shop/pricing.py::TAX_RATE" in expected  # attributes too
    assert set(ids) == {str(n) for n in expected}
    kept = set(ids)
    wanted = {
        (ids.index(str(s)), ids.index(str(t)), str(getattr(d["type"], "value", d["type"])))
        for s, t, d in index.graph.edges(data=True)
        if str(s) in kept and str(t) in kept
    }
    assert set(context.edges) == wanted and len(context.edges) == len(wanted)
    assert (ids.index("shop"), ids.index(PRICING), "contains") in context.edges
    assert any(kind == "calls" for _, _, kind in context.edges)  # apply_discount -> round_price
    by_id = {node.id: node for node in context.nodes}
    assert by_id[DISCOUNT].type == "FUNCTION" and by_id[DISCOUNT].text.startswith("def apply_discount(")
    assert by_id[PRICING].text.startswith("shop/pricing.py\n\"\"\"Prices")


def test_the_bound_keeps_the_focus_neighbourhood_connected(index) -> None:
    files = [index.by_path[p] for p in sorted(index.by_path)]
    full = build_graph_context(index.graph, files)
    assert len(full.nodes) > 12
    small = build_graph_context(index.graph, files, [DISCOUNT], max_nodes=12)
    assert len(small.nodes) == 12 and small.nodes[0].id == DISCOUNT
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(small.nodes)))
    graph.add_edges_from((s, t) for s, t, kind in small.edges if kind == "contains")
    assert nx.is_weakly_connected(graph)  # every kept node hangs under the repository by `contains`
    assert [node.id for node in small.nodes][1] == "."


class RecordingReader:
    name = "recording"

    def __init__(self) -> None:
        self.requests: list[ReaderRequest] = []

    def read(self, request: ReaderRequest, cancelled=None) -> ReaderReply:
        self.requests.append(request)
        return ReaderReply(edits=(), raw="")


def test_prepare_fix_gives_the_reader_the_graph_of_its_files(index, repo) -> None:
    issue = "apply_discount raises ValueError for a 100 percent discount in shop/pricing.py"
    prepared = prepare_fix(index, issue, RecordingReader(), disk_reader(repo))
    request = prepared.request
    assert request is not None and request.graph is not None
    files = {node.id for node in request.graph.nodes if node.type == "FILE"}
    assert files <= {source.path for source in request.files} and PRICING in files
    top_function = prepared.localization.functions[0].node
    assert request.graph.nodes[0].id == str(top_function)
    assert len(request.graph.nodes) <= 64


def test_a_crlf_checkout_gives_the_reader_the_request_of_its_lf_original(index, repo: Path, tmp_path: Path) -> None:
    """The reader and its node encoder read "\\n" line breaks; the patch is written with the file's own."""
    from analysis.localize import LocalizationIndex

    crlf = tmp_path / "crlf" / repo.name  # the same name: the repository node is named by its folder
    shutil.copytree(repo, crlf)
    for path in crlf.rglob("*.py"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    workspace = Workspace(crlf, cache_dir=tmp_path / "cache")
    workspace.index()
    issue = "apply_discount raises ValueError for a 100 percent discount in shop/pricing.py"
    requests = [prepare_fix(i, issue, RecordingReader(), disk_reader(root)).request
                for i, root in ((index, repo), (LocalizationIndex.build(workspace.graph, crlf), crlf))]
    assert requests[0] is not None and requests[1] is not None
    assert requests[1].files == requests[0].files and requests[1].graph == requests[0].graph
