"""CheckpointStore: copies of a session's model state at chosen token indices.

A checkpoint at index i holds the state after `<|fim_begin|>` and the first i tokens of the document. An
edit whose first changed token is f invalidates every checkpoint after f and leaves the others exact, so
the session rolls back to the newest one at or before f. Which indices are kept is `keep_set` (see
`CheckpointPolicy`): a uniform grid over the whole document, so a rollback anywhere is at most the grid's
spacing, and fine ones next to the cursor for typing.

Only `policy.resident` checkpoints stay in memory: the ones nearest the newest saved (the cursor's
neighbourhood, where typing rolls back to). The others move to a `StateSpill` file and are read back when a
rollback lands on them, so a session's memory stays flat however long its document is, while the grid, on
disk, keeps far edits cheap. Freed state buffers are reused, so steady typing allocates nothing. Should the
spill file fail (no writable temporary directory), checkpoints stay in memory: slower to grow, never wrong.
"""
from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable

from completion.options import CheckpointPolicy
from completion.spill import StateSpill
from models.state import RodimusState

logger = logging.getLogger(__name__)


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
        self._indices: list[int] = []  # every checkpoint, in memory or spilled, ascending
        self._states: dict[int, RodimusState] = {}  # the resident ones
        self._slots: dict[int, int] = {}  # the spilled ones: index -> slot in `_spill`
        self._free: list[RodimusState] = []
        self._spill: StateSpill | None = None
        self._spill_failed = False

    def __len__(self) -> int:
        return len(self._indices)

    def __contains__(self, index: int) -> bool:
        return index in self._states or index in self._slots

    @property
    def indices(self) -> list[int]:
        return list(self._indices)

    @property
    def nbytes(self) -> int:
        """Bytes of checkpoint state in memory (resident states and spare buffers)."""
        return sum(s.nbytes for s in self._states.values()) + sum(s.nbytes for s in self._free)

    @property
    def spilled_nbytes(self) -> int:
        return 0 if self._spill is None else self._spill.nbytes

    def newest_at_or_before(self, index: int) -> int | None:
        """The index of the newest checkpoint at or before `index`, if any."""
        k = bisect.bisect_right(self._indices, index)
        return self._indices[k - 1] if k else None

    def load(self, index: int, into: RodimusState) -> None:
        """Copy the checkpoint at `index` into `into` (from memory, or read from the spill file)."""
        if index in self._states:
            into.copy_(self._states[index])
        else:
            assert self._spill is not None
            self._spill.get(self._slots[index], into)

    def save(self, index: int, state: RodimusState) -> None:
        """Keep a copy of `state` as the checkpoint at `index` (replacing one already there). It is kept in
        memory; past `policy.resident` there, the resident checkpoint farthest from `index` is spilled."""
        if index in self._states:
            self._states[index].copy_(state)
            return
        if index in self._slots:
            self._release_slot(index)
        else:
            bisect.insort(self._indices, index)
        if self._free:
            copy = self._free.pop()
            copy.copy_(state)
        else:
            copy = state.clone()
        self._states[index] = copy
        self._spill_beyond_resident(index)

    def drop_after(self, index: int) -> None:
        """Forget every checkpoint after `index` (their prefix changed)."""
        k = bisect.bisect_right(self._indices, index)
        for i in self._indices[k:]:
            self._forget(i)
        del self._indices[k:]

    def retain(self, keep: set[int], cursor: int) -> None:
        """Forget the checkpoints not in `keep`; past `policy.resident` in memory, spill the farthest from
        `cursor`."""
        for i in [i for i in self._indices if i not in keep]:
            self._forget(i)
        self._indices = [i for i in self._indices if i in keep]
        self._spill_beyond_resident(cursor)
        del self._free[max(0, self.policy.resident - len(self._states)) :]  # bounded spare buffers

    def clear(self) -> None:
        self._indices.clear()
        self._states.clear()
        self._slots.clear()
        self._free.clear()
        if self._spill is not None:
            self._spill.close()

    # ------------------------------------------------------------------------------------------ internals
    def _forget(self, index: int) -> None:
        if index in self._states:
            self._free.append(self._states.pop(index))
        else:
            self._release_slot(index)

    def _release_slot(self, index: int) -> None:
        assert self._spill is not None
        self._spill.release(self._slots.pop(index))

    def _spill_beyond_resident(self, near: int) -> None:
        """Move the resident checkpoints farthest from `near` to the spill file until `policy.resident` remain.
        If the file cannot be written, they stay in memory, and so do later ones."""
        while len(self._states) > self.policy.resident and not self._spill_failed:
            farthest = max(self._states, key=lambda i: abs(i - near))
            state = self._states[farthest]
            if self._spill is None:
                self._spill = StateSpill(state.nbytes)
            try:
                self._slots[farthest] = self._spill.put(state)
            except OSError:
                logger.warning("cannot spill model states to a temporary file; keeping them in memory",
                               exc_info=True)
                self._spill_failed = True
                return
            self._free.append(self._states.pop(farthest))
