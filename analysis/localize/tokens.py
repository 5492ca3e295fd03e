"""Identifier-aware tokenization shared by BM25, the rewriter and the reranker.

Code and issue text are tokenized the same way so that `parse_header_line` in code and "parse header line" in
prose meet: every identifier yields its lower-cased sub-words (split on `_`, camelCase and digit boundaries) and,
when it has more than one sub-word, the whole identifier as well, which rewards exact mentions.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBWORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# English function words and the Python keywords/builtins that appear in nearly every file. IDF would push them
# down anyway; dropping them keeps postings short and queries fast.
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below between both but
    by can could did do does doing done down during each either else etc few for from further had has have having he
    her here hers him his how however i if in into is it its itself just let like may me might more most must my no
    nor not now of off on once one only or other our out over own same see seem seems she should since so some such
    than that the their them then there these they this those though through thus to too under until up upon us use
    used uses using very via was we were what when where whether which while who whom why will with within without
    would yet you your
    def self cls return none true false pass import from class elif try except finally raise lambda yield async await
    assert del global nonlocal break continue
    """.split()
)


def split_identifier(identifier: str) -> list[str]:
    """`parseHTTPHeader_v2` -> ["parse", "http", "header", "v", "2"] (lower-cased sub-words)."""
    return [part.lower() for part in _SUBWORD.findall(identifier)]


def identifier_tokens(identifier: str) -> Iterator[str]:
    """The tokens one identifier contributes: its sub-words, plus the whole identifier when compound."""
    parts = split_identifier(identifier)
    for part in parts:
        if len(part) > 1 and part not in STOPWORDS:
            yield part
    if len(parts) > 1:
        yield identifier.lower().strip("_")


def tokenize(text: str) -> list[str]:
    """All tokens of `text`, in order, with repeats."""
    out: list[str] = []
    for identifier in IDENTIFIER.findall(text):
        out.extend(_tokens_of(identifier))
    return out


def count_tokens(text: str) -> Counter[str]:
    """Token counts of `text`; each distinct identifier is split once (code repeats its names a lot)."""
    counts: Counter[str] = Counter()
    for identifier, n in Counter(IDENTIFIER.findall(text)).items():
        for token in _tokens_of(identifier):
            counts[token] += n
    return counts


_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 1 << 20


def _tokens_of(identifier: str) -> tuple[str, ...]:
    tokens = _CACHE.get(identifier)
    if tokens is None:
        tokens = tuple(identifier_tokens(identifier))
        if len(_CACHE) < _CACHE_LIMIT:
            _CACHE[identifier] = tokens
    return tokens


def tokenize_all(texts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        out.extend(tokenize(text))
    return out
