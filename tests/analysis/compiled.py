"""Whether two programs compile to the same code but for one variable's name (renames are checked with it, in the
tests and in bench/highlights.py)."""
from __future__ import annotations

import dis
import types

from analysis.types import Span


def code_objects(code: types.CodeType) -> list[types.CodeType]:
    found = [code]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found.extend(code_objects(constant))
    return found


_VARIABLE_OPS = frozenset(dis.opname[op] for op in (*dis.haslocal, *dis.hasfree)) | {
    "LOAD_NAME", "STORE_NAME", "DELETE_NAME", "LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"}


def instructions(code: types.CodeType) -> list[tuple[str, object]]:
    """The code object's instructions with their arguments by value, nested code left aside.

    Left out or merged, because the compiler chooses them by name alone: it orders cell variables by name, so a
    rename may reorder the `MAKE_CELL`s and the `LOAD_CLOSURE`s that build a closure (left out; the cell and free
    variables are compared as sets instead), and it calls a method of a name the module imports with `PUSH_NULL`
    + `LOAD_ATTR` instead of `LOAD_METHOD` (3.11), even when a local variable shadows that name (merged)."""
    return [("LOAD_ATTR" if ins.opname == "LOAD_METHOD" else ins.opname, _value(ins.argval))
            for ins in dis.get_instructions(code) if ins.opname not in ("MAKE_CELL", "LOAD_CLOSURE", "PUSH_NULL")]


def _value(argument: object) -> object:
    """An instruction's argument as compared: names as they are, nested code as nothing, the rest by `repr` (a NaN
    constant is not equal to itself)."""
    if isinstance(argument, str) or argument is None:
        return argument
    return None if isinstance(argument, types.CodeType) else repr(argument)


def _same_instruction(was: tuple[str, object], now: tuple[str, object], old: str, new: str) -> bool:
    """Equal, or a variable access of `old` that is now of `new`, or a constant that spelled `old` (the `__name__`
    or `__qualname__` of a renamed local class or function, or a string that merely equals it)."""
    if was == now:
        return True
    (opname, argument), (now_opname, now_argument) = was, now
    if opname != now_opname or not isinstance(argument, str) or not isinstance(now_argument, str):
        return False
    if opname in _VARIABLE_OPS:
        return argument == old and now_argument == new
    return opname == "LOAD_CONST" and (argument == old and now_argument == new or
                                       argument.endswith("." + old) and now_argument == argument[: -len(old)] + new)


def _variables(code: types.CodeType, rename: dict[str, str]) -> list[set[str]]:
    return [{rename.get(name, name) for name in getattr(code, table)}
            for table in ("co_varnames", "co_cellvars", "co_freevars")]


def assert_same_program_but_the_name(before: str, after: str, old: str, new: str) -> None:
    """The compiler agrees: every code object is unchanged or the same with the variable `old` read as `new` (a
    comprehension's own variable of the same name may stay), and at least one changed."""
    changed = 0
    for was, now in zip(code_objects(compile(before, "m", "exec")), code_objects(compile(after, "m", "exec")),
                        strict=True):
        was_code, now_code = instructions(was), instructions(now)
        if was_code == now_code and _variables(was, {}) == _variables(now, {}):
            continue
        assert len(was_code) == len(now_code), "a different number of instructions"
        assert all(_same_instruction(a, b, old, new) for a, b in zip(was_code, now_code)), "different instructions"
        assert _variables(was, {old: new}) == _variables(now, {}), "different variables"
        changed += 1
    assert changed, "nothing changed"


def renamed(source: str, spans: list[Span], new_name: str) -> str:
    """`source` with each span (UTF-8 columns, one line each) replaced by `new_name`."""
    lines = source.split("\n")
    for span in sorted(spans, key=lambda span: span.start, reverse=True):
        line = lines[span.start.line].encode()
        lines[span.start.line] = (line[: span.start.col] + new_name.encode() + line[span.end.col:]).decode()
    return "\n".join(lines)
