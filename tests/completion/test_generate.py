"""Generation: greedy is deterministic, stops are honoured, the cancel flag is checked before each token."""
from __future__ import annotations

import time

import torch

from completion.generate import generate
from completion.lm import NextToken, RecurrentLM
from completion.options import NO_CACHE, CacheOptions, GenerationOptions
from completion.policy import Mode
from completion.sampling import Sampler
from completion.session import DocumentSession
from completion.stop import StopRule
from completion.tokens import TokenCodec
from tests.completion.edits import BASE

NO_STOP = StopRule(Mode.BLOCK, suffix="", max_lines=1000)


def run(lm: RecurrentLM, codec: TokenCodec, options: GenerationOptions, rule: StopRule = NO_STOP,
        cancelled=lambda: False):  # type: ignore[no-untyped-def]
    session = DocumentSession(lm, codec, BASE)
    prompt = session.prompt(len(BASE.encode("utf-8")), suffix_tokens=0)
    assert prompt is not None
    return generate(lm, codec, prompt, rule, options, cancelled)


def test_greedy_is_deterministic_and_bounded(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    options = GenerationOptions(max_tokens=6)
    first, second = run(plus_lm, codec, options), run(plus_lm, codec, options)
    assert (first.text, first.tokens, first.reason) == (second.text, second.tokens, second.reason)
    assert first.tokens <= 6 and first.reason in {"max_tokens", "eos", "special"}


def test_cancel_flag_stops_before_the_next_token(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    result = run(plus_lm, codec, GenerationOptions(max_tokens=50), cancelled=cancelled)
    assert result.reason == "cancelled" and result.tokens <= 2


def test_stop_rule_cuts_the_text(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    class CutAtOnce(StopRule):
        def cut(self, text: str) -> int | None:
            return 0

    result = run(plus_lm, codec, GenerationOptions(max_tokens=50), rule=CutAtOnce(Mode.LINE, ""))
    assert result.reason in {"stop", "eos", "special"} and result.text == ""


def test_top_p_keeps_the_nucleus() -> None:
    logits = torch.log(torch.tensor([0.6, 0.3, 0.05, 0.05]))
    sampler = Sampler(GenerationOptions(temperature=1.0, top_p=0.8, seed=0))
    assert {sampler.pick(logits) for _ in range(200)} == {0, 1}
    assert Sampler(GenerationOptions()).pick(logits) == 0


def test_first_token_is_never_special(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    session = DocumentSession(plus_lm, codec, BASE)
    prompt = session.prompt(len(BASE.encode("utf-8")), suffix_tokens=0)
    assert prompt is not None
    biased = prompt.next.logits().clone()
    biased[codec.special.eos] = 1e4  # the model is sure the middle is empty
    prompt.next = NextToken.of_logits(biased)
    result = generate(plus_lm, codec, prompt, NO_STOP, GenerationOptions(max_tokens=1), lambda: False)
    assert (result.tokens, result.reason) == (1, "max_tokens")


def test_healing_choices_agree_with_the_pending_text(codec: TokenCodec) -> None:
    pending = b" retu"
    choices = codec.consistent_ids(pending)
    assert choices and all(pending.startswith(codec.token_bytes[i]) or codec.token_bytes[i].startswith(pending)
                           for i in choices)
    assert codec.encode(" ")[0] in choices and not set(choices) & codec.special_ids


def test_healed_generation_returns_only_the_completion(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    text = BASE + "    def gre"
    session = DocumentSession(plus_lm, codec, text, fim=False)
    prompt = session.prompt(len(text.encode("utf-8")), suffix_tokens=0)
    assert prompt is not None and prompt.forced and b" gre".endswith(prompt.forced)
    inconsistent = codec.encode("xyz")[0]
    biased = prompt.next.logits().clone()
    biased[inconsistent] = 1e4  # the model would rather write something else
    prompt.next = NextToken.of_logits(biased)
    result = generate(plus_lm, codec, prompt, NO_STOP, GenerationOptions(max_tokens=3), lambda: False)
    assert 1 <= result.tokens <= 3 and not result.text.startswith("xyz")


def test_greedy_generation_from_a_prepared_prompt_is_the_cold_one(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    options = GenerationOptions(max_tokens=5)
    for typed in ("    def gre", "    return sel", "    x = compute(na"):
        text = BASE + typed
        cursor = len(text.encode("utf-8"))
        warm = DocumentSession(plus_lm, codec, text, fim=False)
        assert warm.prepare()
        prompt = warm.prompt(cursor, suffix_tokens=0)
        assert prompt is not None and prompt.ready and prompt.healing is not None and prompt.healing.tokens
        prepared = generate(plus_lm, codec, prompt, NO_STOP, options, lambda: False)
        cold_prompt = DocumentSession(plus_lm, codec, text, fim=False).prompt(cursor, suffix_tokens=0)
        assert cold_prompt is not None and not cold_prompt.ready
        cold = generate(plus_lm, codec, cold_prompt, NO_STOP, options, lambda: False)
        assert (prepared.text, prepared.tokens, prepared.reason) == (cold.text, cold.tokens, cold.reason)
        sampled = warm.prompt(cursor, suffix_tokens=0)  # a sampling request ignores the greedy healing
        assert sampled is not None and sampled.ready
        result = generate(plus_lm, codec, sampled, NO_STOP, GenerationOptions(max_tokens=3, temperature=0.8, seed=1),
                          lambda: False)
        assert 1 <= result.tokens <= 3


def test_healing_choices_are_every_token_that_agrees(codec: TokenCodec) -> None:
    ordinary = [i for i, data in enumerate(codec.token_bytes) if data and i not in codec.special_ids]
    for pending in {codec.token_bytes[i][:k] for i in ordinary[::7] for k in (1, 2, 4)} | {b" retu", b"    "}:
        expected = tuple(i for i in ordinary if pending.startswith(codec.token_bytes[i])
                         or codec.token_bytes[i].startswith(pending))
        assert codec.consistent_ids(pending) == expected


def test_without_early_stops_a_completion_runs_to_max_tokens(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    class CutAtOnce(StopRule):
        def cut(self, text: str) -> int | None:
            return 0

    options = GenerationOptions(max_tokens=7, stop_early=False)
    result = run(plus_lm, codec, options, rule=CutAtOnce(Mode.LINE, ""))
    assert (result.tokens, result.reason) == (7, "max_tokens")


def test_the_cache_model_continues_what_the_document_repeats(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    line = "total = compute(alpha, beta)\n"
    text = BASE + line * 3
    options = GenerationOptions(max_tokens=len(codec.encode(line)))

    def complete(cache: CacheOptions) -> str:
        session = DocumentSession(plus_lm, codec, text, fim=True, cache=cache)
        prompt = session.prompt(len(text.encode("utf-8")), suffix_tokens=0)
        assert prompt is not None
        return generate(plus_lm, codec, prompt, NO_STOP, options, lambda: False).text

    assert complete(CacheOptions(weight=1.0)).startswith(line.rstrip())  # each step matched: the cache decides
    assert not complete(NO_CACHE).startswith(line.rstrip())  # the random model alone


def test_the_cache_model_heals_the_word_under_the_cursor_as_the_document_writes_it(plus_lm: RecurrentLM,
                                                                                  codec: TokenCodec) -> None:
    line = "total = compute(alpha, beta)\n"
    text = BASE + line * 3 + "total = comp"
    cursor = len(text.encode("utf-8"))
    options = GenerationOptions(max_tokens=len(codec.encode(line)))
    warm = DocumentSession(plus_lm, codec, text, cache=CacheOptions(weight=1.0))
    assert warm.prepare()
    prepared = warm.prompt(cursor, suffix_tokens=0)
    cold = DocumentSession(plus_lm, codec, text, cache=CacheOptions(weight=1.0)).prompt(cursor, suffix_tokens=0)
    assert prepared is not None and prepared.healing is not None and cold is not None and cold.forced
    completions = [generate(plus_lm, codec, p, NO_STOP, options, lambda: False).text for p in (prepared, cold)]
    assert completions[0] == completions[1] and completions[0].startswith("ute(alpha, beta)")


class BlankLoving(RecurrentLM):
    """The tiny model, made sure that every next token is a run of blanks (or a newline and one)."""

    def __init__(self, lm: RecurrentLM, codec: TokenCodec) -> None:
        super().__init__(lm.model, lm.chunk)
        blank_runs = [i for i, data in enumerate(codec.token_bytes) if data and not data.strip(b" \t\n")]
        self.bias = torch.zeros(codec.vocab_size)
        self.bias[blank_runs] = 1e4

    def _biased(self, scores: NextToken) -> NextToken:
        return NextToken.of_logits(scores.logits() + self.bias)

    def feed_next(self, ids, state):  # type: ignore[no-untyped-def]
        return self._biased(super().feed_next(ids, state))

    def step(self, token, state):  # type: ignore[no-untyped-def]
        return self._biased(super().step(token, state))


def test_a_completion_at_an_indentations_end_adds_no_indentation(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    blank_loving = BlankLoving(plus_lm, codec)
    options = GenerationOptions(max_tokens=3, cache=NO_CACHE, stop_early=False)
    for fim in (False, True):
        for typed in ("    ", "        ", "\t", ""):  # after auto-indent, a deeper one, a tab, column 0
            text = BASE + typed
            for prepared in (False, True):
                session = DocumentSession(blank_loving, codec, text, fim=fim)
                if prepared:
                    assert session.prepare()
                prompt = session.prompt(len(text.encode("utf-8")), suffix_tokens=4)
                assert prompt is not None and prompt.keeps_indentation
                result = generate(blank_loving, codec, prompt, NO_STOP, options, lambda: False)
                assert result.tokens == 3 and result.text[:1] not in (" ", "\t"), (fim, typed, prepared)
    mid_line = BASE + "x = f(a,"  # elsewhere a blank is what the model may well write next
    session = DocumentSession(blank_loving, codec, mid_line, fim=False)
    prompt = session.prompt(len(mid_line.encode("utf-8")), suffix_tokens=0)
    assert prompt is not None and not prompt.keeps_indentation
    assert generate(blank_loving, codec, prompt, NO_STOP, options, lambda: False).text[:1].isspace()


def test_healing_choices_that_keep_the_indentation(codec: TokenCodec) -> None:
    ordinary = [i for i, data in enumerate(codec.token_bytes) if data and i not in codec.special_ids]
    for pending in (b"\n", b"\n    ", b"    ", b"  ", b"\t", b" retu"):
        expected = tuple(i for i in ordinary if pending.startswith(codec.token_bytes[i])
                         or (codec.token_bytes[i].startswith(pending)
                             and codec.token_bytes[i][len(pending) : len(pending) + 1] not in (b" ", b"\t")))
        assert codec.consistent_ids(pending, blank_after=False) == expected
    assert set(codec.blank_led_ids) == {i for i in ordinary if codec.token_bytes[i][:1] in (b" ", b"\t")}


def test_the_time_budget_is_the_generations_own(plus_lm: RecurrentLM, codec: TokenCodec) -> None:
    """A request that spent seconds catching up on a just-opened document still gets its completion."""
    session = DocumentSession(plus_lm, codec, BASE)
    prompt = session.prompt(len(BASE.encode("utf-8")), suffix_tokens=0)
    assert prompt is not None
    long_ago = time.perf_counter() - 5.0  # the request started before a 5-second catch-up
    options = GenerationOptions(max_tokens=4, time_budget_ms=1000, stop_early=False)
    result = generate(plus_lm, codec, prompt, NO_STOP, options, lambda: False, started=long_ago)
    assert (result.tokens, result.reason) == (4, "max_tokens") and result.first_token_ms >= 5000
