"""Synthetic bugs: each mutation kind is found, changes one line, and its inverse restores the source exactly."""
from __future__ import annotations

import ast
import json
import random
from pathlib import Path

from models.cgm.bugs import KINDS, find_bugs, issue_text, still_parses

SOURCE = '''"""A module."""
import os


def clamp(values, low, high):
    """Keep values inside [low, high]."""
    out = []
    for i in range(len(values) - 1):
        if values[i] < low:
            out.append(low)
        elif not values[i] <= high:
            out.append(high)
        else:
            out.append(max(values[i], low))
    return os.path.join(low, high), out


class Box:
    def pick(self, items, key):
        if key in items:
            return items[key + 1]
        return None
'''


def test_every_kind_is_found_and_each_fix_restores_the_original() -> None:
    bugs = find_bugs(SOURCE)
    assert {b.kind for b in bugs} == set(KINDS)
    for bug in bugs:
        buggy = bug.inject(SOURCE)
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.split("\n"), buggy.split("\n"))) if a != b]
        assert changed == [bug.line - 1]
        assert ast.dump(ast.parse(buggy)) != ast.dump(ast.parse(SOURCE))
        assert bug.fix(buggy) == SOURCE
        assert bug.start_line < bug.line <= bug.end_line


def test_mutations_are_the_documented_ones() -> None:
    found = {(b.kind, b.buggy.strip()) for b in find_bugs(SOURCE)}
    assert ("swapped_comparison", "if values[i] > low:") in found
    assert ("off_by_one", "if values[i] <= low:") in found
    assert ("off_by_one", "for i in range(len(values) - 2):") in found or (
        "off_by_one", "for i in range(len(values) - 0):") in found
    assert ("dropped_not", "elif values[i] <= high:") in found
    assert ("swapped_arguments", "return os.path.join(high, low), out") in found
    assert ("swapped_comparison", "if key not in items:") in found
    assert any(kind == "wrong_variable" and "out.append(" in line for kind, line in found)


def test_the_header_docstring_and_long_functions_are_left_alone() -> None:
    bugs = find_bugs(SOURCE)
    assert all(b.line not in (5, 6, 19) for b in bugs)  # `def` lines and the docstring
    assert find_bugs(SOURCE, max_function_lines=5) == [b for b in bugs if b.function == "Box.pick"]


def test_unparsable_or_crlf_sources_give_no_bugs() -> None:
    assert find_bugs("def f(:\n    pass\n") == []
    assert find_bugs(SOURCE.replace("\n", "\r\n")) == []


def test_issue_text_names_the_function_not_the_fix_and_is_deterministic() -> None:
    for bug in find_bugs(SOURCE):
        text = issue_text(bug, "pkg/mod.py", random.Random(3))
        assert bug.function in text
        assert bug.original.strip() not in text
        assert text == issue_text(bug, "pkg/mod.py", random.Random(3))


def test_fix_restores_corpus_files(corpus: Path) -> None:
    records = [json.loads(line) for line in (corpus / "heldout.jsonl").read_text().splitlines()[:15]]
    checked = 0
    for record in records:
        for bug in find_bugs(record["text"])[:40]:
            assert bug.fix(bug.inject(record["text"])) == record["text"]
            checked += 1
    assert checked > 50


def test_unverified_candidates_checked_one_by_one_are_the_verified_bugs() -> None:
    broken = SOURCE + "\n\ndef g(a, b):\n    return f(a, b) if a else (b,\n    a)\n"
    for source in (SOURCE, broken):
        candidates = find_bugs(source, verify=False)
        assert [b for b in candidates if still_parses(b, source)] == find_bugs(source)
