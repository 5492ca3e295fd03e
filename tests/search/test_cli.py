"""`rodimus-lsp search`: usage errors are one line and exit 2; without a search head it ranks with BM25 alone
(and says so when nothing matches); an interrupted first run keeps the vectors it made."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis import Workspace
from analysis.search import SearchIndex, VectorStore
from lsp_server.commands.search import embed_and_keep
from models.embedder import EmbeddingKind
from tests.search.conftest import OneTextAtATime


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lsp_server", "search", *args], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_cli_refuses_bad_usage(project: Path, tmp_path: Path) -> None:
    for args, message in ((["-k", "0"], "-k must be >= 1"), (["--model", str(tmp_path / "none")], "is not a folder")):
        done = run(str(project), "query", *args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_without_a_head_the_cli_ranks_with_bm25(project: Path, tmp_path: Path) -> None:
    model = tmp_path / "model-without-head"
    model.mkdir()
    done = run(str(project), "slug for a title", "-k", "2", "--json", "--model", str(model), "--cache-dir",
               str(tmp_path / "cache"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "BM25 alone" in done.stderr
    hits = json.loads(done.stdout)
    assert hits[0]["name"] == "slugify" and hits[0]["path"] == "textutil/checksums.py"
    nothing = run(str(project), "zyxwvut", "--model", str(model), "--cache-dir", str(tmp_path / "cache"))
    assert nothing.returncode == 0 and nothing.stdout == "" and "no match among the" in nothing.stderr


class InterruptedAt:
    """The embedder, interrupted (Ctrl-C) at its `call`-th call."""

    def __init__(self, embedder: OneTextAtATime, call: int) -> None:
        self.embedder, self.fingerprint, self.calls_left = embedder, embedder.fingerprint, call

    def embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        self.calls_left -= 1
        if self.calls_left == 0:
            raise KeyboardInterrupt
        return self.embedder.embed(texts, kind)


def test_an_interrupted_run_keeps_the_vectors_it_made(tmp_path: Path, exact_embedder: OneTextAtATime) -> None:
    root = tmp_path / "many"
    root.mkdir()
    (root / "many.py").write_text("".join(f"def add_{i}(x):\n    return x + {i}\n\n\n" for i in range(40)))
    workspace = Workspace(root, cache_dir=tmp_path / "cache")
    workspace.index()
    interrupted = SearchIndex(root, InterruptedAt(exact_embedder, call=2))
    interrupted.refresh(workspace.graph)
    total = len(interrupted.pending())
    with pytest.raises(KeyboardInterrupt):
        embed_and_keep(interrupted, "test", tmp_path / "vectors.msgpack")
    kept = VectorStore.load(tmp_path / "vectors.msgpack", exact_embedder.fingerprint)
    assert len(kept) == 32  # the first batch
    resumed = SearchIndex(root, exact_embedder, vectors=kept)
    resumed.refresh(workspace.graph)
    assert len(resumed.pending()) == total - 32
