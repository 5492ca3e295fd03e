"""The embedder at localization's seam: vectors the search index already has are reused (only the missing
definitions are embedded), the CLI takes a model folder's search head and keeps the search vectors, and without a
head it says so once and ranks with BM25 and the graph."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from analysis.localize import LocalizationIndex, localize
from tests.localize.test_rewriter import TRACEBACK_ISSUE


class CountingEmbedder:
    """Hashed bags of identifier tokens (deterministic, no model) that records every code text it embeds."""

    def __init__(self) -> None:
        self.code_texts: list[str] = []

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        from analysis.localize.tokens import tokenize

        if kind == "code":
            self.code_texts.extend(texts)
        rows = np.full((len(texts), 32), 0.01)
        for row, text in zip(rows, texts):
            for token in tokenize(text):
                row[sum(map(ord, token)) % 32] += 1.0
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def fresh(index: LocalizationIndex) -> LocalizationIndex:
    return LocalizationIndex.build(index.graph, index.root)


def test_known_vectors_are_reused_and_only_the_missing_definitions_are_embedded(index) -> None:
    embedder = CountingEmbedder()
    nodes, vectors = fresh(index).definition_embeddings(embedder)
    known = dict(zip(nodes, vectors))
    left_out = nodes[:2]
    for node in left_out:
        del known[node]
    reference = localize(fresh(index), TRACEBACK_ISSUE, embedder=CountingEmbedder())
    embedder.code_texts.clear()
    reused = localize(fresh(index), TRACEBACK_ISSUE, embedder=embedder, definition_vectors=known)
    skeletons = [t for t in embedder.code_texts if t.split("\n", 1)[0].endswith(".py")]  # a path, then defs
    assert len(embedder.code_texts) - len(skeletons) == len(left_out) and skeletons
    assert reused.to_json() == reference.to_json()


def test_at_most_the_limit_is_embedded_per_call_and_the_rest_later(index) -> None:
    local = fresh(index)
    embedder = CountingEmbedder()
    first, _ = local.definition_embeddings(embedder, known={}, embed_limit=3)
    second, matrix = local.definition_embeddings(embedder, known={}, embed_limit=3)
    assert len(first) == 3 and len(second) == 6 and matrix.shape == (6, 32) and len(embedder.code_texts) == 6


def localize_cli(repo: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    issue = tmp_path / "issue.md"
    issue.write_text(TRACEBACK_ISSUE)
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", "localize", str(repo), "--issue", str(issue), "--json", "-k", "3",
         "--cache-dir", str(tmp_path / "cache"), *extra],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_the_cli_uses_a_search_head_and_keeps_the_search_vectors(repo: Path, tmp_path: Path,
                                                                 tiny_model_dir: Path) -> None:
    done = localize_cli(repo, tmp_path, "--model", str(tiny_model_dir))
    assert done.returncode == 0, done.stderr
    assert "no search head" not in done.stderr and "not usable" not in done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"files", "functions"} and len(result["files"]) == 3
    assert list((tmp_path / "cache").rglob("search-vectors.msgpack")), "the vectors are kept for search and reruns"


def test_without_a_head_the_cli_says_so_once_and_ranks_with_bm25_and_the_graph(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "model-without-head"
    empty.mkdir()
    done = localize_cli(repo, tmp_path, "--model", str(empty))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("no search head") == 1 and "BM25" in done.stderr
    assert json.loads(done.stdout)["files"][0]["path"] == "shop/pricing.py"
    bad = localize_cli(repo, tmp_path, "--model", str(tmp_path / "nowhere"))
    assert bad.returncode == 2 and "is not a folder" in bad.stderr
