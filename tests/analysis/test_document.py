"""Open documents: the spliced text, the line index and the incrementally parsed tree (settled, when edits left
syntax errors) stay equal to a fresh start on the same text; buffers override the disk until closed."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import Workspace
from analysis.document import Document
from analysis.types import Pos, TextEdit
from tests.analysis.test_incremental import _pos

PIECES = st.sampled_from(["", "a", "def f():\n    return 1\n", "\n", "\r\n", "😀", "漢字", "é", "(", "    ", "#"])


@settings(max_examples=60, deadline=None)
@given(start=st.text(alphabet="ab\n😀é(): ", max_size=40),
       edits=st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 6), PIECES), min_size=1, max_size=8))
def test_document_matches_a_fresh_one(start: str, edits: list[tuple[int, int, str]]) -> None:
    doc = Document("python", start)
    text = start
    for where, length, insert in edits:
        begin = where % (len(text) + 1)
        end = min(len(text), begin + length)
        doc.apply(TextEdit(_pos(text, begin), _pos(text, end), insert))
        text = text[:begin] + insert + text[end:]
        fresh = Document("python", text)
        assert doc.text == text
        assert doc.line_starts == fresh.line_starts
    doc.settle()
    assert str(doc.tree.root_node) == str(Document("python", text).tree.root_node)


# Found by random edits of editproj's models.py: an unclosed docstring, then a "(" near the top. Reparsed
# incrementally, the module keeps its statements; a fresh parse wraps them in an ERROR node.
DIVERGING_EDITS = ((392, '"""'), (63, "("))


def test_settle_reparses_a_tree_with_errors_from_scratch() -> None:
    text = (Path(__file__).with_name("fixtures") / "editproj" / "app" / "models.py").read_text(encoding="utf-8")
    doc = Document("python", text)
    assert not doc.settle()  # no error: nothing to do
    for where, insert in DIVERGING_EDITS:
        doc.apply(TextEdit(_pos(text, where), _pos(text, where), insert))
        text = text[:where] + insert + text[where:]
        doc.reparse()
    fresh = str(Document("python", text).tree.root_node)
    assert doc.settle()
    assert str(doc.tree.root_node) == fresh
    assert not doc.settle()  # settled until the next edit
    doc.apply(TextEdit(_pos(text, 0), _pos(text, 0), "x"))
    assert doc.settle()


def test_positions_past_the_end_are_clamped() -> None:
    doc = Document("python", "ab\ncd")
    doc.apply(TextEdit(Pos(0, 99), Pos(7, 0), "X"))
    assert doc.text == "abX"


def test_buffer_overrides_disk_until_closed(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def old():\n    pass\n", encoding="utf-8")
    path = str(tmp_path / "m.py")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    ws.open(path, "def new():\n    pass\n")
    assert "m.py::new" in ws.graph and "m.py::old" not in ws.graph
    ws.change(path, [TextEdit(Pos(0, 4), Pos(0, 7), "newer")])
    assert ws.text(path) == "def newer():\n    pass\n"
    assert "m.py::newer" in ws.graph
    (tmp_path / "m.py").write_text("def saved():\n    pass\n", encoding="utf-8")
    ws.files_changed([], [path], [])
    assert "m.py::newer" in ws.graph  # the buffer wins while open
    ws.save(path)
    ws.close(path)
    assert "m.py::saved" in ws.graph and "m.py::newer" not in ws.graph
    assert ws.text(path) == "def saved():\n    pass\n"


def test_unsaved_new_file_and_files_outside_the_root(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "root", cache_dir=tmp_path / ".cache")
    (tmp_path / "root").mkdir()
    ws.index(use_cache=False)
    path = str(tmp_path / "root" / "fresh.py")
    ws.open(path, "def f():\n    pass\n")
    assert "fresh.py::f" in ws.graph
    ws.close(path)
    assert "fresh.py" not in ws.graph
    outside = str(tmp_path / "elsewhere.py")
    ws.open(outside, "x = 1\n")
    assert ws.text(outside) == "x = 1\n"
    ws.change(outside, [TextEdit(Pos(0, 4), Pos(0, 5), "2")])
    assert ws.text(outside) == "x = 2\n"
    assert ws.definition(outside, Pos(0, 0)) == []
