"""RecurrentLM: the model calls a document session makes, in inference mode.

`feed` only advances the state (no vocabulary projection, for one token as for many): a session feeds far more
tokens than it ever needs logits for. Many tokens go through the chunked prefill in chunks of `chunk` (bounded
activation memory); one or two go through the O(1) step, which costs less than a prefill call that short.

`feed_next` and `step` return a `NextToken`: the final hidden state, projected onto the vocabulary only as far
as the caller asks. Token healing picks among the few tokens that agree with the pending text, so a healing
step projects those rows of the LM head alone instead of reading the whole [V, d] matrix (the largest cost of a
small model's step: about half of the starter's).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch

from models.rodimus import RodimusForCausalLM
from models.state import RodimusState

StopCheck = Callable[[], bool]
SHORT_FEED = 2  # up to this many tokens, single-token steps cost less than a prefill call (starter, 1 thread)
# Tokens per prefill call. The starter on one CPU thread (8,192 tokens of inspect.py, best of 3): 512 -> 5,400-
# 5,700 tokens/s, 256 -> 6,500-6,700, 128 -> 5,600-5,800 (runs/s10/chunk_speed.py). A feed checks its stop
# flag between calls, so the chunk also bounds how long a request waits for the background catch-up: ~40 ms.
PREFILL_CHUNK = 256


class NextToken:
    """The model's scores for the next token: from a hidden state, projected lazily (or given outright)."""

    def __init__(self, head: torch.Tensor, hidden: torch.Tensor | None = None,
                 logits: torch.Tensor | None = None) -> None:
        if hidden is None and logits is None:
            raise ValueError("NextToken needs a hidden state or logits")
        self._head = head  # [V, d], the LM head's weight
        self.hidden = hidden  # [d], after the final norm
        self._logits = logits

    @classmethod
    def of_logits(cls, logits: torch.Tensor) -> NextToken:
        """Scores given outright, [V] float32 (tests bias a model's choices this way)."""
        return cls(torch.empty(0), logits=logits)

    @property
    def vocab_size(self) -> int:
        return self._logits.shape[0] if self._logits is not None else self._head.shape[0]

    @torch.inference_mode()
    def logits(self) -> torch.Tensor:
        """[V] float32 over the whole vocabulary (computed once)."""
        if self._logits is None:
            assert self.hidden is not None
            self._logits = torch.mv(self._head, self.hidden).float()
        return self._logits

    @torch.inference_mode()
    def scores(self, ids: torch.Tensor) -> torch.Tensor:
        """The logits of `ids` only, [len(ids)] float32."""
        if self._logits is not None:
            return self._logits[ids]
        assert self.hidden is not None
        return torch.mv(self._head.index_select(0, ids), self.hidden).float()


class RecurrentLM:
    def __init__(self, model: RodimusForCausalLM, chunk: int = PREFILL_CHUNK) -> None:
        self.model = model
        self.chunk = chunk
        self.device = model.model.embeddings.weight.device

    @property
    def vocab_size(self) -> int:
        return self.model.config.vocab_size

    def new_state(self) -> RodimusState:
        return self.model.new_state(1)

    @functools.cached_property
    def state_nbytes(self) -> int:
        """Bytes of one state (`new_state`): the unit a session's memory is counted in."""
        return self.new_state().nbytes

    def _ids(self, ids: Sequence[int]) -> torch.Tensor:
        return torch.as_tensor(list(ids), dtype=torch.long, device=self.device)

    @torch.inference_mode()
    def feed(self, ids: Sequence[int], state: RodimusState, should_stop: StopCheck | None = None) -> int:
        """Advance `state` over `ids`, chunk by chunk; returns how many were fed (fewer if stopped)."""
        done = 0
        while done < len(ids):
            if should_stop is not None and should_stop():
                break
            part = ids[done : done + self.chunk]
            if len(part) <= SHORT_FEED:
                for token in part:
                    self.model.advance(self._ids([token]), state)
            else:
                self.model.hidden_states(self._ids(part)[None], state)
            done += len(part)
        return done

    @torch.inference_mode()
    def feed_next(self, ids: Sequence[int], state: RodimusState) -> NextToken:
        """Advance `state` over `ids` (at least one) and return the scores for the token after the last one."""
        if not ids:
            raise ValueError("feed_next needs at least one token")
        if len(ids) <= SHORT_FEED:
            self.feed(ids[:-1], state)
            return self.step(ids[-1], state)
        last = (len(ids) - 1) // self.chunk * self.chunk
        self.feed(ids[:last], state)
        hidden = self.model.hidden_states(self._ids(ids[last:])[None], state)  # [1, T, d] after the final norm
        return NextToken(self.model.lm_head.weight, hidden[0, -1])

    @torch.inference_mode()
    def step(self, token: int, state: RodimusState) -> NextToken:
        """One token -> the scores for the next."""
        return NextToken(self.model.lm_head.weight, self.model.step_hidden(self._ids([token]), state)[0])
