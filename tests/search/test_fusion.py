"""analysis.search.fusion: weighted reciprocal rank fusion and the min-max mix of BM25 and cosine."""
from __future__ import annotations

import numpy as np

from analysis.search import Fusion

BM25 = np.array([0.0, 5.0, 3.0, 1.0])
COSINE = np.array([0.9, 0.1, np.nan, 0.5])  # row 2 has no vector yet


def test_rrf_adds_the_weighted_reciprocal_ranks() -> None:
    ranked = Fusion("rrf", weight=0.5, k=1.0).rank(BM25, COSINE, 4)
    # cosine ranks: 0, 3, 1; BM25 ranks: 1, 2, 3 (row 0 has no match)
    expected = {0: 0.5 / 2, 1: 0.5 / 4 + 0.5 / 2, 2: 0.5 / 3, 3: 0.5 / 3 + 0.5 / 4}
    assert [row for row, _ in ranked] == sorted(expected, key=lambda r: -expected[r])
    assert dict(ranked) == expected


def test_weights_zero_and_one_are_bm25_and_the_embedding_alone() -> None:
    assert [row for row, _ in Fusion("rrf", weight=0.0).rank(BM25, COSINE, 4)][:3] == [1, 2, 3]
    assert [row for row, _ in Fusion("rrf", weight=1.0).rank(BM25, COSINE, 3)] == [0, 3, 1]


def test_mix_scales_both_scores_to_the_unit_interval() -> None:
    ranked = dict(Fusion("mix", weight=0.5).rank(BM25, COSINE, 4))
    assert ranked[1] == 0.5 * (0.1 - (-1.0)) / 1.9 + 0.5 * 1.0  # row 2's missing cosine counts as -1
    assert max(ranked, key=ranked.get) == 1


def test_without_vectors_the_ranking_is_bm25_and_exclusion_holds() -> None:
    assert Fusion().rank(BM25, None, 2) == [(1, 5.0), (2, 3.0)]
    assert [row for row, _ in Fusion().rank(BM25, COSINE, 4, exclude=1)] == [3, 0, 2]  # a tie goes to the lower row
    assert Fusion().rank(np.zeros(0), None, 3) == []
