"""Re-tokenize only around an edit, so that the token log always equals `encode(whole text)`.

The window runs from the last safe boundary before the edit (a printable character followed by
whitespace, strictly before the edit, so both bytes are unchanged) to the first one after it; outside the
window the old tokens stand, shifted (see `completion.tokens` for why this is exact). For a tokenizer
without that guarantee the whole document is encoded again: correct, but no longer O(1).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from completion.token_log import TokenLog
from completion.tokens import BOUNDARY_AFTER, BOUNDARY_BEFORE, TokenCodec

logger = logging.getLogger(__name__)

_SCAN = 256  # bytes scanned per vectorised step when looking for a boundary


@dataclass(frozen=True)
class TokenEdit:
    """Tokens before `first_changed` are the same as before the edit; the rest may differ."""

    first_changed: int
    window_tokens: int  # how many tokens were re-encoded


def boundary_at_or_before(text: bytes | bytearray, limit: int) -> int:
    """The largest safe boundary p <= limit (0 when there is none)."""
    end = limit
    while end > 0:
        start = max(0, end - _SCAN)
        chunk = np.frombuffer(memoryview(text)[start : end + 1], dtype=np.uint8)
        # p = start + k + 1 for each k with chunk[k] printable and chunk[k + 1] whitespace
        hits = np.flatnonzero(BOUNDARY_AFTER[chunk[:-1]] & BOUNDARY_BEFORE[chunk[1:]])
        if len(hits):
            return start + int(hits[-1]) + 1
        end = start
    return 0


def boundary_at_or_after(text: bytes | bytearray, limit: int) -> int:
    """The smallest safe boundary q >= limit (the text's length when there is none)."""
    n = len(text)
    begin = max(limit - 1, 0)
    while begin < n - 1:
        stop = min(n, begin + _SCAN + 1)
        chunk = np.frombuffer(memoryview(text)[begin:stop], dtype=np.uint8)
        hits = np.flatnonzero(BOUNDARY_AFTER[chunk[:-1]] & BOUNDARY_BEFORE[chunk[1:]])
        hits = hits[begin + hits + 1 >= limit]
        if len(hits):
            return begin + int(hits[0]) + 1
        begin = stop - 1
    return n


def retokenize(codec: TokenCodec, log: TokenLog, text: bytes | bytearray, start: int, old_end: int,
               new_end: int) -> TokenEdit:
    """Update `log` (tokens of the text before the edit) for `text` (after it), in place.

    The edit replaced bytes `start:old_end` of the old text by what is now `text[start:new_end]`.
    """
    delta = new_end - old_end
    if codec.byte_level:
        p = boundary_at_or_before(text, start - 1)
        q = boundary_at_or_after(text, new_end + 1)
        first, stop = log.index_of_boundary(p), log.index_of_boundary(q - delta)
        if first is not None and stop is not None:
            ids = codec.encode_bytes(text[p:q])
            lengths = codec.token_lengths[np.asarray(ids, dtype=np.int64)]
            if int(lengths.sum()) == q - p:
                same = _common_prefix(log.ids_between(first, stop), ids)
                log.splice(first, stop, ids, lengths)
                return TokenEdit(first + same, len(ids))
        logger.warning("token log out of step with the text around byte %d; re-encoding the document", start)
    ids = codec.encode_bytes(text)
    same = _common_prefix(log.all_ids(), ids)
    log.splice(0, len(log), ids, codec.token_lengths[np.asarray(ids, dtype=np.int64)])
    return TokenEdit(same, len(ids))


def _common_prefix(old: np.ndarray, new: list[int]) -> int:
    n = min(len(old), len(new))
    if n == 0:
        return 0
    differ = np.flatnonzero(old[:n] != np.asarray(new[:n], dtype=old.dtype))
    return int(differ[0]) if len(differ) else n
