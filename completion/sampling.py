"""Pick the next token from logits: greedy by default, or temperature + nucleus (top-p) sampling."""
from __future__ import annotations

import torch

from completion.options import GenerationOptions


class Sampler:
    def __init__(self, options: GenerationOptions) -> None:
        self.temperature = options.temperature
        self.top_p = options.top_p
        self.generator: torch.Generator | None = None
        if self.temperature > 0:
            self.generator = torch.Generator()
            if options.seed is not None:
                self.generator.manual_seed(options.seed)
            else:
                self.generator.seed()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def pick(self, logits: torch.Tensor) -> int:
        """logits [V] -> a token id."""
        if self.greedy:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits.float() / self.temperature, dim=-1)
        if self.top_p < 1:
            sorted_probs, order = torch.sort(probs, descending=True)
            before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # mass strictly above each token
            sorted_probs[before >= self.top_p] = 0
            probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
        return int(torch.multinomial(probs.cpu(), 1, generator=self.generator))
