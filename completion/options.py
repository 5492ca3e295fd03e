"""What a completion request may do: token and time budgets, sampling, FIM window, session checkpoints.

The server maps its `completion.*` options (ARCHITECTURE.md) onto `GenerationOptions`; the rest keeps its
defaults unless a benchmark or test asks otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenerationOptions:
    """Per-request generation settings.

    `temperature == 0` is greedy decoding (the default: completions should be stable while typing);
    `top_p < 1` keeps the smallest set of tokens whose probability reaches `top_p` before sampling.
    `fim=True` uses the PSM prompt with a suffix window of `suffix_tokens` tokens fed after `<|fim_hole|>` on
    every request; `fim=False` (the default) prompts with the prefix alone and heals the token at the cursor.
    The default follows the bundled starter, whose FIM is undertrained: on held-out next-line completion
    (bench/model_quality.py) it scores 0.0% exact / 4.9% edit similarity with PSM against 4.2% / 21.7%
    with the healed prefix. A checkpoint trained well on FIM (Rodimus+-Coder) should run with `fim=True`.
    """

    max_tokens: int = 64
    time_budget_ms: float = 1000.0
    multiline: bool = True
    fim: bool = False
    suffix_tokens: int = 32
    max_lines: int = 12
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(f"need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}")


@dataclass(frozen=True)
class CheckpointPolicy:
    """Where a session keeps copies of its model state, so that an edit rolls back only a bounded distance.

    Candidates are the last `recent` token boundaries before the cursor (typing rewrites the last token or
    two), the starts of the last `lines` lines, and one every `every` tokens. Further from the cursor the
    kept ones thin out geometrically: a checkpoint survives only if it is at least
    `max(every, ratio * distance)` tokens from the next kept one nearer the cursor. At most `max_count`
    are kept, so a session's memory does not grow with the document.
    """

    every: int = 64
    recent: int = 3
    lines: int = 3
    ratio: float = 0.5
    max_count: int = 20
    chunk: int = 512  # prefill chunk: bounds activation memory when feeding many tokens

    def __post_init__(self) -> None:
        if self.every < 1 or self.chunk < 1 or self.max_count < 1 or self.ratio < 0:
            raise ValueError("checkpoint policy needs every, chunk, max_count >= 1 and ratio >= 0")


DEFAULT_GENERATION = GenerationOptions()
DEFAULT_POLICY = CheckpointPolicy()
