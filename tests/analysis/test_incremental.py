"""Property: after any sequence of edits applied through `Workspace.change`, and `Workspace.settle` once they
pause, the graph equals the graph built from scratch on the final text (nodes with all attributes, edges with
their types)."""
from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis import Workspace
from analysis.pyresolve import PyFileIndex
from analysis.types import Pos, TextEdit

FIXTURES = Path(__file__).with_name("fixtures")
FILES = ("app/models.py", "app/util.py", "main.py")

# Pieces of text an edit inserts: code fragments that make and break definitions, and awkward characters.
INSERTS = st.sampled_from([
    "", "x", "_", "self.", "def f(self):\n        ", "class K(Model):\n    ", "\n", "\n    ", "    ", "(", ")",
    ":", "return ", "import os\n", "from .util import clamp\n", "render", "Registry()", "# note", '"""doc"""',
    "😀", "漢字", "\r\n", "self.size = 3\n        ", "super().", ".render(1)", "global g\n", "lambda: 0", "@",
])


def _pos(text: str, offset: int) -> Pos:
    """Line and UTF-8 byte column of a character offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return Pos(line, len(text[start:offset].encode("utf-8")))


@st.composite
def edit_batches(draw: st.DrawFn) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """A list of (file, edits); each edit is (start fraction, deleted characters, inserted text)."""
    batches = []
    for _ in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(FILES))
        edits = [(draw(st.integers(0, 10_000)), draw(st.integers(0, 12)), draw(INSERTS))
                 for _ in range(draw(st.integers(1, 3)))]
        batches.append((path, edits))
    return batches


def graph_content(graph: nx.MultiDiGraph) -> tuple[dict, set]:
    return dict(graph.nodes(data=True)), {(u, v, k, tuple(sorted(d.items()))) for u, v, k, d in
                                           graph.edges(keys=True, data=True)}


def assert_same_graph(live: nx.MultiDiGraph, fresh: nx.MultiDiGraph) -> None:
    live_nodes, live_edges = graph_content(live)
    fresh_nodes, fresh_edges = graph_content(fresh)
    assert live_nodes.keys() == fresh_nodes.keys()
    for node_id, data in fresh_nodes.items():
        assert live_nodes[node_id] == data, node_id
    assert live_edges == fresh_edges


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=edit_batches())
# A comment typed between a split class's chunks changes the class's text and nothing else.
@example(batches=[("app/models.py", [(0, 6, "self."), (66, 2, "# note")]), ("app/models.py", [(5842, 0, "x")])])
# Tree-sitter's incremental error recovery differs from a fresh parse's here (see Document.settle).
@example(batches=[("app/models.py", [(392, 0, '"""')]), ("app/models.py", [(63, 0, "(")])])
def test_edits_through_change_equal_a_fresh_build(tmp_path_factory, batches) -> None:
    base = tmp_path_factory.mktemp("edit")
    live_root = base / "live" / "proj"
    shutil.copytree(FIXTURES / "editproj", live_root)
    ws = Workspace(live_root, cache_dir=base / "cache-live")
    ws.index(use_cache=False)
    texts = {rel: (live_root / rel).read_text(encoding="utf-8") for rel in FILES}
    for rel in FILES:
        ws.open(str(live_root / rel), texts[rel])
    for rel, edits in batches:
        text = texts[rel]
        lsp_edits = []
        for where, length, insert in edits:
            start = where % (len(text) + 1)
            end = min(len(text), start + length)
            lsp_edits.append(TextEdit(_pos(text, start), _pos(text, end), insert))
            text = text[:start] + insert + text[end:]
        texts[rel] = text
        ws.change(str(live_root / rel), lsp_edits)
        assert ws.text(str(live_root / rel)) == text
    for rel in FILES:
        ws.settle(str(live_root / rel))

    fresh_root = base / "fresh" / "proj"
    shutil.copytree(FIXTURES / "editproj", fresh_root)
    for rel, text in texts.items():
        (fresh_root / rel).write_bytes(text.encode("utf-8"))
    fresh = Workspace(fresh_root, cache_dir=base / "cache-fresh")
    fresh.index(use_cache=False)
    assert_same_graph(ws.graph, fresh.graph)


@st.composite
def keystrokes(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    """Typing as an editor sends it: one character typed or deleted at a time, within a line (these edits
    keep a file's layout most of the time, so the graph takes the `LocalEdit` path)."""
    return [(draw(st.sampled_from(FILES)), draw(st.integers(0, 10_000)),
             draw(st.sampled_from(["", "", "q", "_", "(", ")", ".", " ", "x", "1", ":", "="])))
            for _ in range(draw(st.integers(1, 25)))]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=keystrokes())
def test_keystrokes_equal_a_fresh_build(tmp_path_factory, typed) -> None:
    base = tmp_path_factory.mktemp("typing")
    live_root = base / "live" / "proj"
    shutil.copytree(FIXTURES / "editproj", live_root)
    ws = Workspace(live_root, cache_dir=base / "cache-live")
    ws.index(use_cache=False)
    texts = {rel: (live_root / rel).read_text(encoding="utf-8") for rel in FILES}
    for rel in FILES:
        ws.open(str(live_root / rel), texts[rel])
    for rel, where, typed_text in typed:
        text = texts[rel]
        start = where % (len(text) + 1)
        if typed_text:
            edit = TextEdit(_pos(text, start), _pos(text, start), typed_text)
            text = text[:start] + typed_text + text[start:]
        else:  # a deletion of one character, never a line break
            if start >= len(text) or text[start] == "\n":
                continue
            edit = TextEdit(_pos(text, start), _pos(text, start + 1), "")
            text = text[:start] + text[start + 1:]
        texts[rel] = text
        ws.change(str(live_root / rel), [edit])
        # the lookup tables kept up by edits are those of the file's current facts
        index = ws._py.index(rel)
        fresh_index = PyFileIndex(rel, ws._facts[rel])
        for table in ("scopes", "stars", "globals", "self_attrs", "first_params", "returns"):
            assert getattr(index, table) == getattr(fresh_index, table), table
    for rel in FILES:
        ws.settle(str(live_root / rel))

    fresh_root = base / "fresh" / "proj"
    shutil.copytree(FIXTURES / "editproj", fresh_root)
    for rel, text in texts.items():
        (fresh_root / rel).write_bytes(text.encode("utf-8"))
    fresh = Workspace(fresh_root, cache_dir=base / "cache-fresh")
    fresh.index(use_cache=False)
    assert_same_graph(ws.graph, fresh.graph)


# Keystrokes that break the syntax of one statement: a class whose error lies inside one member is still split
# into its members (the `LocalEdit` path), one whose error reaches its header or leaves statements beside its
# body is one chunk.
BREAKING = st.sampled_from(["(", ")", "[", "'", '"""', ":", "=", "q", " ", "\n", "\n  ", "\nq", "@", "def ",
                            "class ", "return", "import", "lambda", "\\"])


def _facts_content(facts) -> tuple:
    return (facts.defs, facts.binds, facts.calls, facts.attrs, facts.all_names, facts.doc, facts.line_count,
            facts.derived["observable"])


@settings(max_examples=60, deadline=None)
@given(typed=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 2), BREAKING), min_size=1, max_size=12))
def test_chunked_extraction_equals_a_whole_file_one_through_syntax_errors(typed) -> None:
    """The facts assembled from chunks (reused and re-extracted) equal one query over the whole tree."""
    from analysis.document import Document
    from analysis.pyextract import extract_python

    text = (FIXTURES / "editproj" / "app" / "models.py").read_text(encoding="utf-8")
    doc = Document("python", text)
    doc.facts()
    for where, length, insert in typed:
        start = where % (len(text) + 1)
        end = min(len(text), start + length)
        doc.apply(TextEdit(_pos(text, start), _pos(text, end), insert))
        text = text[:start] + insert + text[end:]
        live = doc.facts()
        # the same tree: error recovery after an incremental reparse may differ from a fresh parse's
        assert _facts_content(live) == _facts_content(extract_python(doc.tree, bytes(doc.data)))


def test_a_syntax_error_inside_one_method_keeps_the_layout() -> None:
    """The class around a broken method stays split into its members, so the keystroke takes the local path:
    only the broken method's chunk is extracted again."""
    from analysis.document import Document
    from analysis.pyresolve import local_edit_from

    text = ("class A:\n    def f(self):\n        return g(1)\n\n    def h(self):\n        return 2\n\n"
            "class B(A):\n    pass\n")
    doc = Document("python", text)
    before = doc.facts()
    line = 2
    col = len("        return g(1")
    doc.apply(TextEdit(Pos(line, col), Pos(line, col), " +"))  # `g(1 +)`: an error inside `f` only
    after = doc.facts()
    assert doc.tree.root_node.has_error
    edit = local_edit_from(before, after)
    assert edit is not None
    assert edit.defs == ((1, 2),)  # the chunk of `f` alone
    assert [d[1] for d in after.defs] == ["A", "f", "h", "B"]


def test_a_base_bound_by_assignment_in_another_file_follows_that_files_edits(tmp_path: Path) -> None:
    files = {"a.py": "class Base:\n    pass\n", "b.py": "from a import Base\nAlias = Base\n",
             "c.py": "from b import Alias\n\n\nclass C(Alias):\n    pass\n"}
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    edge = ("c.py::C", "a.py::Base", "extends")
    assert ws.graph.has_edge(*edge)  # `Alias` stands for Base
    b = str(tmp_path / "b.py")
    ws.open(b, files["b.py"])
    ws.change(b, [TextEdit(Pos(1, 8), Pos(1, 12), "int")])  # Alias = int
    assert not ws.graph.has_edge(*edge)
    ws.change(b, [TextEdit(Pos(1, 8), Pos(1, 11), "Base")])
    assert ws.graph.has_edge(*edge)
    (tmp_path / "b.py").write_text("from a import Base\nAlias = int\n")
    ws.close(b)  # the buffer closes on a disk text where Alias is no class: the graph follows the disk
    fresh = Workspace(tmp_path, cache_dir=tmp_path / ".cache-fresh")
    fresh.index(use_cache=False)
    assert_same_graph(ws.graph, fresh.graph)
