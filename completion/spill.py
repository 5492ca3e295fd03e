"""StateSpill: model states kept in an anonymous temporary file instead of memory, one fixed-size slot each.

A session's checkpoints grow with the document (a grid over all of it bounds the cost of an edit anywhere),
but only the few near the cursor are read on a keystroke. The others wait in this file, written and read
with one vectored system call straight from and into the states' own tensors (about 1.4 MiB for the
starter), so a far jump pays a read of one state, not a re-feed of the distance. The file is created
unlinked (`tempfile.TemporaryFile`): nothing appears on disk under a name, and the space is returned when the
spill is closed or the process ends.
"""
from __future__ import annotations

import os
import tempfile
from typing import IO

import torch

from models.state import RodimusState

COPY_CHUNK = 1 << 22  # bytes per read when a session is copied


def _buffers(state: RodimusState) -> list[memoryview]:
    """The state's tensors as writable byte views of their own memory (every state tensor is contiguous)."""
    return [memoryview(t.view(torch.uint8).numpy()).cast("B") for layer in state.layers for t in layer.tensors()]


class StateSpill:
    """Slots of `slot_bytes` bytes in a temporary file opened on first use; freed slots are reused."""

    def __init__(self, slot_bytes: int) -> None:
        self.slot_bytes = slot_bytes
        self._file: IO[bytes] | None = None
        self._slots = 0  # slots the file has room for
        self._free: list[int] = []
        self._positions: dict[int, int] = {}  # slot -> the stored state's position

    @property
    def nbytes(self) -> int:
        """Bytes of the states stored now (the file may hold freed slots too)."""
        return len(self._positions) * self.slot_bytes

    def put(self, state: RodimusState) -> int:
        """Store a copy of `state`; returns its slot. Raises OSError when the file cannot be written."""
        if state.nbytes != self.slot_bytes:
            raise ValueError(f"a state of {state.nbytes} bytes does not fit slots of {self.slot_bytes}")
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        slot = self._free.pop() if self._free else self._slots
        written = os.pwritev(self._file.fileno(), _buffers(state), slot * self.slot_bytes)
        if written != self.slot_bytes:
            self._free.append(slot)
            raise OSError(f"short write to the state spill file ({written} of {self.slot_bytes} bytes)")
        self._slots = max(self._slots, slot + 1)
        self._positions[slot] = state.position
        return slot

    def get(self, slot: int, into: RodimusState) -> None:
        """Read the state stored in `slot` into `into`'s tensors (same shapes as the stored one)."""
        assert self._file is not None and slot in self._positions
        read = os.preadv(self._file.fileno(), _buffers(into), slot * self.slot_bytes)
        if read != self.slot_bytes:
            raise OSError(f"short read from the state spill file ({read} of {self.slot_bytes} bytes)")
        into.position = self._positions[slot]

    def release(self, slot: int) -> None:
        del self._positions[slot]
        self._free.append(slot)

    def close(self) -> None:
        """Forget every state and give the file's space back."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._slots = 0
        self._free.clear()
        self._positions.clear()

    def __deepcopy__(self, memo: dict) -> StateSpill:
        """A copy with a file of its own (copying a session must not share its slots)."""
        twin = StateSpill(self.slot_bytes)
        twin._slots, twin._free, twin._positions = self._slots, list(self._free), dict(self._positions)
        if self._file is not None:
            twin._file = tempfile.TemporaryFile()
            size = self._slots * self.slot_bytes
            for offset in range(0, size, COPY_CHUNK):
                chunk = os.pread(self._file.fileno(), min(COPY_CHUNK, size - offset), offset)
                os.pwrite(twin._file.fileno(), chunk, offset)
        return twin
