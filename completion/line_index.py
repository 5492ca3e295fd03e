"""LineIndex: byte offsets of line starts, so (line, byte column) edits become absolute byte offsets.

Lines end at "\\n" only, as the server's document store and tree-sitter count them.
"""
from __future__ import annotations

import numpy as np


def _newline_offsets(text: bytes | bytearray, base: int = 0) -> np.ndarray:
    data = np.frombuffer(memoryview(text), dtype=np.uint8)
    return np.flatnonzero(data == 0x0A).astype(np.int64) + base


class LineIndex:
    def __init__(self, text: bytes | bytearray) -> None:
        self.starts = np.concatenate(([0], _newline_offsets(text) + 1))
        self.length = len(text)

    def __len__(self) -> int:
        return len(self.starts)

    def offset(self, line: int, byte_col: int) -> int:
        """Absolute byte offset of (line, byte_col), clamped to the line (and to the text for lines past it)."""
        if line >= len(self.starts):
            return self.length
        start = int(self.starts[line])
        end = int(self.starts[line + 1]) - 1 if line + 1 < len(self.starts) else self.length
        return start + max(0, min(byte_col, end - start))

    def position(self, offset: int) -> tuple[int, int]:
        line = int(np.searchsorted(self.starts, offset, side="right")) - 1
        return line, offset - int(self.starts[line])

    def splice(self, start: int, old_end: int, new: bytes) -> None:
        """Bytes `start:old_end` were replaced by `new`."""
        delta = len(new) - (old_end - start)
        # a line start s follows the newline at s - 1: those in start:old_end are gone
        lo = int(np.searchsorted(self.starts, start, side="right"))
        hi = int(np.searchsorted(self.starts, old_end, side="right"))
        self.starts = np.concatenate((self.starts[:lo], _newline_offsets(new, start) + 1, self.starts[hi:] + delta))
        self.length += delta
