"""Semantic code search over the code graph: units, hybrid BM25 + embedding ranking, vectors kept by digest."""
from __future__ import annotations

from analysis.search.fusion import DEFAULT_FUSION, Fusion
from analysis.search.index import Changes, SearchEmbedder, SearchHit, SearchIndex
from analysis.search.vectors import VectorStore

__all__ = ["DEFAULT_FUSION", "Changes", "Fusion", "SearchEmbedder", "SearchHit", "SearchIndex", "VectorStore"]
