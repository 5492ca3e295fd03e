"""The BM25 terms of search: identifier-split tokens (analysis/localize/tokens.py) reduced to their Snowball
(Porter 2) stems, so that a docstring's "Parses the headers" meets `parse_header` in code.

Stemming is search's own choice, measured on the dev packages only (bench/search.py's dev split, BM25 alone:
MRR@10 0.368 -> 0.384 with stems, 0.400 with stems and the definition's name and header counted twice, see
units.py); localization keeps the plain tokens.
"""
from __future__ import annotations

import threading
from collections import Counter
from functools import lru_cache

import snowballstemmer

from analysis.localize.tokens import count_tokens

_local = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


@lru_cache(maxsize=1 << 18)
def stem(token: str) -> str:
    """The stem of one token; whole snake_case identifiers are kept as they are (exact mentions stay exact)."""
    if "_" in token:
        return token
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(token)


def search_terms(text: str) -> Counter[str]:
    """Stemmed token counts of `text` (a query, or a unit's indexed text)."""
    counts: Counter[str] = Counter()
    for token, n in count_tokens(text).items():
        counts[stem(token)] += n
    return counts
