"""Okapi BM25 over documents given as token counts.

Postings are built once per index (term -> document rows and term frequencies as numpy arrays), so a query
costs one vectorised update per distinct query term, whatever the number of documents.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


class BM25:
    """BM25 (Robertson/Sparck Jones IDF with the +1 that keeps it positive; k1 = 1.2, b = 0.75)."""

    def __init__(self, docs: Sequence[Mapping[str, int]], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(docs)
        lengths = np.array([sum(doc.values()) for doc in docs], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() > 0 else 1.0
        self._norm = k1 * (1.0 - b + b * lengths / average)  # per-document length normalisation
        self._k1 = k1
        # Postings in CSR form: the rows and term frequencies of term j are [indptr[j], indptr[j + 1]).
        self._vocabulary: dict[str, int] = {}
        term_ids: list[int] = []
        freqs: list[int] = []
        rows: list[int] = []
        for row, doc in enumerate(docs):
            setdefault = self._vocabulary.setdefault
            term_ids.extend([setdefault(term, len(self._vocabulary)) for term in doc])
            freqs.extend(doc.values())
            rows.extend([row] * len(doc))
        ids = np.asarray(term_ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        self._rows = np.asarray(rows, dtype=np.int64)[order]
        self._freqs = np.asarray(freqs, dtype=np.float64)[order]
        counts = np.bincount(ids, minlength=len(self._vocabulary))
        self._indptr = np.concatenate(([0], np.cumsum(counts)))
        self._idf_values = np.log(1.0 + (self.size - counts + 0.5) / (counts + 0.5))

    def _posting(self, term: str) -> tuple[int, np.ndarray, np.ndarray] | None:
        j = self._vocabulary.get(term)
        if j is None:
            return None
        start, end = self._indptr[j], self._indptr[j + 1]
        return j, self._rows[start:end], self._freqs[start:end]

    def idf(self, term: str) -> float:
        """IDF of `term` (that of a term seen in no document when it is unknown)."""
        j = self._vocabulary.get(term)
        return float(self._idf_values[j]) if j is not None else math.log(1.0 + (self.size + 0.5) / 0.5)

    def document_frequency(self, term: str) -> int:
        j = self._vocabulary.get(term)
        return 0 if j is None else int(self._indptr[j + 1] - self._indptr[j])

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """Score of every document for `query` (term -> query weight, e.g. its count in the query)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            posting = self._posting(term)
            if posting is None or weight <= 0:
                continue
            j, rows, tf = posting
            out[rows] += weight * self._idf_values[j] * tf * (self._k1 + 1.0) / (tf + self._norm[rows])
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


def query_weights(tokens: Sequence[str]) -> Counter[str]:
    """Query term weights: the count of each token (BM25's usual query term frequency)."""
    return Counter(tokens)
