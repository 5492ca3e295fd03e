"""LineIndex (a gap buffer) answers like an index built from scratch under any sequence of edits."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from completion.line_index import LineIndex

texts = st.text(alphabet="ab\n", max_size=30)
edits = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 6), texts), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(texts, edits)
def test_edits_match_a_fresh_index(initial: str, sequence: list) -> None:
    text = initial.encode()
    index = LineIndex(text)
    for where, removed, new in sequence:
        start = int(where * len(text))
        old_end = min(len(text), start + removed)
        index.splice(start, old_end, new.encode())
        text = text[:start] + new.encode() + text[old_end:]
        fresh = LineIndex(text)
        assert index.all_starts().tolist() == fresh.all_starts().tolist()
        assert len(index) == len(fresh) and index.length == len(text)
    lines = text.split(b"\n")
    for line, content in enumerate(lines):
        start = index.start(line)
        assert text[start : start + len(content)] == content
        assert index.offset(line, len(content) + 5) == start + len(content)  # clamped to the line
        assert index.position(start + len(content)) == (line, len(content))
    assert index.offset(len(lines), 0) == len(text)
