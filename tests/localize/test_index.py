"""The localization index: token counts reused from an earlier build or from disk give the from-scratch index."""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.localize import LocalizationIndex
from analysis.localize.tokens import count_tokens
from analysis.localize.tokenstore import TokenStore

WORDS = ["parse", "header", "cart", "total", "discount", "slug", "token", "reserve", "stock", "url"]


def graph_of(files: dict[str, list[tuple[str, list[str]]]]) -> nx.MultiDiGraph:
    """A graph in the CGM schema of analysis/graph.py: each file holds functions with bodies of words."""
    graph = nx.MultiDiGraph()
    for path, functions in files.items():
        lines, line = [], 1
        graph.add_node(path, type="FILE", name=path.rsplit("/", 1)[-1], path=path)
        for name, words in functions:
            body = [f"def {name}():", *(f"    {w}_value = {w}" for w in words)]
            graph.add_node(f"{path}::{name}", type="FUNCTION", name=name, qualname=name, path=path,
                           start_line=line, end_line=line + len(body) - 1, text="\n".join(body))  # fmt: skip
            graph.add_edge(path, f"{path}::{name}", key="contains", type="contains")
            lines += body
            line += len(body)
        graph.nodes[path]["text"] = "\n".join(lines) + "\n"
    return graph


repositories = st.dictionaries(
    st.sampled_from(["a.py", "pkg/b.py", "pkg/c.py", "d.py"]),
    st.lists(st.tuples(st.sampled_from(["f", "g", "h", "parse_header"]), st.lists(st.sampled_from(WORDS), max_size=6)),
             max_size=3, unique_by=lambda t: t[0]),  # fmt: skip
    min_size=1,
)


def scores(index: LocalizationIndex, query: str) -> tuple[dict, dict]:
    weights = count_tokens(query)
    files = dict(zip((index.units[f].path for f in index.files), index.file_bm25.scores(weights).round(9)))
    definitions = dict(zip((index.units[d].qualname + "@" + index.units[d].path for d in index.definitions),
                           index.definition_bm25.scores(weights).round(9)))  # fmt: skip
    return files, definitions


@settings(max_examples=40, deadline=None)
@given(before=repositories, after=repositories, query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
def test_reusing_token_counts_gives_the_from_scratch_index(before, after, query, tmp_path_factory) -> None:
    root = Path("/nonexistent-root")
    old = LocalizationIndex.build(graph_of(before), root)
    incremental = LocalizationIndex.build(graph_of(after), root, old)
    path = tmp_path_factory.mktemp("store") / "tokens.msgpack"
    incremental.tokens.save(path)
    from_disk = LocalizationIndex.build(graph_of(after), root, TokenStore.load(path))
    scratch = LocalizationIndex.build(graph_of(after), root)
    text = " ".join(query)
    assert scores(incremental, text) == scores(scratch, text) == scores(from_disk, text)
    assert incremental.units == scratch.units == from_disk.units


def test_bm25_matches_the_textbook_formula() -> None:
    docs = {"a.py": [("f", ["cart", "cart", "total"])], "b.py": [("g", ["discount"])], "c.py": [("h", ["url"])]}
    index = LocalizationIndex.build(graph_of(docs), Path("/nonexistent-root"))
    counts = [count_tokens(index.units[f].path.replace("/", " ") + "\n" + index.file_text(f)) for f in index.files]
    lengths = np.array([sum(c.values()) for c in counts], dtype=float)
    expected = []
    for count, length in zip(counts, lengths):
        total = 0.0
        for term in ("cart", "total"):
            df = sum(term in c for c in counts)
            idf = math.log(1 + (len(counts) - df + 0.5) / (df + 0.5))
            tf = count[term]
            total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / lengths.mean()))
        expected.append(total)
    assert np.allclose(index.file_bm25.scores(Counter(["cart", "total"])), expected)
