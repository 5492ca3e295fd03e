"""Synthetic one-line bugs in Python functions, and issue texts that describe their symptoms.

`find_bugs` lists every place in a module where one of five mutations applies inside a short function
(<= `MAX_FUNCTION_LINES` lines, its body only: never the `def` line, decorators or the docstring):

- swapped_comparison: `==`<->`!=`, `<`<->`>`, `<=`<->`>=`, `is`<->`is not`, `in`<->`not in`
- off_by_one: `<`<->`<=`, `>`<->`>=`, or an integer literal in an index, slice, arithmetic, comparison or
  `range(...)` call moved by +1 / -1
- wrong_variable: a name read in the function replaced by another parameter or local of the same function
- dropped_not: `not x` -> `x`
- swapped_arguments: two adjacent positional arguments of a call exchanged

Nodes are found with `ast`; the edit is made on the source text of that one line (ast columns are UTF-8 byte
offsets), so formatting is kept and the bug's inverse (the buggy line -> the original line) restores the source
exactly. A mutation is kept only if the function still parses (its AST then always differs: see
`_segment_parses`).
"""
from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass

KINDS = ("swapped_comparison", "off_by_one", "wrong_variable", "dropped_not", "swapped_arguments")
MAX_FUNCTION_LINES = 40
MAX_SUBJECT_CHARS = 40

_OP_TEXT = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
_SWAPPED = {"==": "!=", "!=": "==", "<": ">", ">": "<", "<=": ">=", ">=": "<=",
            "is": "is not", "is not": "is", "in": "not in", "not in": "in"}  # fmt: skip
_OFF_BY_ONE = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_SYMMETRIC_CALLS = frozenset({"max", "min", "print", "hash", "id", "set", "frozenset"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True)
class Bug:
    kind: str
    function: str  # qualified name inside the module: `Class.method`
    start_line: int  # the function's span, 1-based, inclusive (its `def` line to its last line)
    end_line: int
    line: int  # the 1-based line the bug changes
    original: str  # that line before (without its line end)
    buggy: str  # and after
    subject: str  # what the issue may mention: the expression, name or callee involved
    detail: str = ""  # kind-specific: the name that was replaced (wrong_variable), the operators, ...

    def inject(self, source: str) -> str:
        """`source` with the bug in it (`source` must be the module the bug was found in)."""
        return _replace_line(source, self.line, self.original, self.buggy)

    def fix(self, buggy_source: str) -> str:
        """The inverse edit: the original module back from `inject`'s result."""
        return _replace_line(buggy_source, self.line, self.buggy, self.original)


def _replace_line(source: str, line: int, old: str, new: str) -> str:
    lines = source.split("\n")
    if lines[line - 1] != old:
        raise ValueError(f"line {line} is not {old!r}")
    lines[line - 1] = new
    return "\n".join(lines)


def find_bugs(source: str, max_function_lines: int = MAX_FUNCTION_LINES, verify: bool = True) -> list[Bug]:
    """Every single-line mutation of `source`'s short functions, in source order (deterministic). With
    `verify=False` the candidates are not parsed (cheap; check the ones you use with `still_parses`)."""
    if "\r" in source:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    lines = source.split("\n")
    out: list[Bug] = []
    for function, qualname in _functions(tree):
        if function.end_lineno is None or function.end_lineno - function.lineno + 1 > max_function_lines:
            continue
        if verify and not _segment_parses(lines, function.lineno, function.end_lineno):
            continue
        out.extend(b for b in _function_bugs(function, qualname, lines) if not verify or _mutation_parses(b, lines))
    return out


def still_parses(bug: Bug, source: str) -> bool:
    """Whether the function `bug` was found in still parses with the bug in it."""
    return _mutation_parses(bug, source.split("\n"))


def _mutation_parses(bug: Bug, lines: list[str]) -> bool:
    mutated = list(lines)
    mutated[bug.line - 1] = bug.buggy
    return _segment_parses(mutated, bug.start_line, bug.end_line)


def _segment_parses(lines: list[str], start: int, end: int) -> bool:
    """Whether lines `start..end` (a whole function) parse on their own once the `def` line's indentation is
    removed (checking the function, not the whole module, keeps this linear in the module's size). Every
    mutation replaces a token by a different one, so a mutation that parses always changes the AST."""
    segment = lines[start - 1 : end]
    indent = segment[0][: len(segment[0]) - len(segment[0].lstrip())]
    if any(line.strip() and not line.startswith(indent) for line in segment):
        return False
    try:
        compile("\n".join(line[len(indent):] for line in segment), "<function>", "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return False
    return True


def _functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    out: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((child, prefix + child.name))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """The nodes of the function's body, not descending into nested functions, classes or lambdas, without
    its docstring."""
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    out: list[ast.AST] = []
    todo: list[ast.AST] = body[::-1]
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, _SCOPES):
            todo.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _scope_names(function: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST]) -> list[str]:
    """Parameters and names assigned in the function itself, in order of appearance."""
    args = function.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    stored = [n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return [name for name in dict.fromkeys([*params, *stored]) if name not in ("self", "cls", "_")]


class _Line:
    """One source line with byte-offset slicing (ast columns are UTF-8 byte offsets)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")

    def get(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def replaced(self, start: int, end: int, new: str) -> str:
        return (self.data[:start] + new.encode("utf-8") + self.data[end:]).decode("utf-8")


def _one_line(node: ast.AST) -> bool:
    return getattr(node, "lineno", None) is not None and node.lineno == node.end_lineno


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUBJECT_CHARS else text[: MAX_SUBJECT_CHARS - 3] + "..."


def _function_bugs(function: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, lines: list[str]) -> list[Bug]:
    nodes = _own_nodes(function)
    names = _scope_names(function, nodes)
    parents = {id(child): node for node in nodes for child in ast.iter_child_nodes(node)}
    body_start = function.body[0].lineno if function.body else function.lineno
    span = (function.lineno, function.end_lineno or function.lineno)
    out: list[Bug] = []

    def add(kind: str, node: ast.AST, start: int, end: int, new: str, subject: str, detail: str = "") -> None:
        number = node.lineno
        if number <= function.lineno or number < body_start:
            return
        line = _Line(lines[number - 1])
        buggy = line.replaced(start, end, new)
        if buggy != line.text:
            out.append(Bug(kind, qualname, *span, number, line.text, buggy, _short(subject), detail))

    for node in nodes:
        if not _one_line(node):
            continue
        line = _Line(lines[node.lineno - 1])
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            _compare_bugs(node, line, add)
        elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(
            parents.get(id(node)), ast.UnaryOp
        ):
            _constant_bugs(node, parents.get(id(node)), line, add)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
            others = [n for n in names if n != node.id]
            if others:
                other = others[(node.lineno + node.col_offset) % len(others)]
                add("wrong_variable", node, node.col_offset, node.end_col_offset, other, other, node.id)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            prefix = line.get(node.col_offset, node.operand.col_offset)
            match = re.match(r"not\s*", prefix)
            if match is not None:
                add("dropped_not", node, node.col_offset, node.operand.col_offset, prefix[match.end():],
                    line.get(node.operand.col_offset, node.operand.end_col_offset))  # fmt: skip
        elif isinstance(node, ast.Call):
            _call_bugs(node, line, add)
    return out


def _compare_bugs(node: ast.Compare, line: _Line, add) -> None:  # noqa: ANN001 (the local `add` above)
    op = _OP_TEXT[type(node.ops[0])]
    start, end = node.left.end_col_offset, node.comparators[0].col_offset
    gap = line.get(start, end)
    pattern = r"\s+".join(re.escape(word) for word in op.split())
    if op[0].isalpha():
        pattern = rf"(?<![\w]){pattern}(?![\w])"
    found = list(re.finditer(pattern, gap))
    if len(found) != 1:
        return
    match = found[0]
    lo, hi = start + len(gap[: match.start()].encode()), start + len(gap[: match.end()].encode())
    subject = line.get(node.left.col_offset, node.left.end_col_offset)
    add("swapped_comparison", node, lo, hi, _SWAPPED[op], subject, op)
    if op in _OFF_BY_ONE:
        add("off_by_one", node, lo, hi, _OFF_BY_ONE[op], subject, op)


def _constant_bugs(node: ast.Constant, parent: ast.AST | None, line: _Line, add) -> None:  # noqa: ANN001
    if line.get(node.col_offset, node.end_col_offset) != str(node.value) or node.value > 10_000:
        return
    in_range = isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "range"
    if not (in_range or isinstance(parent, (ast.Subscript, ast.Slice, ast.BinOp, ast.Compare))):
        return
    new = node.value + 1 if node.value == 0 or (node.lineno + node.col_offset) % 2 else node.value - 1
    subject = line.get(parent.col_offset, parent.end_col_offset) if _one_line(parent) else str(node.value)
    add("off_by_one", node, node.col_offset, node.end_col_offset, str(new), subject, str(node.value))


def _call_bugs(node: ast.Call, line: _Line, add) -> None:  # noqa: ANN001
    callee = line.get(node.func.col_offset, node.func.end_col_offset)
    args = node.args
    if len(args) < 2 or callee in _SYMMETRIC_CALLS or any(isinstance(a, ast.Starred) for a in args):
        return
    for first, second in zip(args, args[1:]):
        a = line.get(first.col_offset, first.end_col_offset)
        b = line.get(second.col_offset, second.end_col_offset)
        if a != b:
            between = line.get(first.end_col_offset, second.col_offset)
            add("swapped_arguments", node, first.col_offset, second.end_col_offset, b + between + a, callee,
                f"{a}, {b}")  # fmt: skip
            return


# ---- issue texts ----------------------------------------------------------------------------------------------

_TITLES = (
    "`{fn}` returns wrong results",
    "Bug in `{fn}`",
    "`{fn}` misbehaves",
    "Unexpected behaviour of `{fn}`",
    "{fn}() gives an incorrect result",
    "Regression in `{fn}`",
)
_WHERE = ("", "", " (in `{path}`)", " in {module}")
_SYMPTOMS = {
    "swapped_comparison": (
        "The check on `{subject}` in `{fn}` behaves as if it were inverted: the branch meant for one case runs "
        "for the other.",
        "`{fn}` takes the wrong branch. Whenever `{subject}` should pass the test it is rejected, and the other "
        "way round.",
        "Calling `{fn}` gives the opposite outcome of what is expected: the comparison involving `{subject}` "
        "seems reversed.",
        "In `{fn}` the condition is evaluated the wrong way: cases that should match do not, and cases that "
        "should not match do.",
    ),
    "off_by_one": (
        "`{fn}` is off by one around `{subject}`: the result is one element or step away from the expected "
        "one.",
        "There is an off-by-one error in `{fn}`. The boundary case (`{subject}`) is handled wrongly.",
        "`{fn}` handles the edge of the range incorrectly: near `{subject}` it goes one too far or stops one "
        "short.",
        "The boundary in `{fn}` is wrong: values at the limit are treated like values past it (or the other way "
        "round).",
    ),
    "wrong_variable": (
        "`{fn}` seems to use the wrong value: the result depends on `{subject}` where it should not.",
        "In `{fn}`, `{detail}` has no effect on the result; `{subject}` is used instead.",
        "`{fn}` mixes up its variables: changing `{detail}` does not change what it computes as it should.",
        "The output of `{fn}` is wrong because `{subject}` ends up where another value belongs.",
    ),
    "dropped_not": (
        "`{fn}` does the opposite of what it should when `{subject}` holds.",
        "The condition on `{subject}` in `{fn}` is negated: the code runs exactly when it should be skipped.",
        "`{fn}` acts on the wrong case: it behaves as if the check `{subject}` meant the reverse.",
        "In `{fn}`, the logic is inverted: the branch is taken when it should not be, and skipped otherwise.",
    ),
    "swapped_arguments": (
        "`{fn}` calls `{subject}` with its arguments in the wrong order, so the result is wrong.",
        "In `{fn}`, the call to `{subject}` gets its parameters mixed up.",
        "`{fn}` gives wrong results: the values it passes to `{subject}` end up in each other's place.",
        "`{fn}` passes the right values to `{subject}`, but not in the order it expects.",
    ),
}
_EXPECTED = (
    "",
    "\n\nExpected: the documented behaviour of `{short}`.\nActual: a different result.",
    "\n\nSteps: call `{short}` with ordinary inputs and compare with the expected output.",
    "\n\nThis breaks callers that rely on `{short}`.",
)


def issue_text(bug: Bug, path: str, rng: random.Random) -> str:
    """A varied, templated report of the bug's symptom that names the function (never the fix)."""
    module = path.rsplit("/", 1)[-1].removesuffix(".py")
    short = bug.function.rsplit(".", 1)[-1]
    values = {"fn": bug.function, "short": short, "subject": bug.subject, "detail": bug.detail, "path": path,
              "module": module}  # fmt: skip
    title = rng.choice(_TITLES) + rng.choice(_WHERE)
    body = rng.choice(_SYMPTOMS[bug.kind]) + rng.choice(_EXPECTED)
    return (title + "\n\n" + body).format(**values)
