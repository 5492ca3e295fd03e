"""The embedder seam of localization.

The semantic embedder (CGE) plugs in here. Retrieval and reranking use it when one is given and work without it
(BM25 and name matching only), so nothing in `analysis.localize` needs a model to run.
"""
from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

EmbeddingKind = Literal["query", "code"]


class Embedder(Protocol):
    def embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        """Embeddings of `texts` as an array [len(texts), D], each row L2-normalised.

        `kind` says whether the texts are natural-language queries or code, for embedders that encode them
        differently (an instruction prefix, another pooling).
        """
        ...


def cosine_top(queries: np.ndarray, keys: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """For each query row, the `k` best key rows by cosine similarity (rows are L2-normalised), best first."""
    if keys.shape[0] == 0 or queries.shape[0] == 0:
        return [[] for _ in range(queries.shape[0])]
    similarity = queries @ keys.T  # [Q, N]
    k = min(k, keys.shape[0])
    out: list[list[tuple[int, float]]] = []
    for row in similarity:
        best = np.argpartition(-row, k - 1)[:k]
        best = best[np.argsort(-row[best], kind="stable")]
        out.append([(int(i), float(row[i])) for i in best])
    return out
