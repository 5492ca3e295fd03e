"""Folding ranges from the parse tree: what folding a line hides, in Python and in brace languages."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from analysis import Workspace
from analysis.folding import Fold, folding_ranges, outermost
from analysis.languages import LANGUAGES, new_parser
from analysis.types import Pos, TextEdit


def folds_of(lang: str, text: str) -> list[tuple[int, int, str | None]]:
    src = text.encode("utf-8")
    tree = new_parser(lang).parse(src)
    return [(fold.start, fold.end, fold.kind) for fold in folding_ranges(tree.root_node, src, lang)]


PYTHON = '''\
"""Module docstring.

More.
"""
import os
# a comment between imports keeps them one run
from typing import (
    Any,
)

# region helpers
@decorator
def f(a: int,
      b: int) -> int:
    if a:
        return 1
    elif b:
        x = {
            "k": 1,
        }
        return 2
    else:
        return call(
            a,
        )
# endregion


def g(
    a,
):
    try:
        work()
    except E:
        recover()


class C(Base):
    x = 1

    @property
    def y(self):
        return 2
'''


def test_python_blocks_clauses_imports_and_regions() -> None:
    assert folds_of("python", PYTHON) == [
        (0, 3, None),  # the module docstring
        (4, 7, "imports"),  # `)` of the last import stays visible
        (10, 25, "region"),
        (12, 24, None),  # from `def`, not the decorator, to the end of the body: the signature's lines are hidden
        (14, 15, None),  # `if` stops before `elif`
        (16, 20, None),  # and `elif` before `else`
        (17, 18, None),  # the dict's `}` stays visible
        (21, 24, None),  # `else` reaches the call's `)`, which is deeper than `else`
        (22, 23, None),
        (28, 34, None),  # a signature laid out one parameter per line: folding `def g(` hides the body too
        (31, 32, None),
        (33, 34, None),
        (37, 42, None),  # `x = 1` and the blank line after it are no fold
        (41, 42, None),  # from `def`, the decorator's line is no fold
    ]


def test_brace_languages_keep_the_closing_brace_and_split_else_chains() -> None:
    javascript = (
        'import a from "./a";\nimport {\n  b,\n} from "./b";\n\nfunction f(x) {\n  if (x) {\n    return 1;\n'
        "  } else if (y) {\n    return 2;\n  } else {\n    return 3;\n  }\n}\n"
        "foo(function () {\n  bar();\n}, function () {\n  baz();\n});\n"
    )
    assert folds_of("javascript", javascript) == [
        (0, 2, "imports"), (5, 12, None), (6, 7, None), (8, 9, None), (10, 11, None), (14, 15, None), (16, 17, None),
    ]
    go = 'package main\n\nimport (\n\t"fmt"\n)\n\nfunc main() {\n\tif x {\n\t\tf()\n\t} else {\n\t\tg()\n\t}\n}\n'
    assert folds_of("go", go) == [(2, 3, "imports"), (6, 11, None), (7, 8, None), (9, 10, None)]


def test_comments_fold_as_runs_and_blocks_and_a_trailing_comment_does_not_join_a_run() -> None:
    rust = "use std::io;\nuse std::fs;\n\n/// doc\n/// more\nfn f() {}\nlet x = 1; // trailing\n// own line\n"
    assert folds_of("rust", rust) == [(0, 1, "imports"), (3, 4, "comment")]
    c = '#include <stdio.h>\n#include "x.h"\n\n/* block\n   comment */\nint main(void)\n{\n    return 0;\n}\n'
    assert folds_of("c", c) == [(0, 1, "imports"), (3, 4, "comment"), (6, 7, None)]


def test_unmatched_region_markers_are_ignored_and_regions_nest() -> None:
    text = "# endregion\n# region outer\nx = 1\n#region inner\ny = 2\n#endregion\nz = 3\n# endregion\n# region\n"
    assert [fold for fold in folds_of("python", text) if fold[2] == "region"] == [(1, 7, "region"), (3, 5, "region")]


def test_a_deep_nest_folds_without_recursion() -> None:
    text = "x = " + "(\n" * 3000 + "1" + ")" * 3000 + "\n"
    folds = folds_of("python", text)
    assert folds[0] == (0, 3000, None) and len(folds) <= 3001


CODE_PIECES = st.sampled_from([
    "def f(", "):", "class C:", "\n", "\n    ", "\n        ", "if x:", "else:", "elif y:", "{", "}", "(", ")", "[",
    "]", "# region", "# endregion", "# c", "/* c", "*/", "// c", '"""', "import os", "x = 1", "} else {", ",",
])


@given(pieces=st.lists(CODE_PIECES, max_size=60), lang=st.sampled_from([spec.name for spec in LANGUAGES]))
def test_folds_are_ordered_inside_the_file_one_per_line_and_never_cross(pieces: list[str], lang: str) -> None:
    text = "".join(pieces)
    folds = [Fold(*fold) for fold in folds_of(lang, text)]
    last_line = text.count("\n")
    starts = [fold.start for fold in folds]
    assert starts == sorted(set(starts))
    assert all(0 <= fold.start < fold.end <= last_line for fold in folds)
    assert all(fold.kind in (None, "comment", "imports", "region") for fold in folds)
    for index, outer in enumerate(folds):
        for inner in folds[index + 1:]:
            assert inner.start > outer.end or inner.end <= outer.end
    for limit in (0, 1, 3):
        kept = outermost(folds, limit)
        assert len(kept) == min(limit, len(folds)) and set(kept) <= set(folds)
        covered = [fold for fold in folds if any(other.start < fold.start <= other.end for other in folds)]
        if len(folds) - len(covered) <= limit:  # every top-level fold fits, so each one is kept
            assert set(folds) - set(covered) <= set(kept)


def test_an_open_document_folds_as_its_buffer_reads_not_its_file(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    return 1\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    assert ws.folding_ranges(str(path)) == [Fold(0, 1)]
    ws.open(str(path), path.read_text())
    ws.change(str(path), [TextEdit(Pos(0, 0), Pos(0, 0), "class C:\n    x = (\n        1,\n    )\n\n")])
    assert ws.folding_ranges(str(path)) == [Fold(0, 3), Fold(1, 2), Fold(5, 6)]
    assert ws.folding_ranges(str(tmp_path / "missing.py")) is None
