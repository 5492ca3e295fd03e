"""Training samples from the corpus: packed next-token windows, about half of them fill-in-the-middle (FIM).

FIM uses the official PSM order the Coder tokens imply, split at *character* positions (so a prefix may end in
the middle of a word, as it does under an editor cursor) and tokenized part by part::

    <|fim_begin|> prefix <|fim_hole|> suffix <|fim_end|> middle <|endoftext|>

Half of the FIM splits are random character spans (the usual recipe); the other half are "line" holes shaped
like an inline completion: the cursor sits after a line's indentation or inside the line, and the middle runs to
the end of that line or a few lines further.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer

from models.special_tokens import EOS, FIM_BEGIN, FIM_END, FIM_HOLE


@dataclass(frozen=True)
class SpecialIds:
    """Ids of the tokens that frame samples."""

    eos: int
    fim_begin: int
    fim_hole: int
    fim_end: int

    @classmethod
    def from_tokenizer(cls, tokenizer: Tokenizer) -> SpecialIds:
        ids = [tokenizer.token_to_id(t) for t in (EOS, FIM_BEGIN, FIM_HOLE, FIM_END)]
        if any(i is None for i in ids):
            raise ValueError("tokenizer lacks the official special tokens")
        return cls(*ids)


def load_texts(jsonl: Path) -> list[str]:
    """The file texts of one corpus split (a JSONL file written by models.corpus)."""
    with jsonl.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def text_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer for raw corpus text: special-token strings inside source code stay ordinary text."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.encode_special_tokens = True
    return tokenizer


def random_span_split(text: str, rng: random.Random) -> tuple[str, str, str]:
    """(prefix, middle, suffix) at two uniformly random character positions."""
    a, b = sorted(rng.randrange(len(text) + 1) for _ in range(2))
    return text[:a], text[a:b], text[b:]


def line_hole_split(text: str, rng: random.Random) -> tuple[str, str, str]:
    """(prefix, middle, suffix) where the middle completes the cursor's line, sometimes a few more lines."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n" and i + 1 < len(text)]
    line = rng.randrange(len(starts))
    start = starts[line]
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    indent_end = start + len(text[start:end]) - len(text[start:end].lstrip(" \t"))
    cursor = indent_end if rng.random() < 0.5 else rng.randint(indent_end, end)
    extra_lines = 0 if rng.random() < 0.6 else rng.randint(1, 3)
    stop = end
    for _ in range(extra_lines):
        if stop >= len(text):
            break
        nxt = text.find("\n", stop + 1)
        stop = len(text) if nxt < 0 else nxt
    return text[:cursor], text[cursor:stop], text[stop:]


def fim_ids(
    prefix: Sequence[int], middle: Sequence[int], suffix: Sequence[int], special: SpecialIds, budget: int
) -> list[int]:
    """PSM token sequence of at most budget tokens; over budget, the prefix loses its start, the suffix its end."""
    middle = list(middle[: max(1, budget // 4)])
    room = budget - 4 - len(middle)
    keep_suffix = min(len(suffix), max(room - len(prefix), room // 2))
    keep_prefix = min(len(prefix), room - keep_suffix)
    return (
        [special.fim_begin]
        + list(prefix[len(prefix) - keep_prefix :])
        + [special.fim_hole]
        + list(suffix[:keep_suffix])
        + [special.fim_end]
        + middle
        + [special.eos]
    )


class PackedSampler:
    """Draws [batch, seq_len + 1] token blocks: random file windows, packed back to back, FIM at fim_rate."""

    def __init__(
        self,
        texts: Sequence[str],
        tokenizer: Tokenizer,
        seq_len: int,
        fim_rate: float = 0.5,
        seed: int = 0,
        chars_per_token: float = 3.5,
    ) -> None:
        self.texts = [t for t in texts if t]
        if not self.texts:
            raise ValueError("no training text")
        self.tokenizer = tokenizer
        self.special = SpecialIds.from_tokenizer(tokenizer)
        self.seq_len = seq_len
        self.fim_rate = fim_rate
        self.rng = random.Random(seed)
        self.window_chars = int(seq_len * chars_per_token)
        self.weights = [len(t) for t in self.texts]

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def _window(self) -> tuple[str, bool]:
        """A random window of one file, starting at a line start; also whether it reaches the file's end."""
        text = self.rng.choices(self.texts, weights=self.weights)[0]
        if len(text) <= self.window_chars:
            return text, True
        start = self.rng.randrange(len(text) - self.window_chars // 2)
        if start:
            newline = text.find("\n", start)
            start = newline + 1 if 0 <= newline < len(text) - 1 else start
        window = text[start : start + self.window_chars]
        return window, start + self.window_chars >= len(text)

    def sample_ids(self) -> list[int]:
        """One sample's tokens (plain or FIM), at most seq_len + 1 long."""
        window, at_end = self._window()
        budget = self.seq_len + 1
        if self.rng.random() < self.fim_rate and len(window) > 1:
            split = line_hole_split if self.rng.random() < 0.5 else random_span_split
            prefix, middle, suffix = split(window, self.rng)
            return fim_ids(
                self._encode(prefix), self._encode(middle), self._encode(suffix), self.special, budget
            )
        ids = self._encode(window)
        if at_end:
            ids.append(self.special.eos)
        return ids[:budget]

    def block(self) -> list[int]:
        """Samples packed into exactly seq_len + 1 tokens (the last one cut to fit)."""
        out: list[int] = []
        while len(out) < self.seq_len + 1:
            out.extend(self.sample_ids())
        return out[: self.seq_len + 1]

    def batch(self, batch_size: int) -> torch.Tensor:
        return torch.tensor([self.block() for _ in range(batch_size)], dtype=torch.long)


def heldout_chunks(
    texts: Sequence[str], tokenizer: Tokenizer, seq_len: int, max_tokens: int
) -> tuple[list[list[int]], int]:
    """Whole held-out files cut into seq_len + 1 blocks (overlapping by one token), until max_tokens.

    Returns the blocks and the UTF-8 byte count of the files they cover, for bits per byte.
    """
    eos = tokenizer.token_to_id(EOS)
    chunks: list[list[int]] = []
    total_bytes = 0
    total_tokens = 0
    for text in texts:
        ids = tokenizer.encode(text, add_special_tokens=False).ids + [eos]
        if total_tokens + len(ids) > max_tokens and chunks:
            break
        for start in range(0, len(ids) - 1, seq_len):
            chunks.append(ids[start : start + seq_len + 1])
        total_tokens += len(ids)
        total_bytes += len(text.encode("utf-8"))
    return chunks, total_bytes
