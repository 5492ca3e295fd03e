"""Text helpers."""
from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize_whitespace(text: str) -> str:
    return " ".join(text.split())


def slugify(text: str) -> str:
    """URL-safe lower-case name: runs of other characters become one dash."""
    return _NOT_WORD.sub("-", normalize_whitespace(text).lower()).strip("-")
