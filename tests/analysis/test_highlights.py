"""Occurrences of a Python name by Python's scope rules, and of `self.`/`cls.`/`Class.` attributes."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from analysis import Workspace
from analysis.highlights import NameScopes, occurrences
from analysis.languages import new_parser
from analysis.types import Pos, TextEdit

SOURCE = '''\
import os
x = 1
def f(a, *args: int, b=x, **kw):
    global x
    x = a + len(args)
    return [x for x in range(a) if (y := x)], y

class C:
    x = 2
    y = [x for _ in range(3)]
    def m(self):
        self.x += 1
        return self.x, x, os.path, C.x

    @staticmethod
    def s(self):
        return self.x

def g():
    x = 0
    def h():
        nonlocal x
        x += 1
    return x
'''
LINES = SOURCE.split("\n")
SCOPES = NameScopes(new_parser("python").parse(SOURCE.encode()).root_node)


def at(line: int, needle: str, nth: int = 0) -> list[tuple[int, int, str]] | None:
    col = -1
    for _ in range(nth + 1):
        col = LINES[line].index(needle, col + 1)
    found = occurrences(SCOPES, Pos(line, col))
    return None if found is None else [(o.span.start.line, o.span.start.col, "W" if o.write else "R") for o in found]


MODULE_X = [(1, 0, "W"), (2, 23, "R"), (3, 11, "R"), (4, 4, "W"), (9, 9, "R"), (12, 23, "R")]


def test_module_names_are_one_variable_wherever_python_resolves_them_to_the_module() -> None:
    # the default `b=x`, `global x` and its assignment, the class-body comprehension (which cannot see the
    # class's `x`) and the bare `x` in a method
    assert at(1, "x") == at(3, "x") == at(2, "x") == at(12, "x", 1) == MODULE_X


def test_comprehension_and_walrus_scopes() -> None:
    assert at(5, "x") == [(5, 12, "R"), (5, 18, "W"), (5, 41, "R")]  # the comprehension's own `x`
    assert at(5, "y") == [(5, 36, "W"), (5, 46, "R")]  # `y :=` binds in the function around the comprehension


def test_nonlocal_joins_the_enclosing_functions_variable() -> None:
    assert at(22, "x") == at(19, "x") == [(19, 4, "W"), (21, 17, "R"), (22, 8, "W"), (23, 11, "R")]


def test_a_class_attribute_is_one_with_self_cls_and_class_name_uses_but_not_a_staticmethods_argument() -> None:
    assert at(8, "x") == at(11, "x") == at(12, "x", 2) == [(8, 4, "W"), (11, 13, "W"), (12, 20, "R"), (12, 37, "R")]
    assert at(16, "x") == [(16, 20, "R")]


def test_parameters_and_imports() -> None:
    assert at(2, "args") == [(2, 10, "W"), (4, 16, "R")]
    assert at(0, "os") == at(12, "os") == [(0, 7, "W"), (12, 26, "R")]
    assert at(12, "path") == [(12, 29, "R")]  # an attribute of another object: only itself, without types


def test_no_answer_off_a_name() -> None:
    assert at(2, "def") is None and at(1, "=") is None


@given(text=st.lists(st.sampled_from(["x", "y", " = ", "(", ")", ":", "\n", "\n    ", "def f", "class C",
                                      "lambda x: ", "[x for x in y]", "global x", "nonlocal y", "self.x", ".",
                                      "import x", " as ", "del ", "(y := 1)", ","]), max_size=40).map("".join),
       line=st.integers(0, 8), col=st.integers(0, 40))
def test_the_answer_holds_the_name_under_the_cursor_and_only_that_name(text: str, line: int, col: int) -> None:
    """On any text (broken code too): every occurrence spells the name at the cursor, the cursor's own among them."""
    src = text.encode()
    found = occurrences(NameScopes(new_parser("python").parse(src).root_node), Pos(line, col))
    if found is None:
        return
    lines = src.split(b"\n")
    spelled = {lines[o.span.start.line][o.span.start.col:o.span.end.col] for o in found}
    assert len(spelled) == 1 and found == sorted(found, key=lambda o: (o.span.start, o.span.end))
    assert any(o.span.start <= Pos(line, col) <= o.span.end for o in found)


def test_an_open_buffer_is_answered_from_its_text_and_scopes_follow_edits(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("def f(n):\n    return n\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    assert [o.span.start for o in ws.highlights(str(path), Pos(1, 11))] == [Pos(0, 6), Pos(1, 11)]
    ws.open(str(path), path.read_text())
    ws.change(str(path), [TextEdit(Pos(1, 4), Pos(1, 4), "n = 2\n    ")])
    assert [(o.span.start, o.write) for o in ws.highlights(str(path), Pos(2, 11))] == [
        (Pos(0, 6), True), (Pos(1, 4), True), (Pos(2, 11), False)]
    (tmp_path / "app.js").write_text("let n = 1;\n")
    ws.index(use_cache=False)
    assert ws.highlights(str(tmp_path / "app.js"), Pos(0, 4)) is None  # Python only


def test_declaration_is_the_first_binding_in_the_file_not_the_imported_definition(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def helper():\n    return 1\n")
    (tmp_path / "app.py").write_text("from lib import helper\n\ndef run(n):\n    total = n\n    total += helper()\n"
                                     "    return len(str(total)).real\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    app = str(tmp_path / "app.py")
    assert [loc.span.start for loc in ws.declaration(app, Pos(4, 14))] == [Pos(0, 16)]  # the import, not lib.py
    assert [loc.span.start for loc in ws.definition(app, Pos(4, 14))] == [Pos(0, 4)]  # lib.py's def
    assert [loc.span.start for loc in ws.declaration(app, Pos(5, 20))] == [Pos(3, 4)]  # the first assignment
    assert [loc.span.start for loc in ws.declaration(app, Pos(3, 12))] == [Pos(2, 8)]  # a parameter
    assert ws.declaration(app, Pos(5, 11)) == [] and ws.declaration(app, Pos(5, 29)) == []  # a builtin, an attribute
