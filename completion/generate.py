"""Generate a completion token by token from a prepared prompt (gpt-fast's prefill/decode split).

The prompt's logits give the first token; each further token is one O(1) `step` on the prompt's private
state. Before every token the cancel flag is checked; the stop rule sees the text decoded so far. The first
token is never a special token (as `min_new_tokens=1` does elsewhere): a request asked for a completion, and
an end-of-text straight after `<|fim_end|>` is the commonest failure of a small model.
"""
from __future__ import annotations

import codecs
import time
from collections.abc import Callable
from dataclasses import dataclass

from completion.lm import RecurrentLM
from completion.options import GenerationOptions
from completion.sampling import Sampler
from completion.session import Prompt
from completion.stop import StopRule
from completion.tokens import TokenCodec


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int
    reason: str  # "eos", "special", "stop", "max_tokens", "time", "cancelled"
    first_token_ms: float  # from `started` (the request's start) to the first token
    ms: float  # from `started` to the end


def generate(lm: RecurrentLM, codec: TokenCodec, prompt: Prompt, rule: StopRule, options: GenerationOptions,
             cancelled: Callable[[], bool], started: float | None = None) -> Generation:
    started = time.perf_counter() if started is None else started
    deadline = started + options.time_budget_ms / 1000
    sampler = Sampler(options)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = ""
    count = 0
    first_token_ms = 0.0
    reason = "max_tokens"
    logits = prompt.logits.clone()
    logits[sorted(codec.special_ids)] = float("-inf")
    while True:
        if cancelled():
            reason = "cancelled"
            break
        token = sampler.pick(logits)
        if count == 0:
            first_token_ms = 1000 * (time.perf_counter() - started)
        if token in codec.special_ids:
            reason = "eos" if token == codec.special.eos else "special"
            break
        count += 1
        text += decoder.decode(codec.token_bytes[token])
        cut = rule.cut(text)
        if cut is not None:
            text = text[:cut]
            reason = "stop"
            break
        if count >= options.max_tokens:
            break
        if time.perf_counter() >= deadline:
            reason = "time"
            break
        logits = lm.step(token, prompt.state)
    if reason != "stop":
        text += decoder.decode(b"", final=True)
    return Generation(text, count, reason, first_token_ms, 1000 * (time.perf_counter() - started))
