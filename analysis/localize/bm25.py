"""Okapi BM25 over documents given as back-to-back term-count arrays (tokenstore.Documents).

Postings are built once per index, in CSR form with numpy (term -> document rows and term frequencies), so
building costs a sort of all (document, term) pairs and a query costs one vectorised update per query term.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from analysis.localize.tokenstore import Documents


class BM25:
    """BM25 (Robertson/Sparck Jones IDF with the +1 that keeps it positive; k1 = 1.2, b = 0.75)."""

    def __init__(self, docs: Documents, vocabulary: Mapping[str, int], k1: float = 1.2, b: float = 0.75):
        self.size = len(docs.sizes)
        self._vocabulary = vocabulary
        self._k1 = k1
        ids = docs.ids.astype(np.int64)
        freqs = docs.counts.astype(np.float64)
        rows = np.repeat(np.arange(self.size, dtype=np.int64), docs.sizes)
        lengths = np.bincount(rows, weights=freqs, minlength=self.size)
        average = float(lengths.mean()) if self.size and lengths.sum() > 0 else 1.0
        self._norm = k1 * (1.0 - b + b * lengths / average)  # per-document length normalisation
        order = np.argsort(ids, kind="stable")
        self._rows, self._freqs = rows[order], freqs[order]
        self._terms = int(ids.max()) + 1 if len(ids) else 0
        counts = np.bincount(ids, minlength=self._terms)
        self._indptr = np.concatenate(([0], np.cumsum(counts)))
        self._idf = np.log(1.0 + (self.size - counts + 0.5) / (counts + 0.5))

    def _term(self, term: str) -> int | None:
        j = self._vocabulary.get(term)
        return j if j is not None and j < self._terms and self._indptr[j + 1] > self._indptr[j] else None

    def idf(self, term: str) -> float:
        """IDF of `term` (that of a term seen in no document when it is unknown)."""
        j = self._term(term)
        return float(self._idf[j]) if j is not None else math.log(1.0 + (self.size + 0.5) / 0.5)

    def document_frequency(self, term: str) -> int:
        j = self._term(term)
        return 0 if j is None else int(self._indptr[j + 1] - self._indptr[j])

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """Score of every document for `query` (term -> query weight, e.g. its count in the query)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            j = self._term(term)
            if j is None or weight <= 0:
                continue
            start, end = self._indptr[j], self._indptr[j + 1]
            rows, tf = self._rows[start:end], self._freqs[start:end]
            out[rows] += weight * self._idf[j] * tf * (self._k1 + 1.0) / (tf + self._norm[rows])
        return out

    def top(self, query: Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """The `k` best (row, score) pairs with a positive score, best first."""
        scores = self.scores(query)
        if not self.size or k <= 0:
            return []
        k = min(k, self.size)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(row), float(scores[row])) for row in best if scores[row] > 0]
