"""The token log after any edit sequence equals encode(final text), re-tokenizing only around each edit."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from completion.retokenize import boundary_at_or_after, boundary_at_or_before, retokenize
from completion.token_log import TokenLog
from completion.tokens import TokenCodec, is_boundary
from tests.completion.edits import BASE, byte_span, edits


def fresh_log(codec: TokenCodec, text: str) -> TokenLog:
    ids = codec.encode(text)
    return TokenLog(ids, codec.token_lengths[np.asarray(ids, dtype=np.int64)])


@settings(max_examples=150, deadline=None)
@given(st.lists(edits, min_size=1, max_size=12))
def test_log_equals_fresh_encoding_after_random_edits(codec: TokenCodec, sequence: list) -> None:
    text = BASE
    data = bytearray(text.encode("utf-8"))
    log = fresh_log(codec, text)
    for edit in sequence:
        start, end, insert = edit.apply(text)
        b_start, b_end = byte_span(text, start, end)
        old_ids = log.all_ids()
        text = text[:start] + insert + text[end:]
        data[b_start:b_end] = insert.encode("utf-8")
        change = retokenize(codec, log, data, b_start, b_end, b_start + len(insert.encode("utf-8")))
        expected = codec.encode(text)
        assert log.all_ids().tolist() == expected
        assert log.total_bytes == len(data)
        assert np.array_equal(np.diff(log.all_starts()), codec.token_lengths[log.all_ids()])
        assert log.ids_between(0, change.first_changed).tolist() == old_ids[: change.first_changed].tolist()
        # only a neighbourhood of the edit was encoded again: at most the whitespace-free runs it touches
        longest_run = max(len(codec.encode(run)) for run in text.split() or [""])
        assert change.window_tokens <= len(insert.encode("utf-8")) + 3 * longest_run + 4


def test_token_bytes_concatenate_to_the_text(codec: TokenCodec) -> None:
    text = BASE + "<|fim_hole|> 中文\r\n"
    assert b"".join(codec.token_bytes[i] for i in codec.encode(text)) == text.encode("utf-8")


def test_special_strings_in_code_stay_text(codec: TokenCodec) -> None:
    assert not set(codec.encode("x = '<|endoftext|><|fim_begin|>'")) & codec.special_ids


def test_boundary_search() -> None:
    text = b"foo(bar)\n    baz qux"
    assert boundary_at_or_before(text, len(text) - 1) == text.index(b" qux")
    assert boundary_at_or_before(text, 3) == 0
    assert boundary_at_or_after(text, 1) == text.index(b"\n")
    assert boundary_at_or_after(text, text.index(b" qux") + 1) == len(text)
    assert all(is_boundary(text, p) for p in (0, text.index(b"\n"), len(text)))
    assert not is_boundary(text, text.index(b"\n") + 1)
