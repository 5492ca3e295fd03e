"""TokenLog (a gap buffer) behaves like a plain list of (id, length) under any splice sequence."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from completion.token_log import TokenLog

tokens = st.lists(st.tuples(st.integers(0, 99), st.integers(1, 4)), max_size=5)
splices = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 4), tokens), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(tokens, splices, st.lists(st.integers(-1, 400), min_size=1, max_size=5))
def test_gap_buffer_matches_a_list(initial: list, sequence: list, probes: list[int]) -> None:
    ids = [i for i, _ in initial]
    lengths = [n for _, n in initial]
    log = TokenLog(ids, np.array(lengths, dtype=np.int64))
    for where, removed, new in sequence:
        start = int(where * len(ids))
        stop = min(len(ids), start + removed)
        log.splice(start, stop, [i for i, _ in new], np.array([n for _, n in new], dtype=np.int64))
        ids[start:stop] = [i for i, _ in new]
        lengths[start:stop] = [n for _, n in new]
    bounds = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
    assert log.all_ids().tolist() == ids and len(log) == len(ids)
    assert np.array_equal(log.all_starts(), bounds) and log.total_bytes == bounds[-1]
    assert [log.start(i) for i in range(len(ids) + 1)] == bounds.tolist()
    assert [log.id_at(i) for i in range(len(ids))] == ids
    assert log.ids_between(1, len(ids) - 1).tolist() == ids[1:-1]
    for byte in probes:
        assert log.tokens_before(byte) == int(np.searchsorted(bounds, byte, side="right")) - 1
        at = int(np.searchsorted(bounds, byte, side="left"))
        assert log.index_of_boundary(byte) == (at if at < len(bounds) and bounds[at] == byte else None)
