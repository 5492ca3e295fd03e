"""TokenLog: a document's token ids and the byte offset where each token starts, spliced on every edit.

A gap buffer (as text editors keep their text): the tokens before the gap store their start offsets from the
beginning of the document, the tokens after it from the *end*, so an edit at the gap changes no stored offset
but its own tokens'. Moving the gap to another edit costs the distance moved, once; typing in one place
costs the same in a 1K-token and a 64K-token document.
"""
from __future__ import annotations

import numpy as np


class TokenLog:
    """Token i covers bytes `start(i):start(i + 1)` of the document; `start(len(log))` is its length."""

    def __init__(self, ids: list[int] | np.ndarray, lengths: np.ndarray) -> None:
        n = len(ids)
        capacity = max(64, 2 * n)
        self._ids = np.zeros(capacity, dtype=np.int32)
        self._starts = np.zeros(capacity, dtype=np.int64)
        self._ids[:n] = np.asarray(ids, dtype=np.int32)
        self._starts[:n] = np.cumsum(lengths, dtype=np.int64) - np.asarray(lengths, dtype=np.int64)
        self._before = n  # tokens before the gap: _ids[:_before], starts from the document's beginning
        self._after = 0  # tokens after the gap: _ids[capacity - _after:], starts from the document's end
        self._total = int(np.sum(lengths, dtype=np.int64))

    def __len__(self) -> int:
        return self._before + self._after

    @property
    def total_bytes(self) -> int:
        return self._total

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes + self._starts.nbytes

    # ------------------------------------------------------------------------------------------ reading
    def id_at(self, i: int) -> int:
        return int(self._ids[self._slot(i)])

    def start(self, i: int) -> int:
        """Byte offset where token i starts (the document's length for i == len(self))."""
        if i == len(self):
            return self._total
        slot = self._slot(i)
        return int(self._starts[slot]) + (self._total if i >= self._before else 0)

    def ids_between(self, first: int, stop: int) -> np.ndarray:
        """A copy of the ids of tokens first..stop-1 (clamped to the log)."""
        first, stop = max(0, first), min(len(self), stop)
        if first >= stop:
            return np.empty(0, dtype=np.int32)
        cap = len(self._ids)
        if stop <= self._before:
            return self._ids[first:stop].copy()
        if first >= self._before:
            return self._ids[cap - self._after + first - self._before : cap - self._after + stop - self._before].copy()
        return np.concatenate((self._ids[first : self._before],
                               self._ids[cap - self._after : cap - self._after + stop - self._before]))

    def all_ids(self) -> np.ndarray:
        return self.ids_between(0, len(self))

    def all_starts(self) -> np.ndarray:
        """Every token's start offset, then the document's length (tests and diagnostics)."""
        cap = len(self._ids)
        after = self._starts[cap - self._after :] + self._total
        return np.concatenate((self._starts[: self._before], after, [self._total]))

    def tokens_before(self, byte: int) -> int:
        """How many tokens end at or before `byte`."""
        if byte < self.start(self._before):  # only tokens before the gap can start at or before `byte`
            starting = int(np.searchsorted(self._starts[: self._before], byte, side="right"))
        else:
            relative = self._starts[len(self._ids) - self._after :]
            starting = self._before + int(np.searchsorted(relative, byte - self._total, side="right"))
        return starting - 1 + (1 if byte >= self._total else 0)

    def index_of_boundary(self, byte: int) -> int | None:
        """The index of the token starting at `byte` (len(self) at the end), None if `byte` is inside a token."""
        if byte == self._total:
            return len(self)
        if byte < self.start(self._before):
            i = int(np.searchsorted(self._starts[: self._before], byte, side="left"))
            return i if i < self._before and self._starts[i] == byte else None
        cap = len(self._ids)
        relative = self._starts[cap - self._after :]
        k = int(np.searchsorted(relative, byte - self._total, side="left"))
        return self._before + k if k < self._after and relative[k] == byte - self._total else None

    # ------------------------------------------------------------------------------------------ editing
    def splice(self, start: int, stop: int, ids: list[int], lengths: np.ndarray) -> None:
        """Replace tokens `start:stop` by `ids` (with these byte lengths); later offsets follow."""
        self._move_gap(start)
        begin = self.start(start)
        removed = self.start(stop) - begin
        self._after -= stop - start
        self._reserve(len(ids))
        end = self._before + len(ids)
        self._ids[self._before : end] = np.asarray(ids, dtype=np.int32)
        self._starts[self._before : end] = begin + np.cumsum(lengths, dtype=np.int64) - lengths
        self._before = end
        self._total += int(np.sum(lengths, dtype=np.int64)) - removed

    def _slot(self, i: int) -> int:
        if not 0 <= i < len(self):
            raise IndexError(f"token {i} is outside the log's {len(self)} tokens")
        return i if i < self._before else len(self._ids) - self._after + i - self._before

    def _move_gap(self, index: int) -> None:
        """Put the gap before token `index`: O(distance moved)."""
        cap = len(self._ids)
        if index < self._before:  # tokens index.._before-1 move behind the gap
            count = self._before - index
            dst = cap - self._after - count
            self._ids[dst : dst + count] = self._ids[index : self._before]
            self._starts[dst : dst + count] = self._starts[index : self._before] - self._total
            self._before, self._after = index, self._after + count
        elif index > self._before:  # tokens _before..index-1 move in front of the gap
            count = index - self._before
            src = cap - self._after
            self._ids[self._before : index] = self._ids[src : src + count]
            self._starts[self._before : index] = self._starts[src : src + count] + self._total
            self._before, self._after = index, self._after - count

    def _reserve(self, extra: int) -> None:
        cap = len(self._ids)
        if self._before + extra + self._after <= cap:
            return
        new_cap = max(2 * cap, self._before + extra + self._after + 64)
        ids, starts = np.zeros(new_cap, dtype=np.int32), np.zeros(new_cap, dtype=np.int64)
        ids[: self._before], starts[: self._before] = self._ids[: self._before], self._starts[: self._before]
        if self._after:
            ids[new_cap - self._after :] = self._ids[cap - self._after :]
            starts[new_cap - self._after :] = self._starts[cap - self._after :]
        self._ids, self._starts = ids, starts
