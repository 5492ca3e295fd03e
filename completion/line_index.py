"""LineIndex: byte offsets of line starts, so (line, byte column) edits become absolute byte offsets.

Lines end at "\\n" only, as the server's document store and tree-sitter count them. Kept as a gap buffer,
like `TokenLog`: the line starts before the gap are stored from the beginning of the document, those after
it from the *end*, so typing in one place changes no stored offset and costs the same in a document of 100
lines and one of 10,000 (rebuilding the whole array on every keystroke was the part of a keystroke that grew
with the document).
"""
from __future__ import annotations

import numpy as np


def _newline_offsets(text: bytes | bytearray, base: int = 0) -> np.ndarray:
    data = np.frombuffer(memoryview(text), dtype=np.uint8)
    return np.flatnonzero(data == 0x0A).astype(np.int64) + base


class LineIndex:
    """Line i starts at byte `start(i)`; line 0 at 0."""

    def __init__(self, text: bytes | bytearray) -> None:
        starts = np.concatenate(([0], _newline_offsets(text) + 1))
        self._starts = np.zeros(max(64, 2 * len(starts)), dtype=np.int64)
        self._starts[: len(starts)] = starts
        self._before = len(starts)  # line starts in front of the gap (absolute offsets)
        self._after = 0  # line starts behind it (offsets from the document's end, <= 0)
        self.length = len(text)

    def __len__(self) -> int:
        return self._before + self._after

    @property
    def nbytes(self) -> int:
        return self._starts.nbytes

    def start(self, line: int) -> int:
        if not 0 <= line < len(self):
            raise IndexError(f"line {line} is outside the document's {len(self)} lines")
        if line < self._before:
            return int(self._starts[line])
        return int(self._starts[len(self._starts) - self._after + line - self._before]) + self.length

    def all_starts(self) -> np.ndarray:
        """Every line's start offset (tests and diagnostics)."""
        after = self._starts[len(self._starts) - self._after :] + self.length
        return np.concatenate((self._starts[: self._before], after))

    def offset(self, line: int, byte_col: int) -> int:
        """Absolute byte offset of (line, byte_col), clamped to the line (and to the text for lines past it)."""
        if line >= len(self):
            return self.length
        start = self.start(line)
        end = self.start(line + 1) - 1 if line + 1 < len(self) else self.length
        return start + max(0, min(byte_col, end - start))

    def position(self, offset: int) -> tuple[int, int]:
        line = self._starting_at_or_before(offset) - 1
        return line, offset - self.start(line)

    def splice(self, start: int, old_end: int, new: bytes) -> None:
        """Bytes `start:old_end` were replaced by `new`."""
        # a line start s follows the newline at s - 1: those in start+1..old_end are gone
        lo = self._starting_at_or_before(start)
        hi = self._starting_at_or_before(old_end)
        self._move_gap(lo)
        self._after -= hi - lo
        added = _newline_offsets(new, start) + 1
        self._reserve(len(added))
        self._starts[self._before : self._before + len(added)] = added
        self._before += len(added)
        self.length += len(new) - (old_end - start)

    def _starting_at_or_before(self, offset: int) -> int:
        """How many lines start at or before byte `offset`."""
        count = int(np.searchsorted(self._starts[: self._before], offset, side="right"))
        if count < self._before:
            return count
        behind = self._starts[len(self._starts) - self._after :]
        return self._before + int(np.searchsorted(behind, offset - self.length, side="right"))

    def _move_gap(self, index: int) -> None:
        """Put the gap before line `index`: O(distance moved)."""
        cap = len(self._starts)
        if index < self._before:
            count = self._before - index
            dst = cap - self._after - count
            self._starts[dst : dst + count] = self._starts[index : self._before] - self.length
            self._before, self._after = index, self._after + count
        elif index > self._before:
            count = index - self._before
            src = cap - self._after
            self._starts[self._before : index] = self._starts[src : src + count] + self.length
            self._before, self._after = index, self._after - count

    def _reserve(self, extra: int) -> None:
        cap = len(self._starts)
        if self._before + extra + self._after <= cap:
            return
        new_cap = max(2 * cap, self._before + extra + self._after + 64)
        starts = np.zeros(new_cap, dtype=np.int64)
        starts[: self._before] = self._starts[: self._before]
        if self._after:
            starts[new_cap - self._after :] = self._starts[cap - self._after :]
        self._starts = starts
