"""CompletionEngine with a tiny random model: the request paths, latest-wins, the cache, closing, eviction."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from completion.context import Trigger
from completion.engine import CompletionEngine, LineEdit
from completion.lm import RecurrentLM
from completion.options import DEFAULT_POLICY, NO_CACHE, SESSIONS_PER_BUDGET, WORKING_STATES, GenerationOptions
from completion.sessions import Sessions
from completion.tokens import TokenCodec
from tests.completion.cursor import context_at
from tests.completion.edits import BASE

URI = "file:///t.py"


@pytest.fixture
async def engine(plus_lm: RecurrentLM, codec: TokenCodec) -> AsyncIterator[CompletionEngine]:
    engine = CompletionEngine(lambda: (plus_lm, codec), GenerationOptions(max_tokens=8), debounce_ms=1)
    engine.open(URI, BASE)
    yield engine
    engine.shutdown()


async def test_model_then_type_through(engine: CompletionEngine) -> None:
    marked = BASE + "║"
    first = await engine.complete(context_at(marked, trigger=Trigger.INVOKED))
    assert first.source == "model" and engine.stats.model_calls == 1
    assert first.text  # the seeded tiny model suggests something here
    typed = first.text[:1]
    engine.edit(URI, [LineEdit((BASE.count("\n"), 0), (BASE.count("\n"), 0), typed)])
    second = await engine.complete(context_at(BASE + typed + "║"))
    assert (second.source, second.text) == ("cache", first.text[1:])
    assert engine.stats.model_calls == 1


async def test_newer_request_cancels_the_older(engine: CompletionEngine) -> None:
    engine.generation = GenerationOptions(max_tokens=4000, time_budget_ms=60_000)
    older = asyncio.ensure_future(engine.complete(context_at("import os║" + BASE[9:], trigger=Trigger.INVOKED)))
    await asyncio.sleep(0.3)
    engine.generation = GenerationOptions(max_tokens=4)
    newer = await engine.complete(context_at(BASE + "║", trigger=Trigger.INVOKED))
    assert (await asyncio.wait_for(older, 10)).source == "cancelled"
    assert newer.source == "model"


async def test_closed_and_unknown_documents_answer_empty(engine: CompletionEngine) -> None:
    engine.close(URI)
    assert (await engine.complete(context_at(BASE + "║"))).source == "closed"
    assert (await engine.complete(context_at("x║", uri="file:///never-opened.py"))).text == ""


async def test_model_that_fails_to_load_gives_empty_results() -> None:
    def broken() -> tuple[RecurrentLM, TokenCodec]:
        raise FileNotFoundError("no model folder")

    engine = CompletionEngine(broken)
    engine.open(URI, BASE)
    result = await engine.complete(context_at(BASE + "║", trigger=Trigger.INVOKED))
    assert (result.source, result.text) == ("unavailable", "")
    engine.shutdown()


def test_least_recently_used_states_are_evicted(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    from completion.session import DocumentSession

    sessions = Sessions(lambda text: DocumentSession(plus_lm, codec, text), budget_bytes=1)
    first, second = sessions.open("a", BASE), sessions.open("b", BASE)
    first.sync()
    second.sync()
    sessions.enforce_budget()
    assert first.state_nbytes == 0 and second.state_nbytes > 0  # the newest is kept
    assert sessions.get("a") is first  # rebuilt on demand, text and token log kept
    sessions.close("b")
    assert "b" not in sessions and second.state_nbytes == 0


def test_each_session_keeps_in_memory_what_fits_its_share_of_the_budget(plus_lm: RecurrentLM,
                                                                         codec: TokenCodec) -> None:
    from completion.session import DocumentSession

    share_states = 7
    budget = share_states * SESSIONS_PER_BUDGET * plus_lm.state_nbytes
    sessions = Sessions(lambda text: DocumentSession(plus_lm, codec, text), budget_bytes=budget)
    first, second = sessions.open("a", BASE * 4), sessions.open("b", BASE)
    assert first.policy.resident == share_states - WORKING_STATES < DEFAULT_POLICY.resident
    first.sync()
    second.sync()
    assert first.state_nbytes <= sessions.share_bytes
    sessions.set_budget(0)  # no room: one resident checkpoint each, and only the newest session keeps its states
    assert first.policy.resident == second.policy.resident == 1
    assert first.state_nbytes == 0 and second.state_nbytes > 0


async def test_a_failed_update_drops_the_session_until_it_is_read_again(engine: CompletionEngine) -> None:
    engine.edit(URI, [LineEdit((3, 0), (1, 0), "x")])  # an end before the start cannot be applied
    result = await engine.complete(context_at(BASE + "║", trigger=Trigger.INVOKED))
    assert result.source == "closed" and engine.needs_text(URI)
    engine.open(URI, BASE)
    assert not engine.needs_text(URI)
    assert (await engine.complete(context_at(BASE + "║", trigger=Trigger.INVOKED))).source == "model"


async def test_a_new_cache_setting_reaches_open_and_new_sessions(engine: CompletionEngine) -> None:
    engine.configure(GenerationOptions(max_tokens=8, cache=NO_CACHE))
    engine.open("file:///u.py", BASE)
    caches = await asyncio.wrap_future(engine.worker.request(lambda sessions: [s.cache for _, s in sessions]))
    assert caches == [NO_CACHE, NO_CACHE]
    result = await engine.complete(context_at(BASE + "║", trigger=Trigger.INVOKED))
    assert result.source == "model"
