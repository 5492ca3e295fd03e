"""RecurrentLM: the model calls a document session makes, in inference mode.

`feed` only advances the state (no vocabulary projection, for one token as for many): a session feeds far more tokens than it ever
needs logits for. Many tokens go through the chunked prefill in chunks of `chunk` (bounded activation
memory); a single token goes through the O(1) step.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch

from models.rodimus import RodimusForCausalLM
from models.state import RodimusState

StopCheck = Callable[[], bool]


class RecurrentLM:
    def __init__(self, model: RodimusForCausalLM, chunk: int = 512) -> None:
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
            if len(part) == 1:
                self.model.advance(self._ids(part), state)
            else:
                self.model.hidden_states(self._ids(part)[None], state)
            done += len(part)
        return done

    @torch.inference_mode()
    def feed_logits(self, ids: Sequence[int], state: RodimusState) -> torch.Tensor:
        """Advance `state` over `ids` (at least one) and return the logits after the last one, [V] float32.

        One forward call for the last chunk, projecting only its last position onto the vocabulary.
        """
        if not ids:
            raise ValueError("feed_logits needs at least one token")
        if len(ids) == 1:
            return self.model.step(self._ids(ids), state)[0]
        last = (len(ids) - 1) // self.chunk * self.chunk
        self.feed(ids[:last], state)
        hidden = self.model.hidden_states(self._ids(ids[last:])[None], state)  # [1, T, d] after the final norm
        return self.model.lm_head(hidden[0, -1]).float()

    @torch.inference_mode()
    def step(self, token: int, state: RodimusState) -> torch.Tensor:
        """One generated token -> logits [V] for the next."""
        return self.model.step(self._ids([token]), state)[0]
