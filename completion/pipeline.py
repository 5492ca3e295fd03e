"""One completion request on a session: policy, PSM prompt, generation, postprocess.

Shared by the model worker (the server) and the one-shot `complete` command.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from completion.context import CompletionContext
from completion.generate import generate
from completion.languages import facts_for
from completion.options import GenerationOptions
from completion.policy import Mode, decide
from completion.postprocess import postprocess
from completion.session import DocumentSession
from completion.stop import StopRule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    text: str
    mode: Mode
    tokens: int  # generated
    reason: str  # why generation ended, or "skip" / "cancelled"
    first_token_ms: float
    ms: float
    prompt_tokens: int  # fed on the request's copy of the state (prefix tail + hole + suffix + end)
    synced_tokens: int  # fed to the persistent state before the prompt


def run_request(session: DocumentSession, ctx: CompletionContext, options: GenerationOptions,
                cancelled: Callable[[], bool], started: float | None = None, request_id: int = 0) -> Outcome:
    started = time.perf_counter() if started is None else started
    decision = decide(ctx, options.multiline)
    if decision.mode is Mode.SKIP:
        return Outcome("", decision.mode, 0, "skip", 0.0, 1000 * (time.perf_counter() - started), 0, 0)
    cursor = session.offset(ctx.line, ctx.byte_col)
    session.set_fim(options.fim)
    prompt = session.prompt(cursor, options.suffix_tokens, should_stop=cancelled)
    if prompt is None:
        return Outcome("", decision.mode, 0, "cancelled", 0.0, 1000 * (time.perf_counter() - started), 0, 0)
    facts = facts_for(ctx.language_id)
    rule = StopRule(decision.mode, ctx.suffix, decision.block_indent,
                    facts.indent_scoped if facts is not None else True, options.max_lines)
    generation = generate(session.lm, session.codec, prompt, rule, options, cancelled, started)
    text = postprocess(generation.text, ctx, decision.mode)
    logger.debug("completion %d: %s mode, %d tokens (%s), %d prompt + %d synced tokens, %.1f ms",
                 request_id, decision.mode.value, generation.tokens, generation.reason, prompt.fed, prompt.synced,
                 generation.ms)
    return Outcome(text, decision.mode, generation.tokens, generation.reason, generation.first_token_ms,
                   generation.ms, prompt.fed, prompt.synced)
