from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from models.data import PackedSampler, SpecialIds, fim_ids, line_hole_split, random_span_split

SOURCE = "def f(a):\n    if a:\n        return 1\n    return 2\n"


@given(text=st.text(min_size=1, max_size=200), seed=st.integers(0, 10_000))
@settings(max_examples=100, deadline=None)
def test_splits_partition_the_text(text: str, seed: int) -> None:
    for split in (random_span_split, line_hole_split):
        prefix, middle, suffix = split(text, random.Random(seed))
        assert prefix + middle + suffix == text


def test_line_hole_middle_ends_at_a_line_end() -> None:
    for seed in range(50):
        prefix, middle, suffix = line_hole_split(SOURCE, random.Random(seed))
        assert suffix == "" or suffix.startswith("\n")


def test_fim_ids_are_in_psm_order() -> None:
    special = SpecialIds(eos=1, fim_begin=2, fim_hole=3, fim_end=4)
    ids = fim_ids([10, 11], [30], [20, 21, 22], special, budget=64)
    assert ids == [2, 10, 11, 3, 20, 21, 22, 4, 30, 1]


def test_fim_ids_trim_far_context_first() -> None:
    special = SpecialIds(eos=1, fim_begin=2, fim_hole=3, fim_end=4)
    prefix, suffix, middle = list(range(100, 150)), list(range(200, 250)), [30, 31]
    ids = fim_ids(prefix, middle, suffix, special, budget=20)
    assert len(ids) == 20
    hole, end = ids.index(3), ids.index(4)
    assert ids[hole - 1] == 149 and ids[hole + 1] == 200  # the context next to the hole survives
    assert ids[end + 1 :] == [30, 31, 1]


def test_sampler_blocks_have_fixed_length_and_fim_share(tokenizer: Tokenizer) -> None:
    sampler = PackedSampler([SOURCE * 3, SOURCE], tokenizer, seq_len=32, fim_rate=0.5, seed=1)
    batch = sampler.batch(4)
    assert batch.shape == (4, 33)
    begin = sampler.special.fim_begin
    share = sum(sampler.sample_ids()[0] == begin for _ in range(400)) / 400
    assert 0.4 < share < 0.6


def test_plain_sample_decodes_to_source_text(tokenizer: Tokenizer) -> None:
    sampler = PackedSampler([SOURCE], tokenizer, seq_len=256, fim_rate=0.0, seed=0)
    ids = sampler.sample_ids()
    assert ids[-1] == sampler.special.eos
    assert tokenizer.decode(ids[:-1]) == SOURCE
