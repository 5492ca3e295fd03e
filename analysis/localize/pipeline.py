"""Rewriter -> retriever -> reranker, and the JSON the CLI and `rodimus.localize` print."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from analysis.localize.embedding import Embedder
from analysis.localize.index import LocalizationIndex, NodeId
from analysis.localize.reranker import RankedFile, RankedFunction, rank_files, rank_functions
from analysis.localize.retriever import retrieve
from analysis.localize.rewriter import Rewrite, rewrite
from analysis.readers.base import ChatModel

DEFAULT_K = 10


class Cancelled(Exception):
    """The caller cancelled localization between two stages."""


@dataclass(frozen=True)
class Localization:
    files: list[RankedFile]
    functions: list[RankedFunction]
    rewrite: Rewrite

    def to_json(self, k: int = DEFAULT_K) -> dict:
        """`{"files": [{"path", "score"}], "functions": [{"path", "name", "start_line", "end_line", "score"}]}`."""
        return {
            "files": [{"path": f.path, "score": round(f.score, 4)} for f in self.files[:k]],
            "functions": [
                {
                    "path": f.path,
                    "name": f.name,
                    "start_line": f.start_line,
                    "end_line": f.end_line,
                    "score": round(f.score, 4),
                }
                for f in self.functions[:k]
            ],
        }


def localize(
    index: LocalizationIndex,
    issue: str,
    *,
    embedder: Embedder | None = None,
    definition_vectors: Mapping[NodeId, np.ndarray] | None = None,
    chat: ChatModel | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Localization:
    """Rank the files and functions of `index`'s graph that `issue` is about.

    With an `embedder`, embedding kNN and skeleton similarity join the evidence; `definition_vectors` are the
    definitions' vectors already computed by that embedder (the search index's, see search_vectors.py)."""

    def stage(name: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled(name)
        if progress is not None:
            progress(name)

    stage("rewriting the issue")
    rewritten = rewrite(issue, chat)
    stage("retrieving anchors")
    retrieval = retrieve(index, issue, rewritten, embedder, definition_vectors)
    stage("reranking")
    files = rank_files(index, retrieval, embedder)
    functions = rank_functions(index, retrieval, files)
    return Localization(files=files, functions=functions, rewrite=rewritten)
