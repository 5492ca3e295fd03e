"""Selection ranges from the parse tree: innermost first, each larger than the last, bounded in number."""
from __future__ import annotations

from pathlib import Path

from analysis import Workspace
from analysis.types import Pos, Span


def test_ranges_grow_outward_and_a_deep_nest_is_cut_to_the_innermost_and_the_file(tmp_path: Path) -> None:
    (tmp_path / "nested.py").write_text("x = " + "(" * 3000 + "1" + ")" * 3000 + "\ny = [a, b]\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    deep, flat = ws.selection_ranges(str(tmp_path / "nested.py"), [Pos(0, 3004), Pos(1, 5)])
    assert len(deep) == 64 and deep[0] == Span(Pos(0, 3004), Pos(0, 3005))  # the "1"
    assert deep[-1].start == Pos(0, 0) and deep[-1].end.line == 2  # the whole file
    assert [(s.start.col, s.end.col) for s in flat[:3]] == [(5, 6), (4, 10), (0, 10)]  # a, [a, b], y = [a, b]
    for inner, outer in zip(flat, flat[1:]):
        assert outer.start <= inner.start and inner.end <= outer.end and inner != outer
