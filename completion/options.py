"""What a completion request may do: token and time budgets, sampling, FIM window, session checkpoints.

The server maps its `completion.*` options (ARCHITECTURE.md) onto `GenerationOptions`; the rest keeps its
defaults unless a benchmark or test asks otherwise.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

NO_STOP_ENV = "RODIMUS_COMPLETION_NO_STOP"


@dataclass(frozen=True)
class CacheOptions:
    """The document cache model mixed into every token the model picks (`completion.ngram_cache`).

    `weight` is the cache's share where the last `min_order` or more tokens occurred earlier in the window
    (0 turns it off); the longest such run, up to `max_order` tokens, decides what the cache predicts; `window`
    is how many tokens before the cursor it counts. The defaults were chosen on the packages held out of
    training that bench/model_quality.py does not score (click, Flask, itsdangerous, attrs; its docstring).
    """

    weight: float = 0.5
    window: int = 2048
    min_order: int = 2
    max_order: int = 16

    def __post_init__(self) -> None:
        if not 0 <= self.weight <= 1 or self.window < 0 or not 1 <= self.min_order <= self.max_order:
            raise ValueError(f"need 0 <= weight <= 1, window >= 0 and 1 <= min_order <= max_order, got {self}")

    @property
    def enabled(self) -> bool:
        return self.weight > 0 and self.window > 0


NO_CACHE = CacheOptions(weight=0.0)


def document_cache(enabled: bool) -> CacheOptions:
    """The cache options the `completion.documentCache` setting (and `complete --no-document-cache`) stand for."""
    return CacheOptions() if enabled else NO_CACHE


@dataclass(frozen=True)
class GenerationOptions:
    """Per-request generation settings.

    `temperature == 0` is greedy decoding (the default: completions should be stable while typing);
    `top_p < 1` keeps the smallest set of tokens whose probability reaches `top_p` before sampling.
    `time_budget_ms` bounds the generation itself, after the prompt is ready (`completion.generate`).
    `stop_early=False` lets nothing but `max_tokens` and the time budget end a completion (no stop rule, no
    end-of-text): benchmarks time a line of exactly `max_tokens` tokens that way; the server sets it when the
    environment variable `RODIMUS_COMPLETION_NO_STOP` is `1` (`stop_early_from_env`), never from a setting.
    `fim=True` uses the PSM prompt with a suffix window of `suffix_tokens` tokens fed after `<|fim_hole|>` on
    every request; `fim=False` (the default) prompts with the prefix alone and heals the token at the cursor.
    The default follows the bundled starter, whose FIM is undertrained: on held-out next-line completion
    (bench/model_quality.py) it scores 0.0% exact / 5.1% edit similarity with PSM against 4.2% / 20.0%
    with the healed prefix (12.6% / 35.1% with the document cache). A checkpoint trained well on FIM
    (Rodimus+-Coder) should run with `fim=True`.
    `cache` is the document cache model; like `fim` and `suffix_tokens` it shapes the prompts a session
    prepares, so sessions take it when they are made (`CompletionEngine`).
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
    stop_early: bool = True  # False: no stop rule and no special token end a completion (benchmarks only)
    cache: CacheOptions = CacheOptions()

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(f"need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}")


@dataclass(frozen=True)
class CheckpointPolicy:
    """Where a session keeps copies of its model state, so that an edit rolls back only a bounded distance.

    Two tiers (`completion.checkpoints.keep_set`):

    - a grid over the whole document: every multiple of the spacing S, the smallest `grid_every * 2**k`
      that needs at most `grid_count` points for the document (`grid_spacing`). An edit or a jump anywhere
      rolls back at most S tokens (fed through the chunked prefill: about 0.25 ms of CPU a token for the
      starter, so 512 tokens cost about what 20 single-token steps do), and S only grows past `grid_every`
      once the document has more than `grid_every * grid_count` tokens. Doubling S keeps every other point,
      so a grown document thins its grid without re-feeding anything.
    - fine ones near the cursor: the last `recent` token boundaries before it (typing rewrites the last
      token or two), the starts of the last `lines` lines, and one every `every` tokens, thinning out
      geometrically (a checkpoint survives only if it is at least `max(every, ratio * distance)` tokens from
      the next kept one nearer the cursor) up to S away; at most `max_count` of them.

    At most `limit` checkpoints in all, and at most `resident` of them in memory: the ones nearest the cursor
    (where typing rolls back to) stay there, the rest wait in a temporary file (`completion.spill`) until a
    far edit or jump reads one back (one state, about 1.4 MiB for the starter, instead of re-feeding the
    distance). So a session's memory is flat in the document's length while an edit anywhere stays bounded
    by the grid's spacing; `for_budget` lowers `resident` to the session's share of the state budget.
    """

    every: int = 64
    recent: int = 3
    lines: int = 3
    ratio: float = 0.5
    max_count: int = 20
    grid_every: int = 512
    grid_count: int = 128
    resident: int = 8
    chunk: int = 512  # prefill chunk: bounds activation memory when feeding many tokens

    def __post_init__(self) -> None:
        if min(self.every, self.chunk, self.max_count, self.grid_count, self.resident) < 1 or self.ratio < 0:
            raise ValueError("checkpoint policy needs every, chunk, max_count, grid_count, resident >= 1 "
                             "and ratio >= 0")
        if self.grid_every < self.every or self.grid_every % self.every:
            raise ValueError(f"grid_every ({self.grid_every}) must be a multiple of every ({self.every})")

    @property
    def limit(self) -> int:
        """Most checkpoints a session keeps (grid and fine ones)."""
        return self.grid_count + self.max_count

    def for_budget(self, share_bytes: int, state_bytes: int) -> CheckpointPolicy:
        """This policy with at most as many resident checkpoints as fit in `share_bytes` of model state,
        states of `state_bytes` each, beside the session's working states (at least one)."""
        fit = share_bytes // max(1, state_bytes) - WORKING_STATES
        return replace(self, resident=max(1, min(self.resident, fit)))


def stop_early_from_env() -> bool:
    """False when $RODIMUS_COMPLETION_NO_STOP is `1` (bench/completion.py: 16-token lines over LSP)."""
    return os.environ.get(NO_STOP_ENV) != "1"


WORKING_STATES = 5  # a session's states besides its checkpoints: live, request copy, prepared prompt, healing,
# and a cold request's window state (completion/session.py, "Cold requests")
SESSIONS_PER_BUDGET = 4  # a session's resident states fit in this fraction of stateBudgetMB (LRU evicts the rest)


DEFAULT_GENERATION = GenerationOptions()
DEFAULT_POLICY = CheckpointPolicy()
