"""StateSpill: a state written to the temporary file reads back exactly, slots are reused, copies are apart."""
from __future__ import annotations

import copy

import pytest
import torch

from completion.lm import RecurrentLM
from completion.spill import StateSpill
from models.state import RodimusState


def random_state(lm: RecurrentLM, position: int) -> RodimusState:
    state = lm.new_state()
    for layer in state.layers:
        for t in layer.tensors():
            t.copy_(torch.randn_like(t, dtype=torch.float32).to(t.dtype))
    state.position = position
    return state


def assert_equal(actual: RodimusState, expected: RodimusState) -> None:
    assert actual.position == expected.position
    for mine, theirs in zip(actual.layers, expected.layers, strict=True):
        for a, b in zip(mine.tensors(), theirs.tensors(), strict=True):
            assert torch.equal(a, b)


def test_a_spilled_state_reads_back_exactly(plus_lm: RecurrentLM) -> None:
    spill = StateSpill(plus_lm.state_nbytes)
    first, second = random_state(plus_lm, 5), random_state(plus_lm, 9)
    slots = spill.put(first), spill.put(second)
    assert spill.nbytes == 2 * plus_lm.state_nbytes
    into = plus_lm.new_state()
    spill.get(slots[0], into)
    assert_equal(into, first)
    spill.get(slots[1], into)
    assert_equal(into, second)


def test_a_released_slot_is_reused_and_close_forgets_everything(plus_lm: RecurrentLM) -> None:
    spill = StateSpill(plus_lm.state_nbytes)
    first = spill.put(random_state(plus_lm, 1))
    spill.put(random_state(plus_lm, 2))
    spill.release(first)
    assert spill.nbytes == plus_lm.state_nbytes
    third = random_state(plus_lm, 3)
    assert spill.put(third) == first
    into = plus_lm.new_state()
    spill.get(first, into)
    assert_equal(into, third)
    spill.close()
    assert spill.nbytes == 0


def test_a_copy_has_its_own_file(plus_lm: RecurrentLM) -> None:
    spill = StateSpill(plus_lm.state_nbytes)
    original = random_state(plus_lm, 4)
    slot = spill.put(original)
    twin = copy.deepcopy(spill)
    spill.put(random_state(plus_lm, 7))  # the copy's next free slot is the one the original just used
    spill.release(slot)
    spill.put(random_state(plus_lm, 8))  # overwrites `slot` in the original's file only
    into = plus_lm.new_state()
    twin.get(slot, into)
    assert_equal(into, original)


def test_a_state_of_another_size_is_refused(plus_lm: RecurrentLM) -> None:
    spill = StateSpill(plus_lm.state_nbytes + 1)
    with pytest.raises(ValueError, match="does not fit"):
        spill.put(plus_lm.new_state())
