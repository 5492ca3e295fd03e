"""The document cache model: longest earlier match of the window's end, and its mix with the model."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from completion.ngram_cache import NgramCache
from completion.options import CacheOptions


def brute_force(ids: list[int], min_order: int, max_order: int) -> tuple[int, list[int]]:
    """The longest n <= max_order such that ids[-n:] occurs ending before the last token, and what followed."""
    for n in range(min(max_order, len(ids) - 1), min_order - 1, -1):
        following = [ids[i + 1] for i in range(n - 1, len(ids) - 1) if ids[i - n + 1 : i + 1] == ids[-n:]]
        if following:
            return n, following
    return 0, []


@given(st.lists(st.integers(0, 3), max_size=40), st.integers(1, 4), st.integers(0, 4))
def test_continuations_are_the_longest_earlier_match(ids: list[int], min_order: int, extra_order: int) -> None:
    cache = NgramCache(ids[: len(ids) // 2], weight=0.5, min_order=min_order, max_order=min_order + extra_order,
                       extra=1)
    for token in ids[len(ids) // 2 :]:  # pushed one by one, past the room reserved for them
        cache.push(token)
    order, following = cache.continuations()
    expected_order, expected = brute_force(ids, min_order, min_order + extra_order)
    assert (order, sorted(following.tolist())) == (expected_order, sorted(expected))


def test_mix_interpolates_the_counts_with_the_model() -> None:
    cache = NgramCache([5, 6, 7, 5, 6, 8, 5, 6], weight=0.5, min_order=2)  # "5 6" was followed by 7 and by 8
    logits = torch.zeros(10)
    assert sorted(cache.following().tolist()) == [7, 8]
    probs = torch.exp(cache.mix(logits))
    assert torch.allclose(probs.sum(), torch.tensor(1.0))
    assert torch.allclose(probs[[7, 8]], torch.tensor([0.05 + 0.25, 0.05 + 0.25]))
    assert torch.allclose(probs[0], torch.tensor(0.05))


def test_no_match_leaves_the_model_alone() -> None:
    logits = torch.randn(10)
    for cache in (NgramCache([1, 2, 3, 4], weight=0.9, min_order=2), NgramCache([1, 2, 1, 2], weight=0.0, min_order=2)):
        assert not len(cache.following()) and cache.mix(logits) is logits


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        NgramCache([], weight=1.5)
    with pytest.raises(ValueError):
        NgramCache([], weight=0.5, min_order=4, max_order=3)
    with pytest.raises(ValueError):
        CacheOptions(weight=-0.1)
    with pytest.raises(ValueError):
        CacheOptions(min_order=0)


def test_the_window_is_the_last_tokens() -> None:
    cache = NgramCache.of(list(range(100)), CacheOptions(window=10))
    assert cache.tokens.tolist() == list(range(90, 100))
