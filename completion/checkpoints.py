"""CheckpointStore: copies of a session's model state at chosen token indices.

A checkpoint at index i holds the state after `<|fim_begin|>` and the first i tokens of the document. An
edit whose first changed token is f invalidates every checkpoint after f and leaves the others exact, so
the session rolls back to the newest one at or before f. Which indices are kept is `keep_set` (see
`CheckpointPolicy`): a uniform grid over the whole document, so a rollback anywhere is at most the grid's
spacing, and fine ones next to the cursor for typing. Freed state buffers are reused, so steady typing
allocates nothing.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable

from completion.options import CheckpointPolicy
from models.state import RodimusState


def grid_spacing(doc_tokens: int, policy: CheckpointPolicy) -> int:
    """The grid's spacing S for a document of `doc_tokens` tokens: the smallest `grid_every * 2**k` with at
    most `grid_count` multiples in (0, doc_tokens]. Powers of two nest: doubling S keeps every other point.
    S is a multiple of `every`, so the session's feed passes through the grid's points and saves them."""
    spacing = policy.grid_every
    while doc_tokens // spacing > policy.grid_count:
        spacing *= 2
    return spacing


def keep_set(candidates: Iterable[int], cursor: int, policy: CheckpointPolicy, doc_tokens: int,
             pinned: Iterable[int] = ()) -> set[int]:
    """Which candidate indices to keep for a cursor at token index `cursor` in a document of `doc_tokens`.

    The grid's points (positive multiples of `grid_spacing`) are kept wherever they are. Of the others,
    `pinned` (the recent tokens and line starts the policy asks for) are kept, and the rest survive if they
    are less than the spacing from the cursor and far enough from the next kept index nearer it; at most
    `max_count` non-grid ones, the farthest optional ones dropped first.
    """
    spacing = grid_spacing(doc_tokens, policy)
    ordered = sorted(set(candidates))
    grid = {i for i in ordered if i > 0 and i % spacing == 0}
    pinned_set = set(pinned) & set(ordered)
    keep = grid | pinned_set
    below = [i for i in reversed(ordered) if cursor - spacing < i <= cursor]
    above = [i for i in ordered if cursor < i < cursor + spacing]
    for side in (below, above):
        last = cursor
        for i in side:
            distance = abs(cursor - i)
            if i in keep or abs(last - i) >= max(policy.every, policy.ratio * distance):
                keep.add(i)
                last = i
    fine = keep - grid
    if len(fine) > policy.max_count:
        optional = sorted(fine - pinned_set, key=lambda i: abs(cursor - i))
        drop = len(fine) - policy.max_count
        keep -= set(optional[len(optional) - drop :]) if drop <= len(optional) else set(optional)
    return keep


class CheckpointStore:
    def __init__(self, policy: CheckpointPolicy) -> None:
        self.policy = policy
        self._indices: list[int] = []
        self._states: dict[int, RodimusState] = {}
        self._free: list[RodimusState] = []

    def __len__(self) -> int:
        return len(self._indices)

    def __contains__(self, index: int) -> bool:
        return index in self._states

    @property
    def indices(self) -> list[int]:
        return list(self._indices)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._states.values()) + sum(s.nbytes for s in self._free)

    def newest_at_or_before(self, index: int) -> tuple[int, RodimusState] | None:
        k = bisect.bisect_right(self._indices, index)
        if k == 0:
            return None
        found = self._indices[k - 1]
        return found, self._states[found]

    def save(self, index: int, state: RodimusState) -> None:
        """Keep a copy of `state` as the checkpoint at `index` (replacing one already there)."""
        if index in self._states:
            self._states[index].copy_(state)
            return
        if self._free:
            copy = self._free.pop()
            copy.copy_(state)
        else:
            copy = state.clone()
        bisect.insort(self._indices, index)
        self._states[index] = copy

    def drop_after(self, index: int) -> None:
        """Forget every checkpoint after `index` (their prefix changed)."""
        k = bisect.bisect_right(self._indices, index)
        for i in self._indices[k:]:
            self._free.append(self._states.pop(i))
        del self._indices[k:]

    def retain(self, keep: set[int]) -> None:
        for i in [i for i in self._indices if i not in keep]:
            self._free.append(self._states.pop(i))
        self._indices = [i for i in self._indices if i in keep]
        del self._free[max(0, self.policy.limit - len(self._indices)) :]  # bounded spare buffers

    def clear(self) -> None:
        self._indices.clear()
        self._states.clear()
        self._free.clear()
