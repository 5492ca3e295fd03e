"""Strict cattrs structuring of JSON primitives: no coercion of "3" into 3, 1 into True or 3 into "3"."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cattrs


def strict_hook(kind: type) -> Callable[[Any, type], Any]:
    """A structure hook that accepts only values already of `kind` (and no bool as an int)."""

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r:.40}")
        return value

    return structure


def make_strict(converter: cattrs.Converter, kinds: tuple[type, ...] = (int, float, str, bool)) -> cattrs.Converter:
    for kind in kinds:
        converter.register_structure_hook(kind, strict_hook(kind))
    return converter
