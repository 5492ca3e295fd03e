"""TokenCodec: the tokenizer as the document sessions need it: ids, their exact UTF-8 bytes, safe boundaries.

Document text is tokenized the way the starter model was trained (`models/data.py`): special-token strings
inside source code stay ordinary text. For a byte-level BPE tokenizer (the starter's, GPT-2's pre-tokenizer
with no normalizer) every id maps to a fixed byte string and the bytes of `encode(text)` concatenate back
to the text exactly, which is what lets a session keep byte offsets without re-decoding.

Safe boundaries. GPT-2's pre-tokenizer regex has no look-behind, and none of its alternatives matches a
printable ASCII character followed by whitespace. So wherever `text[p-1]` is printable ASCII (0x21-0x7E)
and `text[p]` is ASCII whitespace, every tokenization of any text with those two bytes there has a token
boundary at `p`, and the tokens after `p` depend only on the text after `p`. Re-tokenizing between two
such positions around an edit gives exactly the tokens `encode(whole new text)` has there.
"""
from __future__ import annotations

import bisect
import functools
import json
from dataclasses import dataclass

import numpy as np
import tokenizers

from models.tokenizer import Tokenizer

_PRINTABLE = bytes(range(0x21, 0x7F))
_SPACE = b" \t\n\r\x0b\x0c"
BLANKS = (b" ", b"\t")  # the bytes of an indentation
BOUNDARY_AFTER = np.zeros(256, dtype=bool)
BOUNDARY_AFTER[list(_PRINTABLE)] = True
BOUNDARY_BEFORE = np.zeros(256, dtype=bool)
BOUNDARY_BEFORE[list(_SPACE)] = True


def byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-to-unicode table, inverted: the character a byte-level vocabulary uses -> the byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = {b: b for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = 256 + extra
            extra += 1
    return {chr(c): b for b, c in chars.items()}


def is_boundary(text: bytes | bytearray, p: int) -> bool:
    """True where every tokenization has a boundary at byte `p` (see the module docstring)."""
    if p <= 0 or p >= len(text):
        return True
    return bool(BOUNDARY_AFTER[text[p - 1]] and BOUNDARY_BEFORE[text[p]])


@dataclass(frozen=True)
class SpecialIds:
    fim_begin: int
    fim_hole: int
    fim_end: int
    eos: int


class TokenCodec:
    """encode, byte lengths of ids, the FIM ids, and whether edits may be re-tokenized locally."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        # A private copy: the model's tokenizer keeps its own settings.
        self.backend = tokenizers.Tokenizer.from_str(tokenizer.backend.to_str())
        self.backend.encode_special_tokens = True
        roles = {role: tokenizer.special_ids.get(role) for role in ("fim_begin", "fim_hole", "fim_end", "eos")}
        missing = [role for role, i in roles.items() if i is None]
        if missing:
            raise ValueError(f"the tokenizer lacks the special tokens {missing}; completions need FIM tokens")
        self.special = SpecialIds(**roles)  # type: ignore[arg-type]
        spec = json.loads(self.backend.to_str())
        pre = spec.get("pre_tokenizer") or {}
        self.byte_level = (
            spec.get("normalizer") is None
            and pre.get("type") == "ByteLevel"
            and pre.get("use_regex", True)
            and not pre.get("add_prefix_space", False)
        )
        self.token_bytes = self._token_bytes()
        self.token_lengths = np.array([len(b) for b in self.token_bytes], dtype=np.int64)
        added = {t.content for t in self.backend.get_added_tokens_decoder().values()}
        self.special_ids = frozenset(i for i in range(len(self.token_bytes)) if self.backend.id_to_token(i) in added)
        ordinary = sorted((data, i) for i, data in enumerate(self.token_bytes) if data and i not in self.special_ids)
        self._sorted_bytes = [data for data, _ in ordinary]  # for the tokens that extend a pending text
        self._sorted_ids = [i for _, i in ordinary]
        self._ids_of: dict[bytes, list[int]] = {}  # for the tokens that are a prefix of it
        for data, i in ordinary:
            self._ids_of.setdefault(data, []).append(i)

    @property
    def vocab_size(self) -> int:
        return len(self.token_bytes)

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text, add_special_tokens=False).ids

    def encode_bytes(self, text: bytes | bytearray) -> list[int]:
        return self.encode(bytes(text).decode("utf-8"))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one codec per model, kept for the server's life
    def consistent_ids(self, pending: bytes, blank_after: bool = True) -> tuple[int, ...]:
        """Ordinary tokens whose bytes agree with `pending` as far as both go (token healing's choices), in id
        order: the tokens that are a prefix of it (one dictionary look-up per prefix) and those that extend it
        (a range of the sorted token bytes), so a request pays microseconds, not a pass over the vocabulary.
        Without `blank_after`, a token that extends it may not go on with a space or a tab (at the end of a
        line's indentation: the completion keeps the indentation the editor gave)."""
        found = [i for k in range(1, len(pending)) for i in self._ids_of.get(pending[:k], ())]
        k = bisect.bisect_left(self._sorted_bytes, pending)
        while k < len(self._sorted_bytes) and self._sorted_bytes[k].startswith(pending):
            if blank_after or self._sorted_bytes[k][len(pending) : len(pending) + 1] not in BLANKS:
                found.append(self._sorted_ids[k])
            k += 1
        return tuple(sorted(found))

    @functools.cached_property
    def blank_led_ids(self) -> list[int]:
        """Ordinary tokens that start with a space or a tab: never a completion's first at an indentation's end."""
        return [i for data, i in zip(self._sorted_bytes, self._sorted_ids) if data[:1] in BLANKS]

    def byte_length(self, ids: list[int] | np.ndarray) -> int:
        return int(self.token_lengths[np.asarray(ids, dtype=np.int64)].sum()) if len(ids) else 0

    def _token_bytes(self) -> list[bytes]:
        alphabet = byte_level_alphabet() if self.byte_level else {}
        added = {t.content for t in self.backend.get_added_tokens_decoder().values()}
        out: list[bytes] = []
        for i in range(self.backend.get_vocab_size(with_added_tokens=True)):
            token = self.backend.id_to_token(i)
            if token is None:
                out.append(b"")
            elif token in added or not self.byte_level:
                out.append(token.encode("utf-8"))
            else:
                out.append(bytes(alphabet[ch] for ch in token))
        return out
