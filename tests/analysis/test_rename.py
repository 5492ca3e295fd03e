"""Renaming Python locals: every occurrence and nothing else (checked against the compiler), refusals with reasons."""
from __future__ import annotations

import pytest

from analysis.highlights import NameScopes
from analysis.languages import new_parser
from analysis.rename import RenameRefused, rename_spans, rename_target
from analysis.types import Pos, Span
from tests.analysis.compiled import assert_same_program_but_the_name, renamed

SOURCE = '''\
import os
total = 0

def tally(items, *, key=None):
    count = 0
    seen = {count for count in items}
    def bump():
        nonlocal count
        count += len(seen)
    for item in items:
        count = count + (key or len)(item)
        bump()
    return count, [count * k for k in seen if (last := k)], last

class Box:
    size = 1
    def grow(self):
        extra = self.size
        return lambda n: n + extra

def dynamic():
    hidden = 1
    return locals()
'''
LINES = SOURCE.split("\n")


def scopes(source: str = SOURCE) -> NameScopes:
    return NameScopes(new_parser("python").parse(source.encode()).root_node)


def position(line: int, needle: str, nth: int = 0) -> Pos:
    col = -1
    for _ in range(nth + 1):
        col = LINES[line].index(needle, col + 1)
    return Pos(line, col)


@pytest.mark.parametrize(("line", "needle", "nth"), [
    (4, "count", 0),  # a local shared with a nested function through `nonlocal`
    (5, "count", 1),  # the set comprehension's own `count`, not the function's
    (9, "item", 0),
    (12, "k", 0),  # a list comprehension variable
    (12, "last", 0),  # a walrus target: it binds in the function
    (17, "extra", 0),  # a closure variable read by a lambda
    (18, "n", 1),  # a lambda's parameter
])
def test_a_rename_changes_that_variable_and_nothing_else(line: int, needle: str, nth: int) -> None:
    model, pos = scopes(), position(line, needle, nth)
    assert rename_target(model, pos) == Span(pos, Pos(pos.line, pos.col + len(needle)))
    spans = rename_spans(model, pos, "renamed")
    assert len(spans) >= 2
    assert_same_program_but_the_name(SOURCE, renamed(SOURCE, spans, "renamed"), needle, "renamed")


@pytest.mark.parametrize(("line", "needle", "reason"), [
    (1, "total", "module level"),
    (15, "size", "class level"),
    (17, "size", "attributes"),  # `self.size`
    (3, "items", "parameter"),
    (21, "hidden", "by name"),
    (3, "def", "only names"),
])
def test_names_other_code_may_see_are_refused_with_a_reason(line: int, needle: str, reason: str) -> None:
    with pytest.raises(RenameRefused, match=reason):
        rename_target(scopes(), position(line, needle))


@pytest.mark.parametrize(("new_name", "reason"), [
    ("2x", "not a Python name"), ("class", "not a Python name"),
    ("seen", "already used"),  # another local of the function
    ("len", "already used"),  # a builtin the function calls: it would be shadowed
    ("bump", "already used"),
])
def test_a_new_name_that_would_change_the_program_is_refused(new_name: str, reason: str) -> None:
    with pytest.raises(RenameRefused, match=reason):
        rename_spans(scopes(), position(9, "item"), new_name)


def test_renaming_to_the_same_name_changes_nothing() -> None:
    assert rename_spans(scopes(), position(9, "item"), "item") == []
