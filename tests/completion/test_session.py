"""DocumentSession: after any edit sequence its state at the cursor is the state of a fresh prefill of
`<|fim_begin|>` + the text before the cursor, an edit costs a bounded number of fed tokens, and a request far
ahead of the state reads a window of the text before it instead of waiting for the catch-up."""
from __future__ import annotations

import tempfile
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from completion.checkpoints import grid_spacing
from completion.lm import RecurrentLM
from completion.options import NO_CACHE, WORKING_STATES, CacheOptions, CheckpointPolicy
from completion.prompt import Prompt
from completion.session import COLD_AFTER_TOKENS, COLD_LAG_TOKENS, COLD_WINDOW_TOKENS, DocumentSession
from completion.tokens import TokenCodec
from models.state import RodimusState
from tests.completion.edits import BASE, byte_span, edits

# resident=3: most checkpoints are spilled to the temporary file and read back from it
SMALL = CheckpointPolicy(every=16, recent=3, lines=2, max_count=8, grid_every=16, grid_count=4, resident=3)
GRID = replace(SMALL, grid_count=12)  # for BASE * 12 (about 1500 tokens): a grid 8x the fine spacing


def in_memory_bound(policy: CheckpointPolicy, lm: RecurrentLM) -> int:
    """The most model-state bytes a synced session keeps in memory, whatever its document's length."""
    return (policy.resident + WORKING_STATES) * lm.state_nbytes


def fresh_state(lm: RecurrentLM, codec: TokenCodec, ids: list[int], fim: bool = True) -> RodimusState:
    state = lm.new_state()
    lm.feed([codec.special.fim_begin, *ids] if fim else ids, state)
    return state


def assert_same_state(actual: RodimusState, expected: RodimusState) -> None:
    assert actual.position == expected.position
    for mine, theirs in zip(actual.layers, expected.layers, strict=True):
        for a, b in zip(mine.tensors(), theirs.tensors(), strict=True):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(edits, st.booleans()), min_size=1, max_size=8), st.floats(0, 1), st.booleans())
def test_state_at_cursor_equals_fresh_prefill(lm: RecurrentLM, codec: TokenCodec, sequence: list,
                                              cursor_at: float, fim: bool) -> None:
    text = BASE
    session = DocumentSession(lm, codec, text, SMALL, fim=fim)
    session.sync()
    for edit, sync in sequence:
        start, end, insert = edit.apply(text)
        session.edit(*byte_span(text, start, end), insert)
        text = text[:start] + insert + text[end:]
        if sync:
            session.sync()
    assert session.log.all_ids().tolist() == codec.encode(text)
    assert session.full_text() == text
    cursor = min(int(cursor_at * (len(text) + 1)), len(text))
    prefix = text[:cursor]
    actual = session.prefix_state(len(prefix.encode("utf-8")))
    assert_same_state(actual, fresh_state(lm, codec, codec.encode(prefix), fim))
    assert len(session.checkpoints) <= SMALL.limit
    assert session.state_nbytes <= in_memory_bound(SMALL, lm)


def test_prompt_is_the_psm_prompt(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE
    cursor = text.index("name}") + 2
    session = DocumentSession(plus_lm, codec, text, SMALL, fim=True)
    prompt = session.prompt(len(text[:cursor].encode("utf-8")), suffix_tokens=12)
    assert prompt is not None
    s = codec.special
    ids = [*codec.encode(text[:cursor]), s.fim_hole, *codec.encode(text[cursor:])[:12], s.fim_end]
    expected = fresh_state(plus_lm, codec, ids[:-1])
    logits = plus_lm.feed_next(ids[-1:], expected).logits()
    torch.testing.assert_close(prompt.next.logits(), logits, atol=1e-4, rtol=1e-4)
    assert_same_state(prompt.state, expected)


def test_prefix_only_prompt_heals_the_word_under_the_cursor(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE
    cursor = text.index("greet(self") + 3  # inside the word: "gre|et"
    session = DocumentSession(plus_lm, codec, text, SMALL, fim=False)
    prompt = session.prompt(len(text[:cursor].encode("utf-8")), suffix_tokens=12)
    ids = codec.encode(text[:cursor])  # the prefix as a whole: its last token is the one to heal
    assert prompt is not None and prompt.forced == codec.token_bytes[ids[-1]]
    expected = fresh_state(plus_lm, codec, ids[:-2], fim=False)
    logits = plus_lm.feed_next(ids[-2:-1], expected).logits()
    torch.testing.assert_close(prompt.next.logits(), logits, atol=1e-4, rtol=1e-4)
    assert_same_state(prompt.state, expected)


@pytest.mark.parametrize("fim", [False, True])
def test_a_cold_request_reads_a_window_before_its_anchor(lm: RecurrentLM, codec: TokenCodec, fim: bool) -> None:
    """Far behind (a just-opened long document), a request is answered from the last COLD_WINDOW_TOKENS tokens
    before its anchor, fed from zero, and leaves the persistent state where it was; typing on advances that window
    state by the typed tokens alone; once caught up, requests read the whole prefix."""
    text = BASE * 24
    end = len(text.encode("utf-8"))
    session = DocumentSession(lm, codec, text, SMALL, fim=fim)
    target, _ = session.anchor(end)
    assert target > COLD_AFTER_TOKENS
    start = target - COLD_WINDOW_TOKENS
    s = codec.special
    head = [s.fim_begin] if fim else []

    def whole(text: str) -> list[int]:
        """The prompt a request at the end of `text` feeds after the persistent state's origin."""
        if fim:  # <|fim_begin|> prefix <|fim_hole|> (no suffix at the end) <|fim_end|>
            return [*codec.encode(text), s.fim_hole, s.fim_end]
        return codec.encode(text)[:-1]  # the prefix, its last token healed by generation

    def assert_prompt_of(prompt: Prompt | None, fed: list[int]) -> None:
        assert prompt is not None
        expected = lm.new_state()
        lm.feed(fed[:-1], expected)
        torch.testing.assert_close(prompt.next.logits(), lm.feed_next(fed[-1:], expected).logits(),
                                   atol=1e-4, rtol=1e-4)  # fmt: skip
        assert_same_state(prompt.state, expected)

    prompt = session.prompt(end, suffix_tokens=12)
    assert_prompt_of(prompt, [*head, *whole(text)[start:]])
    assert prompt is not None and prompt.synced == COLD_WINDOW_TOKENS - COLD_LAG_TOKENS
    assert session.state_index == -1

    typed = "\n    value = compute(name, 42)\n    return value\n"
    synced = []
    for ch in typed:
        session.edit(end, end, ch)
        end += 1
        text += ch
        prompt = session.prompt(end, suffix_tokens=12)
        assert prompt is not None and session.state_index == -1
        synced.append(prompt.synced)
    assert_prompt_of(prompt, [*head, *whole(text)[start:]])
    assert sum(synced) <= len(codec.encode(typed)) + COLD_LAG_TOKENS  # the typed tokens, not a window each

    session.sync(end)
    warm = session.prompt(end, suffix_tokens=12)
    assert warm is not None and warm.synced == 0
    assert_same_state(warm.state, fresh_state(lm, codec, whole(text), fim=fim))


def test_a_request_not_far_behind_catches_up(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE * 12
    end = len(text.encode("utf-8"))
    session = DocumentSession(plus_lm, codec, text, SMALL)
    target, _ = session.anchor(end)
    assert COLD_WINDOW_TOKENS < target <= COLD_AFTER_TOKENS
    prompt = session.prompt(end, suffix_tokens=12)
    assert prompt is not None and prompt.synced == target and session.state_index == target


def test_switching_the_prompt_format_rebuilds_the_state(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, BASE, SMALL, fim=True)
    end = len(BASE.encode("utf-8"))
    session.sync()
    session.set_fim(False)
    assert session.state_index == -1
    assert_same_state(session.prefix_state(end), fresh_state(plus_lm, codec, codec.encode(BASE), fim=False))


def test_line_and_column_edits(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, "a = 1\nb = 2\n", SMALL)
    session.edit_lines((1, 4), (1, 5), "20")
    session.edit_lines((2, 0), (2, 0), "c = 😀\n")
    session.edit_lines((2, 4), (2, 8), "3")  # the emoji is 4 bytes
    assert session.full_text() == "a = 1\nb = 20\nc = 3\n"
    assert session.log.all_ids().tolist() == codec.encode(session.full_text())


def typing_costs(session: DocumentSession, cursor: int, typed: str) -> list[int]:
    """Tokens fed by sync after each typed character (from the second keystroke on)."""
    costs = []
    for ch in typed:
        session.edit(cursor, cursor, ch)
        cursor += len(ch.encode("utf-8"))
        costs.append(session.sync())
    return costs[1:]


def test_typing_cost_does_not_grow_with_the_document(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    typed = "\n    value = compute(name, 42)\n    return value"
    worst = {}
    for copies in (2, 16):
        text = BASE * copies
        session = DocumentSession(plus_lm, codec, text, SMALL)
        session.sync()
        end_costs = typing_costs(session, len(text.encode("utf-8")), typed)
        middle = len(text[: len(text) // 2 + text[len(text) // 2 :].index("\n")].encode("utf-8"))
        middle_costs = typing_costs(session, middle, typed)
        worst[copies] = max(end_costs + middle_costs)
        assert session.state_nbytes <= in_memory_bound(SMALL, plus_lm)
    longest_line = max(len(codec.encode(line)) for line in (BASE + typed).split("\n"))
    assert worst[16] <= longest_line + SMALL.recent
    assert worst[16] <= worst[2] + SMALL.recent


def line_ends(text: str) -> list[int]:
    """Byte offsets of the ends of the text's lines (before their newlines)."""
    return [len(text[:i].encode("utf-8")) for i, ch in enumerate(text) if ch == "\n"]


def test_an_edit_far_from_the_cursor_refeeds_at_most_the_grid_spacing(lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE * 12
    session = DocumentSession(lm, codec, text, GRID)
    session.sync()
    spacing = grid_spacing(len(session.log), GRID)
    assert spacing > GRID.every and len(session.log) > 4 * spacing  # the grid thinned, and is still a grid
    longest_line = max(len(codec.encode(line + "\n")) for line in text.split("\n"))
    ends = line_ends(text)
    for at in (ends[len(ends) // 2], ends[len(ends) // 10]):  # each far before the cursor (where the last one was)
        session.edit(at, at, "x")
        session.edit(at, at + 1, "")  # the text as before, the checkpoints after `at` gone
        fed = session.sync()
        assert 0 < fed <= spacing + longest_line
        assert len(session.checkpoints) <= GRID.limit
        assert session.state_nbytes <= in_memory_bound(GRID, lm)


def test_moving_the_cursor_anywhere_refeeds_at_most_the_grid_spacing(lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE * 12
    session = DocumentSession(lm, codec, text, GRID)
    session.sync()
    spacing = grid_spacing(len(session.log), GRID)
    for at in line_ends(text)[::7]:  # back and forth: nothing changed, so the grid after the cursor stays valid
        assert session.sync(at) <= spacing
        assert session.sync(len(text.encode("utf-8"))) <= spacing


def test_memory_is_flat_in_the_document_length(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    memory, spilled = {}, {}
    for copies in (2, 16):
        session = DocumentSession(plus_lm, codec, BASE * copies, GRID)
        session.sync()
        memory[copies], spilled[copies] = session.state_nbytes, session.spilled_nbytes
    assert memory[2] == memory[16] <= in_memory_bound(GRID, plus_lm)
    assert spilled[2] < spilled[16] <= GRID.limit * plus_lm.state_nbytes  # the grid, on disk, grows and is bounded


def test_resident_checkpoints_fit_the_sessions_share_of_the_budget(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, BASE * 8, replace(SMALL, resident=8))
    session.sync()
    share = (WORKING_STATES + 3) * plus_lm.state_nbytes
    session.fit_checkpoints(share)
    assert session.policy.resident == 3 and session.state_nbytes <= share
    session.fit_checkpoints(0)  # no room at all: one resident checkpoint, still a working session
    assert session.policy.resident == 1
    end = len(BASE.encode("utf-8"))
    assert_same_state(session.prefix_state(end), fresh_state(plus_lm, codec, codec.encode(BASE), fim=False))
    session.fit_checkpoints(2**40)  # room again: back to the resident count asked for, no more
    assert session.policy.resident == 8


def test_a_session_that_cannot_spill_keeps_its_checkpoints_in_memory(plus_lm: RecurrentLM, codec: TokenCodec,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def no_temporary_files() -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temporary_files)
    text = BASE * 4
    session = DocumentSession(plus_lm, codec, text, SMALL)
    session.sync()
    assert session.spilled_nbytes == 0 and len(session.checkpoints) > SMALL.resident
    middle = len(text[: len(text) // 2].encode("utf-8"))
    expected = fresh_state(plus_lm, codec, codec.encode(text[: len(text) // 2]), fim=False)
    assert_same_state(session.prefix_state(middle), expected)


def test_closing_a_session_frees_its_spill(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, BASE * 4, SMALL)
    session.sync()
    assert session.spilled_nbytes > 0
    session.drop_states()
    assert session.spilled_nbytes == 0 and session.state_nbytes == 0


def test_dropped_states_are_rebuilt(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, BASE, SMALL)
    before = session.prefix_state(len(BASE.encode("utf-8")))
    session.drop_states()
    assert session.state_nbytes == 0 and session.state_index == -1
    assert_same_state(session.prefix_state(len(BASE.encode("utf-8"))), before)


@settings(max_examples=8, deadline=None)
@given(st.lists(edits, min_size=1, max_size=4), st.booleans())
def test_prepared_prompt_is_the_prompt_of_the_text_it_was_made_for(plus_lm: RecurrentLM, codec: TokenCodec,
                                                                   sequence: list, fim: bool) -> None:
    text = BASE
    session = DocumentSession(plus_lm, codec, text, SMALL, fim=fim, suffix_tokens=8)
    for edit in sequence:
        assert session.prepare()
        start, end, insert = edit.apply(text)
        session.edit(*byte_span(text, start, end), insert)  # the prompt prepared before it is stale
        text = text[:start] + insert + text[end:]
    assert session.prepare() and session.is_prepared()
    cursor = session.cursor
    prepared = session.prompt(cursor, suffix_tokens=8)
    assert prepared is not None and prepared.ready
    prepared_state, prepared_logits = prepared.state.clone(), prepared.next.logits()
    cold = DocumentSession(plus_lm, codec, text, SMALL, fim=fim).prompt(cursor, suffix_tokens=8)
    assert cold is not None and not cold.ready
    assert (prepared.forced, prepared.fed) == (cold.forced, cold.fed)
    assert (prepared.healing is not None) == bool(cold.forced)
    torch.testing.assert_close(prepared_logits, cold.next.logits(), atol=1e-4, rtol=1e-4)
    assert_same_state(prepared_state, cold.state)
    session.edit(cursor, cursor, "x")  # typing at the cursor: the prompt may be reused, and must then be the same
    again = session.prompt(cursor + 1, suffix_tokens=8)
    fresh = DocumentSession(plus_lm, codec, session.full_text(), SMALL, fim=fim).prompt(cursor + 1, suffix_tokens=8)
    assert again is not None and fresh is not None and (again.forced, again.fed) == (fresh.forced, fresh.fed)
    assert again.healing is None or again.forced == prepared.forced
    torch.testing.assert_close(again.next.logits(), fresh.next.logits(), atol=1e-4, rtol=1e-4)
    assert_same_state(again.state, fresh.state)
    if session.anchor(cursor + 1)[0] > 0:  # an edit before the anchor drops what was prepared
        session.edit(0, 0, "#")
        assert not session.is_prepared() and not session.prompt(cursor + 2, suffix_tokens=8).ready  # type: ignore[union-attr]


def test_an_interrupted_prepare_goes_on_from_where_it_stopped(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE + "    return sel"
    session = DocumentSession(plus_lm, codec, text, SMALL, fim=False)
    checks = []

    def stop_after_the_prompt() -> bool:  # stops at the first check after the prompt was fed (before healing)
        checks.append(session._prepared is not None)  # noqa: SLF001
        return checks[-1]

    assert not session.prepare(should_stop=stop_after_the_prompt) and not session.is_prepared()
    assert session.prepare() and session.is_prepared()
    cursor = len(text.encode("utf-8"))
    warm = session.prompt(cursor, suffix_tokens=0)
    cold = DocumentSession(plus_lm, codec, text, SMALL, fim=False).prompt(cursor, suffix_tokens=0)
    assert warm is not None and cold is not None and warm.ready and warm.healing is not None
    assert_same_state(warm.state, cold.state)


@settings(max_examples=12, deadline=None)
@given(st.lists(edits, max_size=4), st.floats(0, 1), st.booleans(), st.sampled_from([8, 10_000]))
def test_the_cache_model_counts_the_text_before_the_cursor(plus_lm: RecurrentLM, codec: TokenCodec, sequence: list,
                                                           cursor_at: float, fim: bool, limit: int) -> None:
    text = BASE
    session = DocumentSession(plus_lm, codec, text, SMALL, fim=fim, cache=CacheOptions(window=limit))
    for edit in sequence:
        start, end, insert = edit.apply(text)
        session.edit(*byte_span(text, start, end), insert)
        text = text[:start] + insert + text[end:]
    cursor = len(text[: min(int(cursor_at * (len(text) + 1)), len(text))].encode("utf-8"))
    prompt = session.prompt(cursor, suffix_tokens=8)
    assert prompt is not None and prompt.cache is not None and len(prompt.cache.tokens) <= limit
    before = b"".join(codec.token_bytes[i] for i in prompt.cache.tokens if i not in codec.special_ids)
    assert text.encode("utf-8")[:cursor].endswith(before + prompt.forced)  # the forced text is generated
    if limit > len(codec.encode(text)):
        assert before + prompt.forced == text.encode("utf-8")[:cursor]
    session.set_cache(NO_CACHE)
    assert session.prompt(cursor, suffix_tokens=8).cache is None  # type: ignore[union-attr]
