"""Localization reuses the search index's vectors (analysis/search): same embedder, same definitions.

The search index keeps one vector per FUNCTION/CLASS unit (by content digest, persisted beside the graph cache),
embedded from the text localization would embed too (index.py `_embedding_text`), so localization takes them
instead of embedding every definition again.
"""
from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np

from analysis.localize.graphview import DEFINITION_TYPES

if TYPE_CHECKING:
    from analysis.search import SearchIndex


def definition_vectors(search: SearchIndex) -> dict[Hashable, np.ndarray]:
    """Definition node -> its vector, for the units of `search` that have one."""
    out: dict[Hashable, np.ndarray] = {}
    for unit in search.units():
        if unit.kind in DEFINITION_TYPES:
            vector = search.vectors.get(unit.digest)
            if vector is not None:
                out[unit.node] = vector
    return out
