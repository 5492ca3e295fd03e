"""Renaming a Python local variable: every occurrence, by the scope model of analysis/highlights.py.

Only names whose every use is provably in this one function are offered: a variable local to a `def`, a lambda or
a comprehension (and the `nonlocal` declarations that share it). Refused, each with the reason shown to the user:
- module and class level names (other files may import them; `self.x` may be anywhere), attributes;
- parameters of a `def` (callers may pass them by keyword, in other files), names an import binds (the import
  names what it imports);
- functions that read variables by name (`locals()`, `vars()`, `eval`, `exec`): the text would not show the use;
- a new name that is not an identifier, is a keyword, or already occurs in the function: the rename would then
  capture or shadow another variable and change what the code does.
"""
from __future__ import annotations

import keyword

from analysis.highlights import NameScopes, NameUse, Scope, as_occurrences, same_variable
from analysis.types import Pos, Span


class RenameRefused(Exception):
    """Why the name at a position cannot be renamed safely (a sentence for the user)."""


def rename_target(model: NameScopes, pos: Pos) -> Span:
    """The span of the local variable's name at `pos`; raises RenameRefused."""
    name, _ = _local_variable(model, pos)
    return Span(Pos(*name.node.start_point), Pos(*name.node.end_point))


def rename_spans(model: NameScopes, pos: Pos, new_name: str) -> list[Span]:
    """Every span to replace with `new_name`, in document order; raises RenameRefused."""
    name, home = _local_variable(model, pos)
    old_name = name.node.text.decode("utf-8", "replace")
    if not new_name.isidentifier() or keyword.iskeyword(new_name):
        raise RenameRefused(f"`{new_name}` is not a Python name")
    if new_name == old_name:
        return []
    assert home.node is not None  # a local scope is a definition or a comprehension
    start, end = home.node.start_byte, home.node.end_byte
    encoded = new_name.encode("utf-8")
    if new_name in home.bindings or any(use.node.text == encoded and start <= use.node.start_byte < end
                                        for use in model.names):
        raise RenameRefused(f"`{new_name}` is already used in this function: renaming `{old_name}` to it would "
                            "change which variable some code reads")
    return [occurrence.span for occurrence in as_occurrences(same_variable(model, name))]


def _local_variable(model: NameScopes, pos: Pos) -> tuple[NameUse, Scope]:
    name = model.name_at(pos)
    if name is None:
        raise RenameRefused("only names of local variables can be renamed here (attributes need every use of them "
                            "across the workspace, which takes types)")
    text = name.node.text.decode("utf-8", "replace")
    home = model.resolve(text, name.scope)
    if home.kind in ("module", "class"):
        raise RenameRefused(f"`{text}` is defined at {home.kind} level, so other code may use it; only local "
                            "variables can be renamed here")
    if text in home.parameters:
        raise RenameRefused(f"`{text}` is a parameter: callers may pass it by keyword")
    if text in home.imported:
        raise RenameRefused(f"`{text}` is bound by an import, which names the module or its member: rename it with "
                            "`import ... as`")
    if home.by_name:
        raise RenameRefused("this function reads variables by name (locals(), vars(), eval or exec)")
    return name, home
