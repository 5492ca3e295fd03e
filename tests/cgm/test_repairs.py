"""Repair templates: each template edit on typical lines, and every synthetic bug's inverse among the buggy
line's repairs (the reader can only pick what the templates offer)."""
from __future__ import annotations

import pytest

from models.cgm.bugs import find_bugs
from models.cgm.repairs import line_repairs, scope_names


@pytest.mark.parametrize("line, expected", [
    ("    if i < n:", ["    if i > n:", "    if i <= n:", "    if not i < n:"]),
    ("    return x is None", ["    return x is not None", "    return not x is None"]),
    ("    if key not in seen:", ["    if key in seen:", "    if not key not in seen:"]),
    ("    if not ok:", ["    if ok:"]),
    ("    return items[1:]", ["    return items[2:]", "    return items[0:]", "    return not items[1:]"]),
    ("    total = pow(base, exp)", ["    total = not pow(base, exp)", "    total = pow(not base, exp)",
                                  "    total = pow(base, not exp)", "    total = pow(exp, base)"]),
])  # fmt: skip
def test_template_edits(line: str, expected: list[str]) -> None:
    assert sorted(line_repairs(line)) == sorted(expected)


def test_names_are_replaced_by_other_names_of_the_function() -> None:
    region = ["def f(a, b):", "    c = a + b", "    return c"]
    assert scope_names(region) == ["a", "b", "c"]
    assert set(line_repairs("    return c", scope_names(region))) >= {"    return a", "    return b"}
    assert "    return c.a" not in line_repairs("    return c.b", ["a", "b", "c"])  # attributes stay


def test_strings_comments_and_unreadable_lines_give_no_edits() -> None:
    assert line_repairs('    s = "a < b"  # 1 < 2') == []
    assert line_repairs('    """docstring that never ends') == []
    assert line_repairs("    ok = not") == []  # `not` as the last token: nothing to drop it from


SOURCE = '''
def window(items, size, start=0):
    out = []
    for i in range(start, len(items) - size + 1):
        if i % size == 0 and not out:
            out.append(items[i:i + size])
        elif items[i] is not None:
            out.append(sorted(items, size))
    return out
'''


def test_every_synthetic_bug_is_undone_by_a_template() -> None:
    bugs = find_bugs(SOURCE)
    assert {b.kind for b in bugs} == {"swapped_comparison", "off_by_one", "wrong_variable", "dropped_not",
                                      "swapped_arguments"}
    for bug in bugs:
        lines = bug.inject(SOURCE).split("\n")
        names = scope_names(lines[bug.start_line - 1:bug.end_line])
        assert bug.original in line_repairs(bug.buggy, names), bug
