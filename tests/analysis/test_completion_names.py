"""The graph's names for the completion menu: members through the resolver, names in scope, nothing in strings."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace
from analysis.types import Pos, TextEdit

APP = '''\
import pkg.base as pb
from pkg.base import Base

LIMIT = 3
_hidden = 0


class Child(Base):
    size = 2

    def run(self, arg):
        local = 1
        return self.
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "base.py").write_text(
        "class Base:\n    kind = 1\n\n    def shared(self):\n        self.cache = {}\n\n\ndef helper():\n    pass\n"
    )
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "web.js").write_text("function renderPage() {}\nfunction renderRow() {}\nren\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    return ws


def names(ws: Workspace, path: Path, pos: Pos) -> list[tuple[str, str, str]]:
    return [(c.name, c.kind, c.origin) for c in ws.completion_names(str(path), pos)]


def test_members_of_self_include_the_bases_and_self_assignments_in_another_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    end = Pos(12, len("        return self."))
    assert names(workspace, tmp_path / "app.py", end) == [
        ("size", "variable", "member"), ("run", "function", "member"),
        ("kind", "variable", "member"), ("shared", "function", "member"), ("cache", "variable", "member"),
    ]


def test_members_of_an_imported_module_and_names_in_scope_nearest_first(workspace: Workspace, tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    workspace.open(str(app), APP)
    workspace.change(str(app), [TextEdit(Pos(12, 8), Pos(12, 20), "return pb.")])
    assert names(workspace, app, Pos(12, 18)) == [("Base", "class", "member"), ("helper", "function", "member")]
    workspace.change(str(app), [TextEdit(Pos(12, 8), Pos(12, 18), "l")])  # `l` at the end of the method
    found = names(workspace, app, Pos(12, 9))
    assert found[:2] == [("local", "variable", "scope"), ("LIMIT", "variable", "scope")]
    assert ("len", "function", "builtin") in found and "size" not in {name for name, _, _ in found}  # class body


def test_a_new_indented_line_is_inside_the_function_and_private_names_need_an_underscore(
    workspace: Workspace, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    workspace.open(str(app), APP + "\n        \n")
    found = [name for name, _, _ in names(workspace, app, Pos(14, 8))]
    assert found[:3] == ["self", "arg", "local"] and "_hidden" not in found
    workspace.change(str(app), [TextEdit(Pos(14, 8), Pos(14, 8), "_")])
    assert [name for name, _, _ in names(workspace, app, Pos(14, 9))][:1] == ["_hidden"]


def test_nothing_in_strings_or_comments_and_workspace_symbols_elsewhere(workspace: Workspace, tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    workspace.open(str(app), APP + "x = 'LI'\ny = 1  # LI\n")
    assert names(workspace, app, Pos(13, 7)) == [] and names(workspace, app, Pos(14, 11)) == []
    assert names(workspace, tmp_path / "web.js", Pos(2, 3)) == [  # as workspace/symbol ranks them: shorter first
        ("renderRow", "function", "workspace"), ("renderPage", "function", "workspace"),
    ]


def test_standard_library_members_come_from_the_interpreter_without_importing_anything(tmp_path: Path) -> None:
    """`os` and `gc` are not in this workspace: `os` is imported in any Python process, `gc` is compiled in."""
    (tmp_path / "use.py").write_text("import os.path as osp\nimport gc\nosp.jo\ngc.col\nimport antigravity\n"
                                     "antigravity.\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    use = tmp_path / "use.py"
    assert names(ws, use, Pos(2, 6)) == [("join", "function", "member")]
    assert names(ws, use, Pos(3, 6)) == [("collect", "function", "member")]
    assert names(ws, use, Pos(5, 12)) == []  # not imported by the server: completion does not import it


def test_an_offered_name_is_described_by_its_definition_or_by_the_interpreter(
    workspace: Workspace, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    workspace.open(str(app), APP + "\nimport os.path\nos.path.jo\nle\n")
    at_self = Pos(12, len("        return self."))
    assert workspace.describe_name(str(app), at_self, "shared") == ("def shared(self):", "")
    assert workspace.describe_name(str(app), at_self, "Child") is None  # not a member of `self`
    signature, docstring = workspace.describe_name(str(app), Pos(15, 10), "join")
    assert signature.startswith("join(") and "pathname" in docstring  # os.path, from the interpreter
    assert workspace.describe_name(str(app), Pos(16, 2), "len")[0] == "len(obj, /)"
