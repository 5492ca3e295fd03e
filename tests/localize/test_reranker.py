"""Reranking evidence on small graphs where only one signal differs between files: module names the issue
spells, attributes it names, and the priors of stubs, vendored copies, tooling and files in another language."""
from __future__ import annotations

import networkx as nx

from analysis.localize import LocalizationIndex, localize
from tests.localize.test_index import graph_of

BODY = [("update_counts", ["stock", "total", "reserve"])]


def ranked(graph: nx.MultiDiGraph, issue: str) -> list[str]:
    return [f.path for f in localize(LocalizationIndex.build(graph, "/repo"), issue).files]


def test_a_module_the_issue_names_in_plain_words_ranks_first() -> None:
    graph = graph_of({"shop/ledger.py": BODY, "shop/inventory.py": BODY, "shop/orders.py": BODY})
    assert ranked(graph, "inventory totals drift after a reserve")[0] == "shop/inventory.py"
    assert ranked(graph, "ledger totals drift after a reserve")[0] == "shop/ledger.py"


def test_the_project_name_in_every_path_is_no_evidence() -> None:
    from analysis.localize.retriever import retrieve
    from analysis.localize.rewriter import rewrite

    graph = graph_of({"shop/alpha.py": BODY, "shop/beta.py": BODY, "shop/util/gamma.py": BODY})
    index = LocalizationIndex.build(graph, "/repo")
    issue = "the shop loses a reserve"
    anchors = retrieve(index, issue, rewrite(issue)).anchors
    assert not any("path_words" in evidence for evidence in anchors.values())
    named = retrieve(index, "gamma loses a reserve", rewrite("gamma loses a reserve")).anchors
    assert [index.units[n].path for n, e in named.items() if "path_words" in e] == ["shop/util/gamma.py"]


def test_stubs_vendored_copies_tooling_and_other_languages_rank_below_the_module() -> None:
    copies = ["pkg/_vendor/counts.py", "pkg/counts.pyi", "tools/counts.py", "pkg/counts_ext.c"]
    graph = graph_of({path: BODY for path in [*copies, "pkg/counts.py"]})
    for path in graph.nodes:
        if graph.nodes[path].get("type") == "FILE":
            graph.nodes[path]["lang"] = "c" if path.endswith(".c") else "python"
    assert ranked(graph, "update_counts loses the reserve total")[0] == "pkg/counts.py"


def test_a_constant_the_issue_names_points_at_the_file_that_assigns_it() -> None:
    graph = graph_of({"app/config.py": [("load", ["path"])], "app/client.py": [("send", ["retry", "total"])]})
    graph.add_node("app/config.py::MAX_RETRIES", type="ATTRIBUTE", name="MAX_RETRIES", qualname="MAX_RETRIES",
                   path="app/config.py", start_line=3, end_line=3, text="MAX_RETRIES = 3")  # fmt: skip
    graph.add_edge("app/config.py", "app/config.py::MAX_RETRIES", key="contains", type="contains")
    assert ranked(graph, "`MAX_RETRIES` is ignored")[0] == "app/config.py"  # client.py first by name otherwise
