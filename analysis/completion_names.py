"""Names to complete at a cursor, from the code graph: what follows the AI suggestion in a completion menu.

Python: after `chain.`, the members of what the resolver says `chain` is (a module's names; a class's or an
instance's attributes and methods with its bases', `self.x` assignments included), or, for a standard-library
module outside the workspace (`os.path.`), its members as the server's own interpreter has them, when that module
is already imported in the server or compiled into the interpreter (completion runs no module's code, and reads
attributes statically); otherwise the names the cursor can see (its scope, the enclosing functions', the
module's, by the resolver's rules), then the builtins and the module's implicit names (`__name__`, ...). Other
languages: the workspace's definitions. Names are filtered by the word before the cursor (case-insensitive
prefix); names starting with `_` only when the word does. Nothing inside a string or a comment.
"""
from __future__ import annotations

import builtins
import importlib
import inspect
import re
import sys
import sysconfig
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from analysis.facts import D_COL, D_END_COL, D_END_LINE, D_LINE
from analysis.types import Pos

if TYPE_CHECKING:
    from analysis.pyresolve import PythonResolver

MAX_NAMES = 200
_BEFORE_CURSOR = re.compile(r"(?:(?P<chain>[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)\s*\.\s*)?(?P<word>\w*)$")
_NO_COMPLETION = frozenset({"comment", "string_content", "string_start", "string_end", "escape_sequence"})
_MODULE_NAMES = ("__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__")
_STDLIB = sysconfig.get_paths()["stdlib"]


def _kind(value: object) -> str:
    if inspect.ismodule(value):
        return "module"
    if isinstance(value, type):
        return "class"
    return "function" if callable(value) or inspect.ismethoddescriptor(value) else "variable"


_BUILTINS: dict[str, str] = {
    **{name: _kind(value) for name, value in vars(builtins).items() if not name.startswith("_")},
    **{name: "variable" for name in _MODULE_NAMES},
}


@dataclass(frozen=True)
class NameCandidate:
    name: str
    kind: str  # "class", "function", "module", "variable"
    origin: str  # "member", "scope", "builtin", "workspace": where it came from, nearest first


@dataclass(frozen=True)
class CursorText:
    """What is typed before the cursor: the word, and the dotted chain before a `.` in front of it."""

    word: str
    chain: list[str] | None


def cursor_text(root: Node, src: bytes, line_start: int, offset: int) -> CursorText | None:
    """None inside a string or a comment (no names to offer there)."""
    inside = root.descendant_for_byte_range(max(offset - 1, 0), offset)
    if inside is not None and inside.type in _NO_COMPLETION and inside.start_byte < offset:
        return None
    before = src[line_start:offset].decode("utf-8", "replace")
    found = _BEFORE_CURSOR.search(before)
    if found is None:
        return None
    chain = found.group("chain")
    return CursorText(found.group("word"), [part.strip() for part in chain.split(".")] if chain else None)


def typing_scope(defs: list[tuple], src: bytes, pos: Pos) -> int:
    """The def whose body the cursor is typing in (-1: module level), by indentation where the def has ended.

    The parse ends a def at its last statement, so a cursor at the end of that statement, or on a new line indented
    under the def, is past it; Python decides by indentation: the cursor is inside while its line and every
    non-blank line since the def's end are indented deeper than the `def`.
    """
    lines = src.split(b"\n", pos.line + 1)[: pos.line + 1]  # the lines up to the cursor's: no more are read

    def indent(line: int) -> int | None:
        text = lines[line] if line < len(lines) else b""
        stripped = text.lstrip(b" \t")
        return None if not stripped.strip() else len(text) - len(stripped)

    here = indent(pos.line)
    cursor_indent = pos.col if here is None or here > pos.col else here
    best = -1
    for i, d in enumerate(defs):
        start, end = (d[D_LINE], d[D_COL]), (d[D_END_LINE], d[D_END_COL])
        if start > (pos.line, pos.col):
            break
        if (pos.line, pos.col) <= end:
            best = i
        elif cursor_indent > d[D_COL] and all(
                (level := indent(line)) is None or level > d[D_COL] for line in range(d[D_END_LINE] + 1, pos.line)):
            best = i
    return best


def python_names(resolver: PythonResolver, rel: str, scope: int, pos: tuple[int, int],
                 typed: CursorText) -> list[NameCandidate]:
    if typed.chain is not None:
        targets, _ = resolver.resolve_chain(rel, scope, typed.chain, pos)
        members: dict[str, str] = {}
        for value in resolver.values(targets):
            for name, kind in resolver.member_names(value).items():
                members.setdefault(name, kind)
        if not members:
            members = _interpreter_members(resolver, rel, scope, typed.chain)
        return matching(typed.word, [NameCandidate(name, kind, "member") for name, kind in members.items()])
    visible = resolver.visible_names(rel, scope)
    candidates = [NameCandidate(name, kind, "scope") for name, kind in visible.items()]
    candidates.extend(NameCandidate(name, kind, "builtin") for name, kind in _BUILTINS.items() if name not in visible)
    return matching(typed.word, candidates)


def _interpreter_members(resolver: PythonResolver, rel: str, scope: int, chain: list[str]) -> dict[str, str]:
    """Members of what `chain` names when its head is an import of a standard-library module the server has
    already imported (`import os` ... `os.path.`): modules and classes are followed, nothing is called."""
    found = _interpreter_object(resolver, rel, scope, chain)
    if found is None:
        return {}
    return {member: _kind(inspect.getattr_static(found, member, None)) for member in dir(found)}


def _interpreter_object(resolver: PythonResolver, rel: str, scope: int, chain: list[str]) -> object | None:
    """The module or class `chain` names in the interpreter, when its head is bound by a non-relative import of a
    standard-library module (see `_stdlib_module`); each further link must be a module or a class."""
    imported = resolver.import_of(rel, scope, chain[0])
    if imported is None or imported[0]:  # not an import, or a relative one (the workspace's own)
        return None
    _level, module, name, head_only = imported
    found = _stdlib_module(module.split(".")[0] if head_only else module)
    for part in ([name] if name else []) + chain[1:]:
        found = _module_or_class(inspect.getattr_static(found, part, None)) if found is not None else None
    return found


def interpreter_description(resolver: PythonResolver, rel: str, scope: int, typed: CursorText,
                            name: str) -> tuple[str, str] | None:
    """(signature, docstring) of a builtin or of a member `_interpreter_members` offers, from the interpreter."""
    if typed.chain is None:
        found = vars(builtins).get(name) if name in _BUILTINS else None
    else:
        owner = _interpreter_object(resolver, rel, scope, typed.chain)
        found = inspect.getattr_static(owner, name, None) if owner is not None else None
    if found is None:
        return None
    try:
        signature = f"{name}{inspect.signature(found)}" if callable(found) else name
    except (TypeError, ValueError):  # builtins without text signatures
        signature = name
    return signature, inspect.getdoc(found) or ""


def _stdlib_module(dotted: str) -> object | None:
    """A standard-library module the server has imported, or one compiled into the interpreter (importing those
    runs no Python code)."""
    module = sys.modules.get(dotted)
    if module is None and dotted in sys.builtin_module_names:
        module = importlib.import_module(dotted)
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) or ""
    builtin = origin in ("built-in", "frozen")
    return module if builtin or (origin.startswith(_STDLIB) and "site-packages" not in origin) else None


def _module_or_class(value: object) -> object | None:
    return value if inspect.ismodule(value) or isinstance(value, type) else None


def matching(word: str, candidates: list[NameCandidate]) -> list[NameCandidate]:
    """The candidates that start with `word` (case-insensitive), in the given order, at most MAX_NAMES."""
    lowered = word.lower()
    private = word.startswith("_")
    found = [candidate for candidate in candidates if candidate.name.lower().startswith(lowered)
             and (private or not candidate.name.startswith("_"))]
    return found[:MAX_NAMES]
