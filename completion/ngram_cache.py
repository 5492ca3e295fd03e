"""A document cache model: token n-grams of the text before the cursor, mixed into the model's next token.

Code repeats itself locally (`self.x = x`, a test's `self.assertEqual(...)` lines, an import block), and a small
model forgets what it read a few hundred tokens ago. A cache model (Kuhn & De Mori 1990; for source code,
Tu et al. 2014, "On the localness of software", and Hellendoorn & Devanbu 2017) counts what followed the
current context earlier in the same file and interpolates that distribution with the network's:

    p(w) = (1 - weight) * p_model(w) + weight * count(context, w) / count(context)

where `context` is the longest run of the last tokens (up to `max_order`, at least `min_order`) that occurs
earlier in the window. Without such a match the model's scores pass through unchanged. The window is the last
`window` tokens before the cursor plus what the generation has produced so far; a lookup is one vectorised
scan of that window per generated token, so its cost is bounded by `window`, not by the document's length.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from completion.options import CacheOptions


class NgramCache:
    @classmethod
    def of(cls, history: Sequence[int] | np.ndarray, options: CacheOptions) -> NgramCache:
        history = np.asarray(history, dtype=np.int64)[-options.window :]
        return cls(history, options.weight, options.min_order, options.max_order)

    def __init__(self, history: Sequence[int] | np.ndarray, weight: float, min_order: int = 2,
                 max_order: int = 16, extra: int = 256) -> None:
        if not 0 <= weight <= 1 or not 1 <= min_order <= max_order:
            raise ValueError(f"need 0 <= weight <= 1 and 1 <= min_order <= max_order, "
                             f"got {weight}, {min_order}, {max_order}")
        self.weight = weight
        self.min_order = min_order
        self.max_order = max_order
        history = np.asarray(history, dtype=np.int64)
        self._ids = np.empty(len(history) + extra, dtype=np.int64)  # room for the generated tokens
        self._ids[: len(history)] = history
        self._length = len(history)

    @property
    def tokens(self) -> np.ndarray:
        """The window's tokens, oldest first (a view)."""
        return self._ids[: self._length]

    def push(self, token: int) -> None:
        """Append a generated (or forced) token to the window."""
        if self._length == len(self._ids):
            self._ids = np.concatenate([self._ids, np.empty(len(self._ids), dtype=np.int64)])
        self._ids[self._length] = token
        self._length += 1

    def continuations(self) -> tuple[int, np.ndarray]:
        """(order of the longest earlier match of the window's last tokens, the tokens that followed it).

        Order 0 and no tokens when no run of at least `min_order` tokens occurs earlier."""
        ids = self.tokens
        if len(ids) <= self.min_order:
            return 0, ids[:0]
        # Candidates are earlier positions i whose token equals the last one (the match ends at i and ids[i+1]
        # followed it); each round keeps those whose match extends one token further back.
        ends = np.flatnonzero(ids[:-1] == ids[-1])
        order, best = 1, ends
        while order < self.max_order and len(ends):
            ends = ends[ends >= order]
            ends = ends[ids[ends - order] == ids[-1 - order]]
            if len(ends):
                order += 1
                best = ends
        if order < self.min_order or not len(best):
            return 0, ids[:0]
        return order, ids[best + 1]

    def following(self) -> np.ndarray:
        """The tokens that followed the longest earlier match (none without a match, or when the weight is 0):
        `mix` changes the model's scores exactly when there are some."""
        return self.continuations()[1] if self.weight > 0 else self.tokens[:0]

    def mix(self, logits: torch.Tensor, following: np.ndarray | None = None) -> torch.Tensor:
        """Log-probabilities [V] of the interpolated distribution (the logits unchanged without a match);
        `following` is `self.following()` when the caller has already looked it up."""
        following = self.following() if following is None else following
        if not len(following):
            return logits
        tokens, counts = np.unique(following, return_counts=True)
        seen = torch.from_numpy(tokens)
        log_model = torch.log_softmax(logits.float(), dim=-1)
        mixed = log_model + math.log1p(-self.weight) if self.weight < 1 else torch.full_like(log_model, -math.inf)
        cache = torch.from_numpy(counts / counts.sum()).to(torch.float32)
        mixed[seen] = torch.log((1 - self.weight) * log_model[seen].exp() + self.weight * cache)
        return mixed
