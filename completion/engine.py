"""CompletionEngine: what the language server calls, on its event loop; all model work goes to the worker.

    engine.open(uri, text) / engine.edit(uri, edits) / engine.close(uri)   queued, in order, never blocking
    await engine.complete(ctx, surface)                                    latest wins per (uri, surface)

A request is answered from the type-through cache when the user typed the start of the suggestion on
screen (no model call); otherwise an Automatic trigger waits out the debounce (a newer request for the
same document and surface revokes it meanwhile), then the worker runs the pipeline with the request's
cancel flag checked before every token.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from completion.cache import TypeThroughCache
from completion.context import CompletionContext
from completion.debounce import Debouncer
from completion.latest import LatestWins, Ticket
from completion.line_breaks import to_lf
from completion.options import DEFAULT_GENERATION, DEFAULT_POLICY, CheckpointPolicy, GenerationOptions
from completion.policy import Mode
from completion.sessions import Sessions
from completion.worker import ModelUnavailable, ModelWorker

if TYPE_CHECKING:  # the model stack (torch) is imported on the worker thread only
    from completion.lm import RecurrentLM
    from completion.pipeline import Outcome
    from completion.tokens import TokenCodec

logger = logging.getLogger(__name__)

ModelLoader = Callable[[], "tuple[RecurrentLM, TokenCodec]"]


@dataclass(frozen=True)
class LineEdit:
    """Replace the text between two (line, UTF-8 byte column) positions of the text before the edit."""

    start: tuple[int, int]
    end: tuple[int, int]
    new_text: str


@dataclass(frozen=True)
class CompletionResult:
    request_id: int
    text: str  # "" for no suggestion
    source: str  # "model", "cache", "skip", "cancelled", "closed", "unavailable", "error"
    mode: Mode | None = None
    tokens: int = 0
    first_token_ms: float = 0.0
    ms: float = 0.0


@dataclass
class EngineStats:
    requests: int = 0
    model_calls: int = 0
    cache_hits: int = 0
    cancelled: int = 0


class CompletionEngine:
    def __init__(self, load: ModelLoader, generation: GenerationOptions = DEFAULT_GENERATION,
                 debounce_ms: float = 75.0, state_budget_mb: float = 512.0,
                 policy: CheckpointPolicy = DEFAULT_POLICY, torch_threads: int | None = 1) -> None:
        self.generation = generation
        self.debouncer = Debouncer(debounce_ms)
        self.cache = TypeThroughCache()
        self.latest = LatestWins()
        self.stats = EngineStats()
        self._lost: set[str] = set()  # uris whose session a failed update dropped (set on the worker thread)
        budget = int(state_budget_mb * 2**20)

        def make_sessions() -> Sessions:  # on the worker thread
            from completion.session import DocumentSession

            lm, codec = load()
            return Sessions(lambda text: DocumentSession(lm, codec, to_lf(text), policy, self.generation.fim,
                                                         self.generation.suffix_tokens, self.generation.cache),
                            budget)

        self.worker = ModelWorker(make_sessions, torch_threads=torch_threads)

    # ------------------------------------------------------------------------------------------ settings
    def configure(self, generation: GenerationOptions | None = None, debounce_ms: float | None = None,
                  state_budget_mb: float | None = None) -> None:
        if generation is not None:
            if (generation.fim, generation.cache) != (self.generation.fim, self.generation.cache):
                fim, cache = generation.fim, generation.cache

                def reshape_prompts(sessions: Sessions) -> None:  # each setter does nothing when unchanged
                    for _, session in sessions:
                        session.set_fim(fim)  # the states begin differently: rebuilt
                        session.set_cache(cache)

                self.worker.update(reshape_prompts)
            self.generation = generation
        if debounce_ms is not None:
            self.debouncer.delay_ms = debounce_ms
        if state_budget_mb is not None:
            budget = int(state_budget_mb * 2**20)

            def set_budget(sessions: Sessions) -> None:
                sessions.set_budget(budget)

            self.worker.update(set_budget)

    # ------------------------------------------------------------------------------------------ documents
    def open(self, uri: str, text: str) -> None:
        self._lost.discard(uri)
        self.cache.forget(uri)
        self.worker.update(lambda sessions: (sessions.open(uri, text), uri)[1])

    def edit(self, uri: str, edits: Sequence[LineEdit]) -> None:
        edits = list(edits)

        def apply(sessions: Sessions) -> str | None:
            session = sessions.get(uri)
            if session is None:
                return None
            try:
                for edit in edits:
                    session.edit_lines(edit.start, edit.end, edit.new_text)
            except Exception:
                # The session no longer matches the editor's text: drop it; the next request reads it again.
                logger.exception("edit of %s failed; its session is dropped", uri)
                sessions.close(uri)
                self._lost.add(uri)
                return None
            return uri

        self.worker.update(apply)

    def needs_text(self, uri: str) -> bool:
        """Whether the document's session was dropped after a failed update (call `open` again)."""
        return uri in self._lost

    def close(self, uri: str) -> None:
        self._lost.discard(uri)
        self.latest.revoke_document(uri)
        self.cache.forget(uri)
        self.worker.update(lambda sessions: sessions.close(uri))

    def shutdown(self) -> None:
        self.worker.shutdown()

    # ------------------------------------------------------------------------------------------ requests
    async def complete(self, ctx: CompletionContext, surface: str = "inline") -> CompletionResult:
        """A suggestion at the context's cursor ("" when there is none); never raises for a model failure."""
        self.stats.requests += 1
        ticket = self.latest.claim(ctx.uri, surface)
        started = time.perf_counter()
        try:
            hit = self.cache.lookup(ctx)
            if hit is not None:
                self.stats.cache_hits += 1
                text, mode = hit
                logger.debug("completion %d (%s): served from the type-through cache", ticket.id, ctx.uri)
                return CompletionResult(ticket.id, text, "cache", Mode(mode), ms=self._ms(started))
            if not await ticket.sleep(self.debouncer.delay_s(ctx.trigger)):
                return self._cancelled(ticket, started)
            options = self.generation
            future = self.worker.request(lambda sessions: self._serve(sessions, ctx, options, ticket, started))
            try:
                outcome = await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                ticket.revoke()  # the client cancelled: stop the generation at its next token
                raise
            except ModelUnavailable as exc:
                logger.warning("completion %d (%s): %s", ticket.id, ctx.uri, exc)
                return CompletionResult(ticket.id, "", "unavailable", ms=self._ms(started))
            except Exception:
                logger.exception("completion %d (%s) failed", ticket.id, ctx.uri)
                return CompletionResult(ticket.id, "", "error", ms=self._ms(started))
            if outcome is None:
                return CompletionResult(ticket.id, "", "closed", ms=self._ms(started))
            if outcome.reason == "cancelled" or ticket.cancelled:
                return self._cancelled(ticket, started)
            if outcome.reason == "skip":
                return CompletionResult(ticket.id, "", "skip", outcome.mode, ms=self._ms(started))
            self.stats.model_calls += 1
            logger.debug("completion %d (%s): model, %s mode, %d tokens (%s), first token %.1f ms, %.1f ms",
                         ticket.id, ctx.uri, outcome.mode.value, outcome.tokens, outcome.reason,
                         outcome.first_token_ms, outcome.ms)
            self.cache.remember(ctx, outcome.text, outcome.mode.value)
            return CompletionResult(ticket.id, outcome.text, "model", outcome.mode, outcome.tokens,
                                    outcome.first_token_ms, self._ms(started))
        finally:
            self.latest.release(ticket)

    def _serve(self, sessions: Sessions, ctx: CompletionContext, options: GenerationOptions, ticket: Ticket,
               started: float) -> Outcome | None:
        """Runs on the worker thread."""
        from completion.pipeline import Outcome, run_request

        session = sessions.get(ctx.uri)
        if session is None:
            return None
        if ticket.cancelled:
            return Outcome("", Mode.SKIP, 0, "cancelled", 0.0, 0.0, 0, 0)
        return run_request(session, ctx, options, ticket.cancel.is_set, started, ticket.id)

    def _cancelled(self, ticket: Ticket, started: float) -> CompletionResult:
        self.stats.cancelled += 1
        logger.debug("completion %d: superseded by a newer request", ticket.id)
        return CompletionResult(ticket.id, "", "cancelled", ms=self._ms(started))

    @staticmethod
    def _ms(started: float) -> float:
        return 1000 * (time.perf_counter() - started)
