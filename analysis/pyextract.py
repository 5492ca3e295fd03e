"""Python extraction: a tree-sitter tree -> `FileFacts`.

Extraction is compositional: the facts of a run of sibling statements are the concatenation of the facts of
each statement (lines shifted, scope indices offset). `extract_python` uses that to do a whole file in one query;
`ChunkedPythonExtractor` uses it to re-extract only the chunks an edit touched. A chunk is a top-level statement,
or a statement directly in the body of a class that is not nested in a function (such classes are split into
their members). A chunk's facts depend only on its text, its start column and whether it sits in a class body, so
they are memoised under that key, relative to the chunk's first line.
"""
from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node, QueryCursor, Tree

from analysis.facts import (
    ASSIGN, B_COL, B_END_COL, B_END_LINE, B_HINT, B_KIND, B_LINE, B_NAME, B_SCOPE, B_TEXT, CLASS, D_KIND, D_NAME,
    D_PARENT, DEF, FUNCTION, GLOBAL, IMPORT, NONLOCAL, OTHER, PARAM, RETURN, RETURN_NAME, SELF, SELF_ATTR, STAR,
    FileFacts,
)
from analysis.languages import query

_DOTTED = re.compile(r"[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*\Z")
_SUPER = re.compile(r"super\s*\([^()]*\)\s*\.\s*([^\W\d]\w*)\Z")
_SPACE = re.compile(r"\s+")
_STRING_PREFIX = re.compile(r"[rRuUbBfF]*")

# (defs, binds, calls, all_names) of a region; lines relative to the region's first line, scope -1 = container.
Region = tuple[list[tuple], list[tuple], list[tuple], "list[str] | None"]
MemoKey = tuple[bool, str, int, bytes]
Binds = tuple[list[tuple], list[tuple]]  # (observable, others), see `exported_first`

# From this many chunks to extract, one query over the whole file beats one query per chunk.
_WHOLE_FILE_QUERY_MIN = 8


def dotted_name(text: str) -> str | None:
    """`a . b` -> "a.b"; `super().m` -> "super().m"; anything that is not a plain name chain -> None."""
    if _DOTTED.match(text):
        return _SPACE.sub("", text) if (" " in text or "\n" in text or "\t" in text) else text
    m = _SUPER.match(text)
    if m:
        return "super()." + m.group(1)
    return None


def string_content(literal: str) -> str:
    """The content of a Python string literal, quotes and prefix removed (escapes are left as written)."""
    body = literal[_STRING_PREFIX.match(literal).end():]
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote):
            end = len(body) - len(quote) if body.endswith(quote) and len(body) >= 2 * len(quote) else len(body)
            return body[len(quote):end]
    return body


def _text(src: bytes, node: Node) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _docstring(body: Node | None, src: bytes) -> str:
    if body is None:
        return ""
    for child in body.named_children:
        if child.type == "comment":
            continue
        if child.type == "expression_statement" and child.named_child_count == 1:
            string = child.named_child(0)
            if string.type == "string":
                return string_content(_text(src, string))
        return ""
    return ""


def _value_hint(src: bytes, right: Node | None, annotation: Node | None) -> str:
    """What an assignment tells about the bound value: a called name, an aliased name or an annotation."""
    if right is not None:
        kind = right.type
        if kind == "call":
            func = right.child_by_field_name("function")
            if func is not None and func.type in ("identifier", "attribute"):
                name = dotted_name(_text(src, func))
                if name is not None:
                    return "c:" + name
        elif kind in ("identifier", "attribute"):
            name = dotted_name(_text(src, right))
            if name is not None:
                return "n:" + name
    if annotation is not None:
        name = dotted_name(_text(src, annotation).strip("\"' "))
        if name is not None:
            return "t:" + name
    return ""


def _base_names(src: bytes, superclasses: Node | None) -> tuple[str, ...]:
    if superclasses is None:
        return ()
    bases = []
    for arg in superclasses.named_children:
        if arg.type in ("identifier", "attribute"):
            name = dotted_name(_text(src, arg))
            if name is not None:
                bases.append(name)
    return tuple(bases)


def _statement_of(node: Node) -> Node:
    """The statement an assignment target belongs to (through chained and unpacking assignments)."""
    stmt = node
    while stmt.type != "expression_statement" and stmt.parent is not None and stmt.parent.type not in (
        "module", "block"
    ):
        stmt = stmt.parent
    return stmt


def _def_record(node: Node, src: bytes, parent: int, row0: int, byte0: int) -> tuple:
    """The def record of a class_definition or function_definition node (with its decorators, if any)."""
    outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    name_node = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    start, end = outer.start_point, node.end_point
    name_pos = name_node.start_point if name_node is not None else node.start_point
    is_class = node.type == "class_definition"
    return (
        CLASS if is_class else FUNCTION,
        _text(src, name_node) if name_node is not None else "",
        parent, start[0] - row0, start[1], end[0] - row0, end[1], name_pos[0] - row0, name_pos[1],
        src[node.start_byte:body.start_byte if body is not None else node.end_byte].decode("utf-8", "replace").rstrip(),
        _docstring(body, src),
        _decorator_names(src, outer) if outer is not node else (),
        _base_names(src, node.child_by_field_name("superclasses")) if is_class else (),
        outer.start_byte - byte0, node.end_byte - byte0,
    )


def _decorator_names(src: bytes, decorated: Node) -> tuple[str, ...]:
    names = []
    for child in decorated.named_children:
        if child.type == "decorator" and child.named_child_count:
            expr = child.named_child(0)
            if expr.type == "call":
                expr = expr.child_by_field_name("function") or expr
            names.append(dotted_name(_text(src, expr)) or _text(src, expr))
    return tuple(names)


def _region(caps: dict[str, list[Node]], src: bytes, row0: int, byte0: int, in_class: bool) -> Region:
    """The facts of the captures of one region (a chunk, a whole file, or a split class's header); lines and
    byte offsets are relative to `row0` and `byte0`."""
    defs_nodes = caps.get("class", []) + caps.get("function", [])
    if len(defs_nodes) > 1:
        defs_nodes.sort(key=lambda n: n.start_byte)
    starts = [d.start_byte for d in defs_nodes]
    ends = [d.end_byte for d in defs_nodes]
    parents: list[int] = []
    stack: list[int] = []
    for i, start in enumerate(starts):
        while stack and ends[stack[-1]] <= start:
            stack.pop()
        parents.append(stack[-1] if stack else -1)
        stack.append(i)
    kinds = [CLASS if d.type == "class_definition" else FUNCTION for d in defs_nodes]

    def scope_at(byte: int) -> int:
        i = bisect_right(starts, byte) - 1
        while i >= 0 and ends[i] <= byte:
            i = parents[i]
        return i

    defs = [_def_record(node, src, parents[i], row0, byte0) for i, node in enumerate(defs_nodes)]
    binds: list[tuple] = [
        (parents[i], d[1], d[7], d[8], DEF, i, -1, -1, None) for i, d in enumerate(defs)
    ]
    add = binds.append
    all_names: list[str] | None = None
    all_pos = (-1, -1)  # where the last `__all__` is bound: the one that counts

    for node in caps.get("bind.param", ()):
        parent = node.parent
        annotation = None
        if parent.type in ("typed_parameter", "typed_default_parameter"):
            annotation = parent.child_by_field_name("type")
        pos = node.start_point
        hint = _value_hint(src, None, annotation) if annotation is not None else ""
        add((scope_at(node.start_byte), _text(src, node), pos[0] - row0, pos[1], PARAM, hint, -1, -1, None))
    for node in caps.get("bind.assign", ()):
        scope = scope_at(node.start_byte)
        assignment = node.parent
        hint = _value_hint(src, assignment.child_by_field_name("right"), assignment.child_by_field_name("type"))
        pos = node.start_point
        name = _text(src, node)
        if scope < 0 or kinds[scope] == CLASS:
            stmt = _statement_of(assignment)
            end = stmt.end_point
            add((scope, name, pos[0] - row0, pos[1], ASSIGN, hint, end[0] - row0, end[1], _text(src, stmt)))
            if scope < 0 and not in_class and name == "__all__" and (pos[0], pos[1]) > all_pos:
                all_names = _string_list(src, assignment.child_by_field_name("right"))
                all_pos = (pos[0], pos[1])
        else:
            add((scope, name, pos[0] - row0, pos[1], ASSIGN, hint, -1, -1, None))
    for node in caps.get("bind.unpack", ()):
        scope = scope_at(node.start_byte)
        pos = node.start_point
        if scope < 0 or kinds[scope] == CLASS:
            stmt = _statement_of(node)
            end = stmt.end_point
            add((scope, _text(src, node), pos[0] - row0, pos[1], ASSIGN, "", end[0] - row0, end[1],
                 _text(src, stmt)))
        else:
            add((scope, _text(src, node), pos[0] - row0, pos[1], ASSIGN, "", -1, -1, None))
    for node in caps.get("bind.with", ()):
        pattern = node.parent.parent  # as_pattern_target -> as_pattern
        pos = node.start_point
        add((scope_at(node.start_byte), _text(src, node), pos[0] - row0, pos[1], OTHER,
             _value_hint(src, pattern.named_child(0), None), -1, -1, None))
    for capture, kind in (("bind.other", OTHER), ("bind.global", GLOBAL), ("bind.nonlocal", NONLOCAL)):
        for node in caps.get(capture, ()):
            pos = node.start_point
            add((scope_at(node.start_byte), _text(src, node), pos[0] - row0, pos[1], kind, "", -1, -1, None))

    targets = caps.get("bind.attr")
    if targets:
        first_params = _first_params(binds)
        for left in targets:
            scope = scope_at(left.start_byte)
            if scope < 0 or kinds[scope] != FUNCTION:
                continue
            owner = parents[scope]
            if not (in_class if owner < 0 else kinds[owner] == CLASS):
                continue
            obj = left.child_by_field_name("object")
            attr = left.child_by_field_name("attribute")
            if obj is None or attr is None or _text(src, obj) != first_params.get(scope):
                continue
            assignment = left.parent
            hint = _value_hint(src, assignment.child_by_field_name("right"), assignment.child_by_field_name("type"))
            stmt = _statement_of(assignment)
            pos, end = attr.start_point, stmt.end_point
            add((scope, _text(src, attr), pos[0] - row0, pos[1], SELF_ATTR, hint, end[0] - row0, end[1],
                 _text(src, stmt)))

    for node in caps.get("import", ()):
        _import_binds(node, src, scope_at(node.start_byte), row0, add)

    returns = [(node, "c:") for node in caps.get("return.call", ())]
    returns += [(node, "n:") for node in caps.get("return.value", ())]
    if returns:
        _return_hints(returns, binds, kinds, parents, scope_at, in_class, src, row0, add)

    calls: list[tuple] = []
    add_call = calls.append
    for node in caps.get("call.name", ()):
        pos = node.start_point
        add_call((scope_at(node.start_byte), _text(src, node), pos[0] - row0, pos[1]))
    for node in caps.get("call.attr", ()):
        callee = dotted_name(_text(src, node))
        if callee is None:
            continue
        last = callee[callee.rfind(".") + 1:]
        end = node.end_point
        add_call((scope_at(node.start_byte), callee, end[0] - row0,
                  end[1] - (len(last) if last.isascii() else len(last.encode()))))

    binds.sort(key=lambda b: (b[2], b[3], b[4], b[1]))
    calls.sort(key=lambda c: (c[2], c[3]))
    return defs, binds, calls, all_names


def _return_hints(returns: list[tuple[Node, str]], binds: list[tuple], kinds: list[int], parents: list[int],
                  scope_at: Any, in_class: bool, src: bytes, row0: int, add: Any) -> None:
    """RETURN records of the functions' `return <name chain>` / `return <name chain>(...)` statements. A chain
    that starts at a local is replaced by that local's own hint (one step), and one that starts at a method's
    first parameter by `<self>`, so resolving a RETURN hint never reads a function's locals: what a function
    returns is then part of the file's signature without its locals being."""
    first_params = _first_params(binds)
    locals_of: dict[tuple[int, str], list[tuple]] = {}
    for b in binds:
        if b[B_SCOPE] >= 0:
            locals_of.setdefault((b[B_SCOPE], b[B_NAME]), []).append(b)
    for node, kind in returns:
        scope = scope_at(node.start_byte)
        if scope < 0 or kinds[scope] != FUNCTION:
            continue
        chain = dotted_name(_text(src, node))
        if chain is None or chain.startswith("super()"):
            continue
        first, _, rest = chain.partition(".")
        owner = parents[scope]
        if first == first_params.get(scope) and (in_class if owner < 0 else kinds[owner] == CLASS):
            hint = kind + SELF + ("." + rest if rest else "")
        elif (scope, first) in locals_of:
            if kind != "n:" or rest:
                continue
            hints = []  # what the local is assigned, where that names no other local
            is_method = in_class if owner < 0 else kinds[owner] == CLASS
            for b in locals_of[(scope, first)]:
                local_hint = b[B_HINT]
                if not isinstance(local_hint, str) or len(local_hint) < 3:
                    continue
                head, dot, tail = local_hint[2:].partition(".")
                if is_method and head == first_params.get(scope):
                    local_hint = local_hint[:2] + SELF + dot + tail
                elif (scope, head) in locals_of:
                    continue
                if local_hint not in hints:
                    hints.append(local_hint)
            pos = node.start_point
            for hint in hints:
                add((scope, RETURN_NAME, pos[0] - row0, pos[1], RETURN, hint, -1, -1, None))
            continue
        else:
            hint = kind + chain
        pos = node.start_point
        add((scope, RETURN_NAME, pos[0] - row0, pos[1], RETURN, hint, -1, -1, None))


def _first_params(binds: list[tuple]) -> dict[int, str]:
    first: dict[int, tuple[int, int, str]] = {}
    for b in binds:
        if b[B_KIND] == PARAM:
            seen = first.get(b[B_SCOPE])
            if seen is None or (b[2], b[3]) < seen[:2]:
                first[b[B_SCOPE]] = (b[2], b[3], b[B_NAME])
    return {scope: v[2] for scope, v in first.items()}


def _string_list(src: bytes, node: Node | None) -> list[str] | None:
    if node is None or node.type not in ("list", "tuple"):
        return None
    names = []
    for item in node.named_children:
        if item.type != "string":
            return None
        names.append(string_content(_text(src, item)))
    return names


def _import_binds(node: Node, src: bytes, scope: int, row0: int, add: Any) -> None:
    def bind(at: Node, kind: int, hint: tuple, name: str | None = None) -> None:
        pos = at.start_point
        add((scope, name if name is not None else _text(src, at), pos[0] - row0, pos[1], kind, hint, -1, -1, None))

    if node.type == "import_statement":
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                module = dotted_name(_text(src, item.child_by_field_name("name"))) or ""
                bind(item.child_by_field_name("alias"), IMPORT, (0, module, None, False))
            else:
                module = dotted_name(_text(src, item)) or ""
                head = item.named_child(0) if item.named_child_count else item
                bind(head, IMPORT, (0, module, None, "." in module))
        return
    module_node = node.child_by_field_name("module_name")
    level, module = 0, ""
    if module_node is not None:
        if module_node.type == "relative_import":
            for part in module_node.named_children:
                if part.type == "import_prefix":
                    level = part.end_byte - part.start_byte
                else:
                    module = dotted_name(_text(src, part)) or ""
        else:
            module = dotted_name(_text(src, module_node)) or ""
    names = node.children_by_field_name("name")
    if not names:
        for child in node.named_children:
            if child.type == "wildcard_import":
                bind(child, STAR, (level, module, None, False), "*")
        return
    for item in names:
        if item.type == "aliased_import":
            name = dotted_name(_text(src, item.child_by_field_name("name"))) or ""
            bind(item.child_by_field_name("alias"), IMPORT, (level, module, name, False))
        else:
            bind(item, IMPORT, (level, module, dotted_name(_text(src, item)) or "", False))


def _module_doc(root: Node, src: bytes) -> str:
    for child in root.named_children:
        if child.type == "comment":
            continue
        if child.type == "expression_statement" and child.named_child_count == 1:
            string = child.named_child(0)
            if string.type == "string":
                return string_content(_text(src, string))
        return ""
    return ""


def nested_in_functions(defs: Sequence[tuple]) -> list[bool]:
    """For each def, whether it sits inside a function (then its names are that function's business)."""
    nested: list[bool] = []
    for d in defs:
        parent = d[D_PARENT]
        nested.append(parent >= 0 and (defs[parent][D_KIND] == FUNCTION or nested[parent]))
    return nested


def observable_scopes(defs: Sequence[tuple], binds: Sequence[tuple]) -> Callable[[int], bool]:
    """Whether bindings in a scope are observable by other scopes: the module (or a region's container), a class
    not inside a function, and a method of such a class that assigns `self.<name>` attributes."""
    nested = nested_in_functions(defs)
    self_scopes = {b[B_SCOPE] for b in binds if b[B_KIND] == SELF_ATTR}

    def observable(scope: int) -> bool:
        return scope < 0 or (not nested[scope] and (defs[scope][D_KIND] == CLASS or scope in self_scopes))

    return observable


def exported_first(defs: list[tuple], binds: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The bindings other scopes can observe (see `observable_scopes`) and the others, each in document order; a
    file's bindings are the first then the second. Edits to the locals of a function then leave the indices of
    the observable bindings alone, so what was resolved through them stays valid."""
    observable = observable_scopes(defs, binds)
    head: list[tuple] = []
    tail: list[tuple] = []
    for b in binds:
        (head if observable(b[B_SCOPE]) else tail).append(b)
    return head, tail


def _finish(root: Node, src: bytes, defs: list[tuple], binds: Binds, calls: list[tuple],
            all_names: list[str] | None, placed: _Placed | None = None,
            attr_at: tuple[list[int], list[int]] | None = None, attrs: list[tuple] | None = None) -> FileFacts:
    head, tail = binds
    facts = FileFacts(lang="python", text="", defs=defs, binds=head + tail if tail else head, calls=calls,
                      all_names=all_names, doc=_module_doc(root, src), line_count=root.end_point[0] + 1)
    if attrs is not None:
        facts.attrs = attrs
    else:
        candidates = None if attr_at is None else attr_at[0] + [len(head) + i for i in attr_at[1]]
        facts.attrs = attributes(defs, facts.binds, placed, candidates)
    facts.derived["observable"] = len(head)
    return facts


def extract_python(tree: Tree, src: bytes) -> FileFacts:
    """The facts of a whole Python file, in one query (`FileFacts.text` is left for the caller to fill)."""
    root = tree.root_node
    defs, binds, calls, all_names = _region(QueryCursor(query("python")).captures(root), src, 0, 0, False)
    return _finish(root, src, defs, exported_first(defs, binds), calls, all_names)


@dataclass(frozen=True)
class LocalEdit:
    """How an extraction differs from the one before it (`base`, the serial in that one's `derived`), when
    every chunk kept its numbers of defs and bindings: only the re-extracted chunks' records changed (and the
    positions of the others). The ranges, one per re-extracted chunk, are of the new facts' defs, bindings
    and calls; the old facts have the same ranges of defs and bindings."""

    base: int
    defs: tuple[tuple[int, int], ...]
    classes: tuple[tuple[int, int], ...]  # split classes (see `_plan`) whose records were made again
    observable: tuple[tuple[int, int], ...]  # bindings other scopes can see (see `exported_first`)
    binds: tuple[tuple[int, int], ...]  # the others
    calls: tuple[tuple[int, int], ...]
    imports: bool  # whether an old or new version of a re-extracted chunk imports something
    all_names: bool  # ... or sets `__all__`


_SERIALS = itertools.count(1)


def _has_imports(region: Region) -> bool:
    return any(b[B_KIND] == IMPORT or b[B_KIND] == STAR for b in region[1])


def _has_container_calls(region: Region) -> bool:
    return any(c[0] < 0 for c in region[2])


class ChunkedPythonExtractor:
    """Extraction for a live document: `extract` reuses the facts of every chunk whose text is unchanged."""

    def __init__(self) -> None:
        self._memo: dict[MemoKey, Region] = {}
        self._classes: dict[tuple, tuple] = {}  # def records of split classes, by what they are made of
        self._placed = _Placed()
        # The scopes (def indices, -1 for the module) whose calls the last `extract` re-extracted: calls in
        # other scopes come from reused chunks, unchanged but for their line numbers.
        self.changed_scopes: set[int] = set()
        # the serial, layout and regions (by plan entry) of the last extraction
        self._last: tuple[int, list[tuple[str, int, int, int]], list[Region | None]] | None = None
        self._last_facts: FileFacts | None = None

    def extract(self, tree: Tree, src: bytes) -> FileFacts:
        root = tree.root_node
        plan: list[tuple] = []
        _plan(root.children, -1, False, plan)
        memo, new_memo = self._memo, {}
        regions: dict[int, Region] = {}
        missing: list[tuple[int, MemoKey | None]] = []
        for i, entry in enumerate(plan):
            if entry[0] != "c":
                continue
            node = entry[1]
            key = (entry[3], node.type, node.start_point[1], src[node.start_byte:node.end_byte])
            found = None if node.has_error else memo.get(key)
            if found is None:
                # Chunks with syntax errors are never reused: error recovery may depend on more than their text.
                missing.append((i, None if node.has_error else key))
            else:
                regions[i] = new_memo[key] = found
        if missing:
            if len(missing) >= _WHOLE_FILE_QUERY_MIN:
                captures = _captures_by_chunk(tree, [plan[i][1] for i, _ in missing])
            else:
                cursor = QueryCursor(query("python"))
                captures = [cursor.captures(plan[i][1]) for i, _ in missing]
            for (i, key), caps in zip(missing, captures):
                entry = plan[i]
                node = entry[1]
                regions[i] = found = _region(caps, src, node.start_point[0], node.start_byte, entry[3])
                if key is not None:
                    new_memo[key] = found
        self._memo = new_memo
        cursor = QueryCursor(query("python"))
        assembly = _Assembly()

        def header(node: Node, in_class: bool) -> Region:
            key = (in_class, node.type, node.start_point[1], src[node.start_byte:node.end_byte])
            found = None if node.has_error else memo.get(key)
            if found is None:
                assembly.headers_changed = True
                found = _region(cursor.captures(node), src, node.start_point[0], node.start_byte, in_class)
            if not node.has_error:
                new_memo[key] = found
            return found

        classes, new_classes = self._classes, {}

        def class_record(entry: tuple, container: int, index: int) -> tuple:
            _, outer, inner, body, _container_entry = entry
            # What the record is made of: its place, its header and the docstring (the body's first statement).
            stop = body.start_byte
            for k in range(body.named_child_count):
                first = body.named_child(k)
                if first.type != "comment":
                    stop = first.end_byte
                    break
            row, end = outer.start_point[0], inner.end_point
            key = (container, outer.start_point[1], end[0] - row, end[1], src[outer.start_byte:stop])
            record = classes.get(key)
            if record is None:
                record = _def_record(inner, src, container, 0, 0)
                assembly.classes.append(index)
            elif record[13] != outer.start_byte or record[14] != inner.end_byte or record[3] != row:
                shift = row - record[3]  # the same record at another place
                record = (*record[:3], row, record[4], record[5] + shift, record[6], record[7] + shift,
                          *record[8:13], outer.start_byte, inner.end_byte)
            new_classes[key] = record
            return record

        last = self._last
        placed = self._placed

        def same_attributes(defs: list[tuple], binds: Binds) -> list[tuple] | None:
            """The last extraction's attributes, if the layout is the same, every chunk but the re-extracted
            ones reused its records as they were, and the re-extracted ones have the same attribute bindings
            and def names as before (see `attributes`)."""
            before = self._last_facts
            if (before is None or last is None or last[1] != assembly.layout or assembly.headers_changed
                    or placed.misses != len(assembly.fresh) or assembly.classes):
                return None
            old_defs, old_binds = before.defs, before.binds
            head = len(binds[0])
            for _i, _container, (d0, d1), _h, _t, _c in assembly.fresh:
                if any(d[D_PARENT] != o[D_PARENT] or d[D_NAME] != o[D_NAME] for d, o in zip(defs[d0:d1],
                                                                                          old_defs[d0:d1])):
                    return None
            for offset, mine in ((0, binds[0]), (head, binds[1])):
                for _i, _container, _d, (h0, h1), (t0, t1), _c in assembly.fresh:
                    start, stop = (h0, h1) if offset == 0 else (t0, t1)
                    for p in range(start, stop):
                        b = mine[p]
                        if (b[B_KIND] == ASSIGN or b[B_KIND] == SELF_ATTR or old_binds[offset + p][B_KIND] in (
                                ASSIGN, SELF_ATTR)) and b != old_binds[offset + p]:
                            return None
            return before.attrs

        fresh = {i for i, _ in missing}
        facts = _assemble(root, src, plan, regions, fresh, placed, header, class_record, assembly,
                          same_attributes)
        self._last_facts = facts
        self._classes = new_classes
        self._placed.turn()
        serial = next(_SERIALS)
        facts.derived["serial"] = serial
        entry_regions: list[Region | None] = [regions.get(i) for i in range(len(plan))]
        self._last = (serial, assembly.layout, entry_regions)
        local = last is not None and last[1] == assembly.layout and not assembly.headers_changed
        self.changed_scopes = changed = set()
        imports = names_listed = False
        for i, container, def_range, _head, _tail, _calls in assembly.fresh:
            region, old_region = regions[i], last[2][i] if local else None
            changed.update(range(*def_range))
            if not local or _has_container_calls(region) or _has_container_calls(old_region):
                # calls made directly in the chunk's container (a decorator's arguments, a module-level call)
                changed.add(container)
            if local:
                imports = imports or _has_imports(region) or _has_imports(old_region)
                names_listed = names_listed or region[3] is not None or old_region[3] is not None
        if local:
            head = facts.derived["observable"]
            facts.derived["local_edit"] = LocalEdit(
                last[0], tuple(f[2] for f in assembly.fresh), tuple((i, i + 1) for i in assembly.classes),
                tuple(f[3] for f in assembly.fresh),
                tuple((start + head, stop + head) for _, _, _, _, (start, stop), _ in assembly.fresh),
                tuple(f[5] for f in assembly.fresh), imports, names_listed)
        return facts


def _plan(nodes: list[Node], container: int, in_class: bool, plan: list[tuple]) -> None:
    """Flatten the statements into chunks ("c", node, container entry, in_class) and split classes
    ("k", outer, class node, body, container entry), in document order."""
    for node in nodes:
        if node.type == "comment":
            continue
        inner = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
        body = inner.child_by_field_name("body") if inner is not None and inner.type == "class_definition" else None
        if body is not None and _errors_only_in_body(node, inner, body):
            plan.append(("k", node, inner, body, container))
            _plan(body.children, len(plan) - 1, True, plan)
        else:
            plan.append(("c", node, container, in_class))


def _errors_only_in_body(outer: Node, inner: Node, body: Node) -> bool:
    """Whether a class can be split into its members: every syntax error in it lies inside one of its body's
    statements (which then become chunks of their own). An error elsewhere (in its header, or one that leaves
    statements beside its body block) keeps the class one chunk: its statements need not all sit in its body."""
    if not outer.has_error:
        return True
    for node in (outer, inner) if outer != inner else (inner,):
        for child in node.children:
            if child.has_error and child != body and child != inner:
                return False
    return True


def _captures_by_chunk(tree: Tree, chunks: list[Node]) -> list[dict[str, list[Node]]]:
    """Run the query once over the file and hand each capture to the chunk that holds it."""
    starts = [c.start_byte for c in chunks]
    ends = [c.end_byte for c in chunks]
    out: list[dict[str, list[Node]]] = [{} for _ in chunks]
    for name, nodes in QueryCursor(query("python")).captures(tree.root_node).items():
        for node in nodes:
            b = node.start_byte
            i = bisect_right(starts, b) - 1
            if i >= 0 and b < ends[i]:
                out[i].setdefault(name, []).append(node)
    return out


def _append_region(region: Region, container: int, row0: int, byte0: int, defs: list[tuple], binds: Binds,
                   calls: list[tuple], placed: _Placed | None = None,
                   attr_at: tuple[list[int], list[int]] | None = None) -> None:
    """Append a region's records, shifted to its place in the file, its bindings split as `exported_first`
    does (bindings and calls are reused from the last extraction when the region sits at the same line, in the
    same container, after as many defs). `attr_at` collects the positions (in the observable and in the other
    bindings) of the bindings that can make attributes (see `attributes`)."""
    base = len(defs)
    for d in region[0]:
        defs.append((d[0], d[1], container if d[2] < 0 else base + d[2], d[3] + row0, d[4], d[5] + row0, d[6],
                     d[7] + row0, d[8], d[9], d[10], d[11], d[12], d[13] + byte0, d[14] + byte0))
    key = (id(region), row0, container, base)
    hit = placed.before.get(key) if placed is not None else None
    if hit is None:
        if placed is not None:
            placed.misses += 1
        # A region's scopes are its container (a module or a class, observable) and its own defs.
        observable = observable_scopes(region[0], region[1])
        head: list[tuple] = []
        tail: list[tuple] = []
        for b in region[1]:
            scope = b[0]
            (head if observable(scope) else tail).append(
                (container if scope < 0 else base + scope, b[1], b[2] + row0, b[3], b[4],
                 base + b[5] if b[4] == DEF else b[5], b[6] + row0 if b[6] >= 0 else -1, b[7], b[8]))
        region_calls = [(container if c[0] < 0 else base + c[0], c[1], c[2] + row0, c[3]) for c in region[2]]
        hit = (region, head, tail, region_calls, _attribute_candidates(head), _attribute_candidates(tail))
    if placed is not None:
        placed.now[key] = hit
    if attr_at is not None:
        if hit[4]:
            offset = len(binds[0])
            attr_at[0].extend([offset + p for p in hit[4]])
        if hit[5]:
            offset = len(binds[1])
            attr_at[1].extend([offset + p for p in hit[5]])
    binds[0].extend(hit[1])
    binds[1].extend(hit[2])
    calls.extend(hit[3])


def _attribute_candidates(binds: list[tuple]) -> list[int]:
    return [i for i, b in enumerate(binds) if b[B_KIND] == ASSIGN or b[B_KIND] == SELF_ATTR]


class _Placed:
    """Shifted records of the last extraction's regions, by (region, line, container, def base); the region is
    kept in the value so that its id is not reused while the entry lives."""

    def __init__(self) -> None:
        self.before: dict[tuple, tuple] = {}
        self.now: dict[tuple, tuple] = {}
        # attribute records by (id of their binding record, its index, scope), the record kept alive in the value
        self.attrs_before: dict[tuple, tuple] = {}
        self.attrs_now: dict[tuple, tuple] = {}
        self.misses = 0  # regions placed anew since the last `turn`

    def turn(self) -> None:
        self.misses = 0
        self.before, self.now = self.now, {}
        self.attrs_before, self.attrs_now = self.attrs_now, {}


class _Assembly:
    """What `_assemble` learns beyond the facts: per plan entry the numbers of defs and of observable and other
    bindings before it (the layout), and the record ranges of the re-extracted chunks."""

    def __init__(self) -> None:
        self.layout: list[tuple[str, int, int, int]] = []
        # per re-extracted chunk: its plan entry, its container's def index, its ranges of defs, observable
        # bindings, other bindings (in their lists) and calls
        self.fresh: list[tuple[int, int, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]] = []
        self.headers_changed = False
        self.classes: list[int] = []  # def indices of the split classes whose records were made again


def _assemble(root: Node, src: bytes, plan: list[tuple], regions: dict[int, Region], fresh: set[int],
              placed: _Placed, header: Callable[[Node, bool], Region],
              class_record: Callable[[tuple, int, int], tuple], assembly: _Assembly,
              same_attributes: Callable[[list[tuple], Binds], list[tuple] | None]) -> FileFacts:
    """The file's facts from its chunks' regions. `header` gives the region of a split class's decorator or base
    list, `class_record` the def record of a split class; `assembly` receives the layout and, for the `fresh`
    chunks, their ranges of defs, bindings (in the observable and in the other ones) and calls. `same_attributes`
    may give the attributes of the last extraction when they cannot have changed."""
    defs: list[tuple] = []
    binds: Binds = ([], [])  # observable ones, others
    calls: list[tuple] = []
    attr_at: tuple[list[int], list[int]] = ([], [])
    all_names: list[str] | None = None
    class_index: dict[int, int] = {}
    layout = assembly.layout
    for i, entry in enumerate(plan):
        layout.append((entry[0], len(defs), len(binds[0]), len(binds[1])))
        if entry[0] == "k":
            _, outer, inner, body, container_entry = entry
            container = class_index[container_entry] if container_entry >= 0 else -1
            in_class = container_entry >= 0
            # The class's own header, as the whole-file extraction sees it: decorators, name, bases.
            for node in outer.named_children if outer is not inner else ():
                if node.type == "decorator":
                    _append_region(header(node, in_class), container, node.start_point[0], node.start_byte, defs,
                                   binds, calls, placed, attr_at)
            class_index[i] = idx = len(defs)
            record = class_record(entry, container, idx)
            defs.append(record)
            binds[0].append((container, record[1], record[7], record[8], DEF, idx, -1, -1, None))
            superclasses = inner.child_by_field_name("superclasses")
            if superclasses is not None:  # inside the class node, so in the class's scope
                _append_region(header(superclasses, True), idx, superclasses.start_point[0], superclasses.start_byte,
                               defs, binds, calls, placed, attr_at)
            continue
        _, node, container_entry, _in_class = entry
        region = regions[i]
        container = class_index[container_entry] if container_entry >= 0 else -1
        starts = (len(defs), len(binds[0]), len(binds[1]), len(calls))
        _append_region(region, container, node.start_point[0], node.start_byte, defs, binds, calls, placed, attr_at)
        if i in fresh:
            assembly.fresh.append((i, container, (starts[0], len(defs)), (starts[1], len(binds[0])),
                                   (starts[2], len(binds[1])), (starts[3], len(calls))))
        if region[3] is not None:
            all_names = region[3]
    layout.append(("", len(defs), len(binds[0]), len(binds[1])))
    return _finish(root, src, defs, binds, calls, all_names, placed, attr_at, same_attributes(defs, binds))


def attributes(defs: list[tuple], binds: list[tuple], placed: _Placed | None = None,
               candidates: list[int] | None = None) -> list[tuple]:
    """Module and class attributes: the first assignment of each name in the module, in a class body, or to
    `self.<name>` in one of the class's methods; names that are also defs of that scope are left out. The
    attribute type is the annotation or the called constructor ("" if neither). `candidates`: the indices of
    the ASSIGN and SELF_ATTR bindings, in order, when the caller knows them."""
    if candidates is None:
        candidates = _attribute_candidates(binds)
    seen: set[tuple[int, str]] = set()
    out: list[tuple] = []
    if not candidates:
        return out
    def_names = {(d[D_PARENT], d[D_NAME]) for d in defs}
    before = placed.attrs_before if placed is not None else {}
    now = placed.attrs_now if placed is not None else {}
    for i in candidates:
        b = binds[i]
        kind = b[B_KIND]
        if kind == ASSIGN:
            scope = b[B_SCOPE]
            if scope >= 0 and defs[scope][D_KIND] != CLASS:
                continue
        elif kind == SELF_ATTR:
            scope = defs[b[B_SCOPE]][D_PARENT]
        else:
            continue
        key = (scope, b[B_NAME])
        if key in seen or key in def_names:
            continue
        seen.add(key)
        memo_key = (id(b), i, scope)
        hit = before.get(memo_key)
        if hit is None:
            hint = b[B_HINT]
            hit = (b, (scope, b[B_NAME], i, b[B_LINE], b[B_COL], b[B_END_LINE], b[B_END_COL], b[B_TEXT] or "",
                       hint[2:] if hint[:2] in ("t:", "c:") else ""))
        if placed is not None:
            now[memo_key] = hit
        out.append(hit[1])
    return out
