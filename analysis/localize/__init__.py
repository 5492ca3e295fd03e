"""Issue localization over the code graph: rewriter -> retriever -> reranker (CGM's R4 without the reader)."""
from __future__ import annotations

from analysis.localize.embedding import Embedder
from analysis.localize.index import LocalizationIndex
from analysis.localize.pipeline import DEFAULT_K, Cancelled, Localization, localize

__all__ = ["DEFAULT_K", "Cancelled", "Embedder", "Localization", "LocalizationIndex", "localize"]
