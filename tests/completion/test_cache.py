"""Type-through: typing the start of the shown suggestion returns the rest; anything else misses."""
from __future__ import annotations

from completion.cache import TypeThroughCache
from tests.completion.cursor import context_at


def shown(cache: TypeThroughCache, text: str = "compute(a, b)\nreturn x") -> None:
    cache.remember(context_at("def f():\n    y = ║\n\nz = 1"), text, "block")


def test_typing_the_suggestion_returns_its_rest() -> None:
    cache = TypeThroughCache()
    shown(cache)
    assert cache.lookup(context_at("def f():\n    y = ║\n\nz = 1")) == ("compute(a, b)\nreturn x", "block")
    assert cache.lookup(context_at("def f():\n    y = comp║\n\nz = 1")) == ("ute(a, b)\nreturn x", "block")
    assert cache.lookup(context_at("def f():\n    y = compute(a, b)\nret║\n\nz = 1")) == ("urn x", "block")


def test_other_text_misses() -> None:
    cache = TypeThroughCache()
    shown(cache)
    assert cache.lookup(context_at("def f():\n    y = cx║\n\nz = 1")) is None  # typed something else
    assert cache.lookup(context_at("def f():\n    y = comp║\n\nz = 2")) is None  # the suffix changed
    assert cache.lookup(context_at("def g():\n    y = comp║\n\nz = 1")) is None  # the prefix changed
    assert cache.lookup(context_at("def f():\n    y = compute(a, b)\nreturn x║\n\nz = 1")) is None  # all typed
    assert cache.lookup(context_at("def f():\n    y = comp║\n\nz = 1", uri="file:///other.py")) is None


def test_forget() -> None:
    cache = TypeThroughCache()
    shown(cache)
    cache.forget("file:///t.py")
    assert cache.lookup(context_at("def f():\n    y = ║\n\nz = 1")) is None
