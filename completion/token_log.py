"""TokenLog: a document's token ids and the byte offsets where each token starts, spliced on every edit.

Kept in numpy arrays so that an edit costs one splice and one vectorised shift, not a Python loop over the
document's tokens.
"""
from __future__ import annotations

import numpy as np


class TokenLog:
    """Token i covers bytes `bounds[i]:bounds[i + 1]` of the document; `bounds[-1]` is its length."""

    def __init__(self, ids: list[int] | np.ndarray, lengths: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int32)
        self.bounds = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.bounds.nbytes

    def tokens_before(self, byte: int) -> int:
        """How many tokens end at or before `byte`."""
        return int(np.searchsorted(self.bounds, byte, side="right")) - 1

    def index_of_boundary(self, byte: int) -> int | None:
        """The index of the token starting at `byte` (len(self) at the end), None if `byte` is inside a token."""
        i = int(np.searchsorted(self.bounds, byte, side="left"))
        return i if i < len(self.bounds) and self.bounds[i] == byte else None

    def splice(self, start: int, stop: int, ids: list[int], lengths: np.ndarray) -> None:
        """Replace tokens `start:stop` by `ids` (with these byte lengths); later offsets shift by the difference."""
        begin = int(self.bounds[start])
        delta = int(lengths.sum()) - (int(self.bounds[stop]) - begin)
        self.ids = np.concatenate((self.ids[:start], np.asarray(ids, dtype=np.int32), self.ids[stop:]))
        if len(ids):  # the new tokens' starts; the one after them starts where bounds[stop] lands
            inner = begin + np.cumsum(lengths[:-1], dtype=np.int64)
            self.bounds = np.concatenate((self.bounds[: start + 1], inner, self.bounds[stop:] + delta))
        else:  # bounds[stop] + delta == bounds[start]: keep it once
            self.bounds = np.concatenate((self.bounds[: start + 1], self.bounds[stop + 1 :] + delta))
