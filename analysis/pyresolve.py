"""Python name resolution over `FileFacts`: scopes, imports, attribute chains, class hierarchies.

A *target* is where a name leads: `(rel, "m", -1)` a module file, `(dotted, "n", -1)` a namespace package,
`(rel, "d", i)` def `i` of a file, `(rel, "b", i)` binding `i` of a file (a variable, parameter or attribute).
Imports are always followed to what they import, as go-to-definition does. A *value* is what a target evaluates
to when an attribute chain continues from it: `("mod", rel, 0)`, `("ns", dotted, 0)`, `("cls", rel, i)`,
`("inst", rel, i)` (an instance of class i), `("func", rel, i)`, `("super", rel, i)`.

Every lookup records what it read in `deps` (file paths, `mod:<dotted>` module-name lookups, and for class
hierarchy analysis `subtree:<class id>` and `override:<class id>.<method>`), so that the workspace can
re-resolve exactly the files whose answers may have changed.
Cached answers carry their own dependencies, which are replayed into the caller's set on a hit.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from analysis.facts import (
    B_COL, B_HINT, B_KIND, B_LINE, B_NAME, B_SCOPE, CLASS, D_COL, D_END_COL, D_END_LINE, D_EXTRA, D_HEADER,
    D_DECORATORS, D_KIND, D_LINE, D_NAME, D_PARENT, DEF, FUNCTION, GLOBAL, IMPORT, NONLOCAL, PARAM, RETURN, SELF,
    SELF_ATTR, STAR, FileFacts,
)
from analysis.graph import CALLS, EXTENDS, IMPORTS, member_ids
from analysis.pyextract import LocalEdit, nested_in_functions, observable_scopes

Target = tuple[str, str, int]
Value = tuple[str, str, int]
Edge = tuple[str, str, str]

_NOTHING = object()
# Rounds of a cycle's fixpoint before its answers are taken as they are (lookups are not all monotone, e.g. an
# import that resolves to nothing stands for itself, so a cycle could in principle flip between two answers).
_MAX_ROUNDS = 8


class _ScopeTables:
    """Per-scope lookup tables built from ranges of a file's bindings."""

    __slots__ = ("scopes", "stars", "globals", "self_attrs", "first_params", "returns")

    def __init__(self) -> None:
        self.scopes: dict[int, dict[str, list[int]]] = {}
        self.stars: dict[int, list[int]] = {}
        self.globals: dict[int, set[str]] = {}
        self.self_attrs: dict[int, dict[str, list[int]]] = {}
        self.first_params: dict[int, int] = {}
        self.returns: dict[int, list[int]] = {}

    def tables(self) -> tuple[dict, ...]:
        return self.scopes, self.stars, self.globals, self.self_attrs, self.first_params, self.returns

    def without(self, def_ranges: Iterable[tuple[int, int]]) -> _ScopeTables:
        """A copy without the entries of the scopes (and classes) in these ranges of def indices; the entries of
        the other scopes are shared."""
        out = _ScopeTables()
        for mine, theirs in zip(self.tables(), out.tables()):
            theirs.update(mine)
            for start, stop in def_ranges:
                if stop - start < len(theirs):
                    for scope in range(start, stop):
                        theirs.pop(scope, None)
                else:
                    for scope in [s for s in theirs if start <= s < stop]:
                        del theirs[scope]
        return out

    def add(self, facts: FileFacts, start: int, stop: int) -> None:
        defs, binds = facts.defs, facts.binds
        scopes, first_params = self.scopes, self.first_params
        for i in range(start, stop):
            b = binds[i]
            kind = b[B_KIND]
            scope = b[B_SCOPE]
            if kind == SELF_ATTR:
                self.self_attrs.setdefault(defs[scope][D_PARENT], {}).setdefault(b[B_NAME], []).append(i)
            elif kind == STAR:
                self.stars.setdefault(scope, []).append(i)
            elif kind == GLOBAL:
                self.globals.setdefault(scope, set()).add(b[B_NAME])
            elif kind == RETURN:
                self.returns.setdefault(scope, []).append(i)
            elif kind != NONLOCAL:
                if kind == PARAM and scope not in first_params:
                    first_params[scope] = i
                names = scopes.get(scope)
                if names is None:
                    names = scopes[scope] = {}
                found = names.get(b[B_NAME])
                if found is None:
                    names[b[B_NAME]] = [i]
                else:
                    found.append(i)


def local_edit_from(old: FileFacts, new: FileFacts) -> LocalEdit | None:
    """How `new` differs from `old` when it was extracted from an edit of it that kept the layout (see
    `pyextract.LocalEdit`); None otherwise."""
    edit = new.derived.get("local_edit")
    return edit if edit is not None and edit.base == old.derived.get("serial") else None


def _scopes_seen_from(idx: PyFileIndex, scope: int) -> Iterator[int]:
    """Def `scope` (-1: the module), then the enclosing defs a use there sees (classes skipped), then the module."""
    defs = idx.facts.defs
    first = True
    while scope >= 0:
        if first or defs[scope][D_KIND] != CLASS:
            yield scope
        scope, first = defs[scope][D_PARENT], False
    yield -1


class PyFileIndex:
    """Lookup tables of one Python file, derived from its facts. The tables of the observable bindings (which
    come first, in scopes of their own) are kept apart, so that an edit that leaves the file's signature alone
    can reuse them and rebuild only the tables of the other bindings: all of them, or, after an edit that kept
    the file's layout, those of the re-extracted chunks' scopes."""

    __slots__ = ("rel", "facts", "def_ids", "attr_ids", "id_to_def", "scopes", "stars", "globals", "self_attrs",
                 "attr_of", "first_params", "returns", "_methods", "_head", "_tail")

    def __init__(self, rel: str, facts: FileFacts, previous: PyFileIndex | None = None) -> None:
        self.rel = rel
        self.facts = facts
        boundary = observable_count(facts)
        if previous is not None:
            self._methods = previous._methods
            self.def_ids, self.attr_ids = previous.def_ids, previous.attr_ids
            self.id_to_def, self.attr_of = previous.id_to_def, previous.attr_of
            head = previous._head
            edit = local_edit_from(previous.facts, facts)
        else:
            self._methods = None
            self.def_ids, self.attr_ids = member_ids(rel, facts)
            self.id_to_def = {node_id: i for i, node_id in enumerate(self.def_ids)}
            self.attr_of = {(a[0], a[1]): self.attr_ids[k] for k, a in enumerate(facts.attrs)}
            head = _ScopeTables()
            head.add(facts, 0, boundary)
            edit = None
        self._head = head
        if edit is not None:
            tail = previous._tail.without(edit.defs)
            for start, stop in edit.binds:
                tail.add(facts, start, stop)
        else:
            tail = _ScopeTables()
            tail.add(facts, boundary, len(facts.binds))
        self._tail = tail
        self.scopes = {**head.scopes, **tail.scopes}
        self.stars = {**head.stars, **tail.stars}
        self.globals = {**head.globals, **tail.globals}
        self.self_attrs = {**head.self_attrs, **tail.self_attrs}
        self.first_params = {**head.first_params, **tail.first_params}
        self.returns = {**head.returns, **tail.returns}

    def methods(self) -> dict[str, dict[str, str]]:
        if self._methods is None:
            self._methods = methods_by_class(self.rel, self.facts, self.def_ids)
        return self._methods

    def scope_at(self, line: int, col: int) -> int:
        """The innermost def whose span holds the position (-1: module level)."""
        best = -1
        pos = (line, col)
        for i, d in enumerate(self.facts.defs):
            if (d[D_LINE], d[D_COL]) <= pos < (d[D_END_LINE], d[D_END_COL]):
                best = i
            elif d[D_LINE] > line:
                break
        return best


class PythonResolver:
    """Resolves names of the Python files of a project (see the module docstring)."""

    def __init__(self, facts: dict[str, FileFacts], modules: dict[str, str], module_of: dict[str, str],
                 prefixes: set[str], subclasses: Callable[[str], Iterable[str]]) -> None:
        self.facts = facts
        self.modules = modules
        self.module_of = module_of
        self.prefixes = prefixes
        self.subclasses_of = subclasses
        # What lookups read since `begin`: file paths, `mod:` / `subtree:` / `override:` keys, and the keys of
        # cached answers.
        self.deps: set = set()
        self._index: dict[str, PyFileIndex] = {}
        # Cached answers; every key is (kind, rel, ...) and `_keys_of[rel]` lists the keys about file `rel`.
        self._cache: dict[tuple, tuple[Any, frozenset[str]]] = {}
        self._keys_of: dict[str, list[tuple]] = {}
        self._local_keys_of: dict[str, list[tuple]] = {}  # the keys about unobservable bindings
        self._dependents: dict[str, list[tuple]] = {}  # dependency key -> keys of the answers that read it
        self._filed = 0  # entries in the two key tables (they are compacted when mostly stale)
        self._live = 0  # of which still refer to cached answers
        self.cycle_cuts = 0  # how many times a lookup met itself
        # Lookups in progress and the cycles among them (see `_cached`): the keys in progress and their depth,
        # per depth the lowest depth a cycle below it reached, the depths some cycle came back to, answers so far
        # of the questions in cycles, and the answers (with their record and low depth) of the questions of
        # components not closed yet, in the order they were answered.
        self._subtrees: dict[str, dict[str, list[str]]] = {}  # see `_subtree_methods`
        self._stack: list[tuple] = []
        self._open: dict[tuple, int] = {}
        self._low: list[int] = []
        self._cut: set[int] = set()
        self._approx: dict[tuple, Any] = {}
        self._members: dict[tuple, tuple[Any, set, int]] = {}
        self._order: list[tuple] = []

    # ---- bookkeeping ------------------------------------------------------------------------------------------

    def forget(self, rel: str, observable_unchanged: bool = False) -> None:
        """Drop what was derived from a file's facts and the answers about it (its content changed). Answers
        about other files stay: they can only have read what `signature` covers. When the file's signature is
        unchanged, only the answers about its unobservable bindings go (the others keep their indices, see
        `pyextract.exported_first`), and the tables of its observable bindings are kept."""
        previous = self._index.pop(rel, None)
        if observable_unchanged and previous is not None and rel in self.facts:
            self._index[rel] = PyFileIndex(rel, self.facts[rel], previous)
        keys = self._local_keys_of.pop(rel, [])
        if not observable_unchanged:
            keys += self._keys_of.pop(rel, [])
        for key in keys:
            dropped = self._cache.pop(key, None)
            if dropped is not None:
                self._live -= 1 + len(dropped[1])

    def invalidate(self, keys: Iterable[str]) -> None:
        """Forget the cached answers that read any of these dependency keys."""
        cache, dependents = self._cache, self._dependents
        subtrees = self._subtrees
        for key in keys:
            if subtrees and key.startswith(("subtree:", "overrides:")):
                subtrees.pop(key.partition(":")[2], None)
            for cached in dependents.pop(key, ()):
                dropped = cache.pop(cached, None)
                if dropped is not None:
                    self._live -= 1 + len(dropped[1])
        if self._filed > 3 * self._live + 200_000:
            self._compact()

    def _compact(self) -> None:
        """Rebuild the key lists from the live cache (they keep the keys of dropped answers)."""
        self._keys_of = {}
        self._local_keys_of = {}
        self._dependents = {}
        self._filed = self._live = 0
        for key, (_result, deps) in self._cache.items():
            self._file(key, deps)

    def _file(self, key: tuple, deps: frozenset[str]) -> None:
        rel = key[1]
        facts = self.facts.get(rel)
        # Answers about a binding that is not observable, or about a def inside a function, go when the file
        # changes at all (`forget`).
        if facts is None:
            local = False
        elif key[0] in ("val", "imp"):
            local = key[2] >= observable_count(facts)
        else:
            local = key[0] in ("cls", "mro", "bases", "over", "super", "ret") and local_defs(facts)[key[2]]
        (self._local_keys_of if local else self._keys_of).setdefault(rel, []).append(key)
        dependents = self._dependents
        for dep in deps:
            dependents.setdefault(dep, []).append(key)
        self._filed += 1 + len(deps)
        self._live += 1 + len(deps)

    def begin(self) -> None:
        """Start recording what the coming lookups read."""
        self.deps = set()

    def end(self) -> frozenset[str]:
        """What the lookups since `begin` read (cached answers replaced by what they read)."""
        deps = self._expand(self.deps)
        self.deps = set()
        return deps

    def _expand(self, collected: set) -> frozenset[str]:
        """Replace the cache keys among recorded items by the dependencies stored with them."""
        out: set[str] = set()
        cache = self._cache
        for item in collected:
            if type(item) is tuple:
                hit = cache.get(item)
                if hit is not None:
                    out |= hit[1]
                else:
                    out.add(item[1])  # an answer still being computed (a cycle): at least its file
            else:
                out.add(item)
        return frozenset(out)

    def index(self, rel: str) -> PyFileIndex | None:
        self.deps.add(rel)
        found = self._index.get(rel)
        if found is None:
            facts = self.facts.get(rel)
            if facts is None or facts.lang != "python":
                return None
            found = self._index[rel] = PyFileIndex(rel, facts)
        return found

    def _cached(self, key: tuple, compute: Callable[[], Any], empty: Any = ()) -> Any:
        """The answer stored under `key`, computing it first if needed. The caller's record gets the key itself,
        expanded into the answer's dependencies only once per resolved file (in `end`).

        Lookups can meet themselves (mutual and star imports, aliases that name each other, `self.x =
        self.x.f()` in many methods, class hierarchies that go round). Such lookups form a strongly connected
        component of questions; its answers are the fixpoint computed from its first question (Tarjan's
        algorithm): a question met again while in progress answers its current approximation (first `empty`),
        the component's first question is recomputed until no answer in the component changes, and then all of
        them are cached together. The answers do not depend on the order of earlier questions, and each
        question is computed a bounded number of times (caching nothing below a cycle cost n! on a cluster of n
        bindings that read each other)."""
        hit = self._cache.get(key)
        if hit is not None:
            self.deps.add(key)
            return hit[0]
        at = self._open.get(key)
        if at is not None:  # in progress: a cycle
            self.cycle_cuts += 1
            self._cut.add(at)
            if at < self._low[-1]:
                self._low[-1] = at
            self.deps.add(key)
            return self._approx.get(key, empty)
        member = self._members.get(key)
        if member is not None:  # answered in a component that is still open: an approximation as well
            if member[2] < self._low[-1]:
                self._low[-1] = member[2]
            self.deps.add(key)
            return member[0]
        depth = len(self._stack)
        self._stack.append(key)
        self._open[key] = depth
        self._low.append(depth)
        outer = self.deps
        try:
            rounds = 0
            while True:
                self.deps = set()
                order = len(self._order)
                result = compute()
                low = self._low[-1]
                if low < depth:  # part of a component opened further up: its final answer comes from there
                    self._members[key] = (result, self.deps, low)
                    self._order.append(key)
                    self._cut.discard(depth)
                    break
                if depth not in self._cut:  # no cycle through this question
                    self._cache[key] = hit = (result, self._expand(self.deps))
                    self._file(key, hit[1])
                    break
                members = self._order[order:]
                approx = self._approx
                if rounds < _MAX_ROUNDS and (approx.get(key, _NOTHING) != result or any(
                        approx.get(m, _NOTHING) != self._members[m][0] for m in members)):
                    rounds += 1  # not a fixpoint yet: again, from the new approximations
                    approx[key] = result
                    for m in members:
                        approx[m] = self._members.pop(m)[0]
                    del self._order[order:]
                    self._cut.discard(depth)
                    continue
                self._close(key, result, self.deps, members)
                del self._order[order:]
                self._cut.discard(depth)
                break
        finally:
            self._stack.pop()
            del self._open[key]
            self._low.pop()
            self.deps = outer
            if not self._stack:
                self._approx.clear()
                self._members.clear()
                self._order.clear()
                self._cut.clear()
        if self._low and low < self._low[-1]:
            self._low[-1] = low
        self.deps.add(key)
        return result

    def _close(self, key: tuple, result: Any, deps: set, members: list[tuple]) -> None:
        """Cache the answers of a closed component; they share their dependencies (they read each other)."""
        collected = set(deps)
        answers = {key: result}
        for m in members:
            answer, member_deps, _low = self._members.pop(m)
            answers[m] = answer
            collected |= member_deps
            self._approx.pop(m, None)
        self._approx.pop(key, None)
        collected.difference_update(answers)
        shared = self._expand(collected) | {k[1] for k in answers}
        for k, answer in answers.items():
            self._cache[k] = (answer, shared)
            self._file(k, shared)

    # ---- modules ----------------------------------------------------------------------------------------------

    def module_file(self, dotted: str) -> str | None:
        self.deps.add("mod:" + dotted)
        return self.modules.get(dotted)

    def _module_target(self, dotted: str) -> list[Target]:
        """What a dotted module name names: a file, a namespace package, or, for a name no file provides, the
        module an import binds under that name in its parent package (`os.path` is `posixpath`)."""
        rel = self.module_file(dotted)
        if rel is not None:
            return [(rel, "m", -1)]
        if dotted in self.prefixes:
            return [(dotted, "n", -1)]
        parent, _, name = dotted.rpartition(".")
        if parent:
            for target in self._module_target(parent):
                if target[1] == "m":
                    return [t for t in self.member_targets(("mod", target[0], 0), name) if t[1] == "m"]
        return []

    def absolute_module(self, rel: str, level: int, module: str) -> str:
        """The dotted name a (possibly relative) import names, seen from file `rel`."""
        if level == 0:
            return module
        parts = self.module_of.get(rel, "").split(".")
        if not rel.endswith(("/__init__.py", "/__init__.pyi")) and rel not in ("__init__.py", "__init__.pyi"):
            parts = parts[:-1]
        up = level - 1
        if up > len(parts):
            return ""
        parts = parts[:len(parts) - up] if up else parts
        if module:
            parts.append(module)
        return ".".join(p for p in parts if p)

    # ---- lookups ----------------------------------------------------------------------------------------------

    def lookup(self, rel: str, scope: int, name: str, pos: tuple[int, int] | None) -> list[Target]:
        """Targets of `name` used in scope `scope` of file `rel` at `pos` (Python's LEGB rule, classes skipped
        for nested scopes; in the scope of use, the last binding before `pos` wins)."""
        idx = self.index(rel)
        if idx is None:
            return []
        defs = idx.facts.defs
        s, first = scope, True
        while True:
            if s >= 0 and not first and defs[s][D_KIND] == CLASS:
                s = defs[s][D_PARENT]
                continue
            if s >= 0 and name in idx.globals.get(s, ()):
                s, first = -1, False
                continue
            found = idx.scopes.get(s, {}).get(name)
            if found:
                if first and pos is not None and len(found) > 1:
                    before = [i for i in found if (idx.facts.binds[i][B_LINE], idx.facts.binds[i][B_COL]) <= pos]
                    found = before[-1:] or found
                return self.follow(rel, found)
            if s < 0:
                break
            s, first = defs[s][D_PARENT], False
        for star in idx.stars.get(-1, ()):
            found_star = self._star_member(rel, star, name)
            if found_star:
                return found_star
        return []

    def follow(self, rel: str, binds: Iterable[int]) -> list[Target]:
        """Bindings -> targets: defs become defs, imports are followed, anything else stays a binding."""
        idx = self.index(rel)
        out: list[Target] = []
        for i in binds:
            b = idx.facts.binds[i]
            kind = b[B_KIND]
            if kind == DEF:
                out.append((rel, "d", b[B_HINT]))
            elif kind == IMPORT:
                out.extend(self.import_targets(rel, i) or [(rel, "b", i)])
            else:
                out.append((rel, "b", i))
        return _unique(out)

    def import_targets(self, rel: str, bind: int) -> list[Target]:
        return self._cached(("imp", rel, bind), lambda: self._import_targets(rel, bind))

    def _import_targets(self, rel: str, bind: int) -> list[Target]:
        idx = self.index(rel)
        level, module, name, head_only = idx.facts.binds[bind][B_HINT]
        dotted = self.absolute_module(rel, level, module)
        if name is None:
            if head_only:
                dotted = dotted.split(".", 1)[0]
            return self._module_target(dotted) if dotted else []
        if not dotted:
            return []
        value = self._module_value(dotted)
        if value is None:
            return []
        if value[1] == rel:  # a package importing from itself: `from . import sub` means its submodule
            sub = [t for t in self._module_target(dotted + "." + name) if t[1] == "m"]
            if sub:
                return sub
        return self.member_targets(value, name)

    def _module_value(self, dotted: str) -> Value | None:
        for target in self._module_target(dotted):
            return ("mod", target[0], 0) if target[1] == "m" else ("ns", target[0], 0)
        return None

    def _star_member(self, rel: str, star: int, name: str) -> list[Target]:
        idx = self.index(rel)
        level, module, _name, _head = idx.facts.binds[star][B_HINT]
        dotted = self.absolute_module(rel, level, module)
        value = self._module_value(dotted) if dotted else None
        if value is None or value[0] != "mod":
            return []
        source = self.index(value[1])
        if source is None:
            return []
        exported = source.facts.all_names
        if (name not in exported) if exported is not None else name.startswith("_"):
            return []
        return self.member_targets(value, name)

    def member_targets(self, value: Value, name: str) -> list[Target]:
        kind = value[0]
        if kind == "mod":
            return self._cached(("mod", value[1], name), lambda: self._module_member(value[1], name))
        if kind == "ns":
            return self._module_target(value[1] + "." + name)
        if kind in ("cls", "inst"):
            return self._cached(("cls", value[1], value[2], name), lambda: self._class_member(value, name, 0))
        if kind == "super":
            return self._cached(("super", value[1], value[2], name), lambda: self._class_member(value, name, 1))
        return []

    def _module_member(self, rel: str, name: str) -> list[Target]:
        idx = self.index(rel)
        if idx is None:
            return []
        found = idx.scopes.get(-1, {}).get(name)
        if found:
            return self.follow(rel, found)
        module = self.module_of.get(rel, "")
        if rel.endswith(("__init__.py", "__init__.pyi")) and module:
            sub = self._module_target(module + "." + name)
            if sub:
                return sub
        for star in idx.stars.get(-1, ()):
            found_star = self._star_member(rel, star, name)
            if found_star:
                return found_star
        if module and "__getattr__" in idx.scopes.get(-1, {}) and rel.endswith(("__init__.py", "__init__.pyi")):
            return self._lazy_member(module, name)
        return []

    def _lazy_member(self, package: str, name: str) -> list[Target]:
        """A name a package provides through a module `__getattr__` (lazy imports): the definition of that name
        at the top of one of the package's modules."""
        self.deps.add("mod:" + package + ".*")
        prefix = package + "."
        for dotted in sorted(m for m in self.modules if m.startswith(prefix) and "." not in m[len(prefix):]):
            rel = self.module_file(dotted)
            idx = self.index(rel) if rel is not None else None
            if idx is None:
                continue
            for i in idx.scopes.get(-1, {}).get(name, ()):
                b = idx.facts.binds[i]
                if b[B_KIND] == DEF:
                    return [(rel, "d", b[B_HINT])]
        return []

    def mro(self, rel: str, cls: int) -> list[tuple[str, int]]:
        """The class and its ancestors (depth first, left to right, each once)."""
        return self._cached(("mro", rel, cls), lambda: self._mro(rel, cls), [(rel, cls)])

    def _mro(self, rel: str, cls: int) -> list[tuple[str, int]]:
        out = [(rel, cls)]
        for base in self.base_classes(rel, cls):
            for entry in self.mro(*base):
                if entry not in out:
                    out.append(entry)
        return out

    def base_classes(self, rel: str, cls: int) -> list[tuple[str, int]]:
        return self._cached(("bases", rel, cls), lambda: self._base_classes(rel, cls))

    def _base_classes(self, rel: str, cls: int) -> list[tuple[str, int]]:
        idx = self.index(rel)
        d = idx.facts.defs[cls]
        out: list[tuple[str, int]] = []
        for base in d[D_EXTRA]:
            targets = self.resolve_dotted(rel, d[D_PARENT], base, (d[D_LINE], d[D_COL]))
            # A name bound to a class by assignment (`TestCase = unittest.TestCase`) stands for that class.
            found = [(t[0], t[2]) for t in targets if t[1] == "d"]
            if any(t[1] == "b" for t in targets):
                found += [(v[1], v[2]) for v in self.values(t for t in targets if t[1] == "b") if v[0] == "cls"]
            for base_rel, base_def in found:
                if self.index(base_rel).facts.defs[base_def][D_KIND] == CLASS:
                    if (base_rel, base_def) != (rel, cls) and (base_rel, base_def) not in out:
                        out.append((base_rel, base_def))
        return out

    def _class_member(self, value: Value, name: str, skip: int) -> list[Target]:
        for crel, cidx in self.mro(value[1], value[2])[skip:]:
            idx = self.index(crel)
            found = idx.scopes.get(cidx, {}).get(name)
            if found:
                return self.follow(crel, found)
            found = idx.self_attrs.get(cidx, {}).get(name)
            if found:
                return [(crel, "b", i) for i in found]
        return []

    def overrides(self, rel: str, cls: int, name: str) -> list[str]:
        """Node ids of the methods named `name` defined in subclasses of class `cls` (at any depth)."""
        return self._cached(("over", rel, cls, name), lambda: self._overrides(rel, cls, name))

    def _overrides(self, rel: str, cls: int, name: str) -> list[str]:
        # Depends on the class's subtree (`subtree:<id>`) and on which classes in it define `name`
        # (`override:<id>.<name>`): the workspace emits those keys for the ancestors of a class whose bases or
        # method names change, so an edit inside some subclass's method leaves this answer alone.
        root = self.index(rel).def_ids[cls]
        self.deps.add("subtree:" + root)
        self.deps.add(f"override:{root}.{name}")
        return list(self._subtree_methods(root).get(name, ()))

    def _subtree_methods(self, root: str) -> dict[str, list[str]]:
        """Method name -> node ids of the methods of that name defined in the subclasses of a class (at any
        depth, depth first, subclasses in id order): one walk of the subtree for all the names asked about it.
        Kept apart from the cache and its dependency records (the answers per name record finer keys); dropped
        on `subtree:<id>` or `overrides:<id>` (see `invalidate`)."""
        table = self._subtrees.get(root)
        if table is not None:
            return table
        table = {}
        seen: set[str] = set()
        todo = [root]
        while todo:
            for sub_id in sorted(self.subclasses_of(todo.pop())):
                if sub_id in seen:
                    continue
                seen.add(sub_id)
                todo.append(sub_id)
                idx = self._quiet_index(sub_id.split("::", 1)[0])
                methods = idx.methods().get(sub_id) if idx is not None else None
                for method_name, method in (methods or {}).items():
                    found = table.get(method_name)
                    if found is None:
                        table[method_name] = [method]
                    else:
                        found.append(method)
        self._subtrees[root] = table
        return table

    def _quiet_index(self, rel: str) -> PyFileIndex | None:
        """`index` without recording a dependency on the whole file (the caller records a finer one)."""
        deps, self.deps = self.deps, set()
        try:
            return self.index(rel)
        finally:
            self.deps = deps

    # ---- values -----------------------------------------------------------------------------------------------

    def values(self, targets: Iterable[Target]) -> list[Value]:
        out: list[Value] = []
        for rel, kind, i in targets:
            if kind == "m":
                out.append(("mod", rel, 0))
            elif kind == "n":
                out.append(("ns", rel, 0))
            elif kind == "d":
                out.append(("cls" if self.index(rel).facts.defs[i][D_KIND] == CLASS else "func", rel, i))
            else:
                out.extend(self._cached(("val", rel, i), lambda rel=rel, i=i: self._bind_values(rel, i)))
        return _unique(out)

    def _bind_values(self, rel: str, i: int) -> list[Value]:
        idx = self.index(rel)
        defs = idx.facts.defs
        b = idx.facts.binds[i]
        kind, scope, hint = b[B_KIND], b[B_SCOPE], b[B_HINT]
        if kind == PARAM and scope >= 0 and idx.first_params.get(scope) == i:
            owner = defs[scope][D_PARENT]
            if owner >= 0 and defs[owner][D_KIND] == CLASS and "staticmethod" not in defs[scope][D_DECORATORS]:
                return [("inst", rel, owner)]
        if not isinstance(hint, str) or len(hint) < 3:
            return []
        source, expr = hint[0], hint[2:]
        pos = (b[B_LINE], b[B_COL])
        found = self.values(self.resolve_dotted(rel, scope, expr, pos))
        if source == "n":
            return found
        out: list[Value] = []
        for value in found:
            if value[0] == "cls":
                out.append(("inst", value[1], value[2]))
            elif value[0] == "func" and source == "c":
                out.extend(self._returns(value[1], value[2]))
        return out

    def _returns(self, rel: str, func: int) -> list[Value]:
        """Instances a function returns: its return annotation, else what its `return` statements return."""
        return self._cached(("ret", rel, func), lambda: self._return_values(rel, func))

    def _return_values(self, rel: str, func: int) -> list[Value]:
        idx = self.index(rel)
        d = idx.facts.defs[func]
        annotation = return_annotation(d)
        if annotation:
            values = self.values(self.resolve_dotted(rel, d[D_PARENT], annotation, (d[D_LINE], d[D_COL])))
            return [("inst", v[1], v[2]) for v in values if v[0] == "cls"]
        out: list[Value] = []
        for i in idx.returns.get(func, ()):
            b = idx.facts.binds[i]
            source, chain = b[B_HINT][0], b[B_HINT][2:]
            first, _, rest = chain.partition(".")
            if first == SELF:
                owner = self._enclosing_class(rel, func)
                if owner is None:
                    continue
                found: list[Value] = [("inst", rel, owner)]
                for part in rest.split(".") if rest else ():
                    targets: list[Target] = []
                    for value in found:
                        targets.extend(self.member_targets(value, part))
                    found = self.values(targets)
            else:
                found = self.values(self.resolve_dotted(rel, func, chain, (b[B_LINE], b[B_COL])))
            for value in found:
                if source == "n":
                    out.append(value)
                elif value[0] == "cls":
                    out.append(("inst", value[1], value[2]))
                elif value[0] == "func" and source == "c":
                    out.extend(self._returns(value[1], value[2]))
        return _unique(out)

    # ---- names for completion ---------------------------------------------------------------------------------

    def visible_names(self, rel: str, scope: int) -> dict[str, str]:
        """Name -> kind ("class", "function", "module", "variable") of every name a use in def `scope` (-1: the
        module) can see: its own, then the enclosing functions' (classes skipped, as in `lookup`), the module's."""
        idx = self.index(rel)
        if idx is None:
            return {}
        found: dict[str, str] = {}
        for seen in _scopes_seen_from(idx, scope):
            for name, binds in idx.scopes.get(seen, {}).items():
                found.setdefault(name, self._bind_kind(idx, binds))
        return {name: kind for name, kind in found.items() if kind}

    def import_of(self, rel: str, scope: int, name: str) -> tuple | None:
        """The import record (level, module, name, head_only) of the binding of `name` seen from `scope`, if an
        import statement binds it there."""
        idx = self.index(rel)
        for seen in _scopes_seen_from(idx, scope) if idx is not None else ():
            binds = idx.scopes.get(seen, {}).get(name)
            if binds:
                b = idx.facts.binds[binds[0]]
                return b[B_HINT] if b[B_KIND] == IMPORT and isinstance(b[B_HINT], tuple) else None
        return None

    def member_names(self, value: Value) -> dict[str, str]:
        """Name -> kind of the members of a module, or of a class or instance with its bases' (nearest first)."""
        found: dict[str, str] = {}
        if value[0] == "mod":
            idx = self.index(value[1])
            for name, binds in (idx.scopes.get(-1, {}) if idx is not None else {}).items():
                found.setdefault(name, self._bind_kind(idx, binds))
        elif value[0] in ("cls", "inst"):
            for crel, cidx in self.mro(value[1], value[2]):
                idx = self.index(crel)
                for name, binds in idx.scopes.get(cidx, {}).items():
                    found.setdefault(name, self._bind_kind(idx, binds))
                for name in idx.self_attrs.get(cidx, {}):
                    found.setdefault(name, "variable")
        return {name: kind for name, kind in found.items() if kind}

    def _bind_kind(self, idx: PyFileIndex, binds: list[int]) -> str:
        """What the first binding of a name makes it; "" for declarations and records that bind no name. An import
        is followed to what it imports (a module, or the class or function `from m import f` names)."""
        b = idx.facts.binds[binds[0]]
        kind = b[B_KIND]
        if kind == DEF:
            return "class" if idx.facts.defs[b[B_HINT]][D_KIND] == CLASS else "function"
        if kind == IMPORT:
            values = self.values(self.import_targets(idx.rel, binds[0]))
            return {"cls": "class", "func": "function"}.get(values[0][0], "module") if values else "module"
        return "" if kind in (GLOBAL, NONLOCAL, RETURN, STAR) else "variable"

    # ---- chains -----------------------------------------------------------------------------------------------

    def resolve_dotted(self, rel: str, scope: int, dotted: str, pos: tuple[int, int] | None) -> list[Target]:
        """Targets of a name chain `a.b.c` used in `scope` at `pos`."""
        return self.resolve_chain(rel, scope, dotted.split("."), pos)[0]

    def resolve_chain(self, rel: str, scope: int, parts: list[str], pos: tuple[int, int] | None
                      ) -> tuple[list[Target], list[Value]]:
        """Targets of the chain, and the values of its next-to-last link (the receiver of the last name)."""
        if parts[0] == "super()":
            owner = self._enclosing_class(rel, scope)
            if owner is None or len(parts) < 2:
                return [], []
            receivers: list[Value] = [("super", rel, owner)]
            targets = self.member_targets(receivers[0], parts[1])
            rest = parts[2:]
        else:
            receivers = []
            targets = self.lookup(rel, scope, parts[0], pos)
            rest = parts[1:]
        for part in rest:
            if not targets:
                return [], []
            receivers = self.values(targets)
            found: list[Target] = []
            for value in receivers:
                found.extend(self.member_targets(value, part))
            targets = _unique(found)
        return targets, receivers

    def _enclosing_class(self, rel: str, scope: int) -> int | None:
        defs = self.index(rel).facts.defs
        while scope >= 0:
            parent = defs[scope][D_PARENT]
            if defs[scope][D_KIND] == FUNCTION and parent >= 0 and defs[parent][D_KIND] == CLASS:
                return parent
            scope = parent
        return None

    # ---- graph products ---------------------------------------------------------------------------------------

    def node_id(self, target: Target) -> str | None:
        rel, kind, i = target
        if kind == "m":
            return rel
        idx = self.index(rel)
        if idx is None:
            return None
        if kind == "d":
            return idx.def_ids[i]
        if kind == "b":
            b = idx.facts.binds[i]
            return idx.attr_of.get((b[B_SCOPE], b[B_NAME]))
        return None

    def extends_edges(self, rel: str) -> set[Edge]:
        idx = self.index(rel)
        out: set[Edge] = set()
        for i, d in enumerate(idx.facts.defs):
            if d[D_KIND] == CLASS:
                for base_rel, base in self.base_classes(rel, i):
                    out.add((idx.def_ids[i], self.index(base_rel).def_ids[base], EXTENDS))
        return out

    def import_edges(self, rel: str) -> set[Edge]:
        """The `imports` edges of file `rel`: from the file to what each import statement names."""
        idx = self.index(rel)
        facts = idx.facts
        out: set[Edge] = set()
        for i, b in [(i, b) for i, b in enumerate(facts.binds) if b[B_KIND] == IMPORT or b[B_KIND] == STAR]:
            kind = b[B_KIND]
            if kind == IMPORT:
                level, module, name, head_only = b[B_HINT]
                if head_only:  # `import a.b.c` imports the module a.b.c, though it binds `a`
                    targets = self._module_target(self.absolute_module(rel, level, module))
                else:
                    targets = self.import_targets(rel, i)
            elif kind == STAR:
                level, module, _name, _head = b[B_HINT]
                dotted = self.absolute_module(rel, level, module)
                targets = self._module_target(dotted) if dotted else []
            else:
                continue
            for target in targets:
                node_id = self.node_id(target)
                if node_id is not None and node_id != rel:
                    out.add((rel, node_id, IMPORTS))
        return out

    def call_edges(self, rel: str, scopes: set[int] | None = None,
                   ranges: Sequence[tuple[int, int]] | None = None) -> set[Edge]:
        """The `calls` edges of the calls made directly in the given scopes of file `rel` (all if None); `ranges`
        of the file's calls, when given, hold all the calls of those scopes."""
        idx = self.index(rel)
        def_ids = idx.def_ids
        out: set[Edge] = set()
        # Calls with the same callee in the same scope resolve alike unless the callee's first name has more
        # than one binding in that scope (then the one before the call counts).
        same: dict[tuple[int, str], list[str]] = {}
        scope_names = idx.scopes
        all_calls = idx.facts.calls
        if scopes is None:
            calls = all_calls
        elif ranges is not None:
            calls = [c for start, stop in ranges for c in all_calls[start:stop] if c[0] in scopes]
        else:
            calls = [c for c in all_calls if c[0] in scopes]
        for scope, callee, line, col in calls:
            key = (scope, callee)
            callees = same.get(key)
            if callees is None:
                callees = self.call_ids(rel, scope, callee, (line, col))
                first = callee.split(".", 1)[0]
                if len(scope_names.get(scope, {}).get(first, ())) < 2:
                    same[key] = callees
            caller = def_ids[scope] if scope >= 0 else rel
            for node_id in callees:
                out.add((caller, node_id, CALLS))
        return out

    def call_ids(self, rel: str, scope: int, callee: str, pos: tuple[int, int]) -> list[str]:
        """Node ids of the defs a call may reach: what the callee resolves to, plus the overrides of a method in
        the subclasses of the receiver's class (class hierarchy analysis, as CGM does)."""
        parts = callee.split(".")
        targets, receivers = self.resolve_chain(rel, scope, parts, pos)
        out = [self.index(t[0]).def_ids[t[2]] for t in targets if t[1] == "d"]
        if len(parts) > 1 and any(t[1] == "d" and self._is_function(t) for t in targets):
            for value in receivers:
                if value[0] in ("cls", "inst"):
                    out.extend(self.overrides(value[1], value[2], parts[-1]))
        return _unique(out)

    def _is_function(self, target: Target) -> bool:
        return self.index(target[0]).facts.defs[target[2]][D_KIND] == FUNCTION


def methods_by_class(rel: str, facts: FileFacts, def_ids: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Class id -> method name -> node id of the functions defined directly in each class of a file (the first
    of each name): what class hierarchy analysis reads of a subclass."""
    ids = def_ids if def_ids is not None else member_ids(rel, facts)[0]
    defs = facts.defs
    out: dict[str, dict[str, str]] = {}
    for i, d in enumerate(defs):
        parent = d[D_PARENT]
        if d[D_KIND] == FUNCTION and parent >= 0 and defs[parent][D_KIND] == CLASS:
            out.setdefault(ids[parent], {}).setdefault(d[D_NAME], ids[i])
    return out


def _unique(items: list) -> list:
    if len(items) < 2:
        return items
    return list(dict.fromkeys(items))



def return_annotation(d: tuple) -> str:
    header = d[D_HEADER]
    arrow = header.rfind("->")
    if arrow < 0:
        return ""
    annotation = header[arrow + 2:].rstrip(":").strip().strip("\"'")
    return annotation if annotation.replace(".", "").replace("_", "a").isalnum() else ""


def scope_contains(d: tuple, line: int, col: int) -> bool:
    return (d[D_LINE], d[D_COL]) <= (line, col) < (d[D_END_LINE], d[D_END_COL])



def _derived(facts: FileFacts, key: str, compute: Callable[[FileFacts], Any]) -> Any:
    """`facts.derived[key]`, computed once per version of the file's facts."""
    found = facts.derived.get(key)
    if found is None:
        found = facts.derived[key] = compute(facts)
    return found


def observable_count(facts: FileFacts) -> int:
    """How many of a file's bindings are observable: they come first (see `pyextract.exported_first`)."""
    return _derived(facts, "observable", _observable_count)


def _observable_count(facts: FileFacts) -> int:
    binds = facts.binds
    observable = observable_scopes(facts.defs, binds)
    for i, b in enumerate(binds):
        if not observable(b[B_SCOPE]):
            return i
    return len(binds)


def local_defs(facts: FileFacts) -> list[bool]:
    """For each def of a file, whether it sits inside a function (see `pyextract.nested_in_functions`)."""
    return _derived(facts, "nested", lambda f: nested_in_functions(f.defs))


def signature(facts: FileFacts) -> int:
    """A digest of everything in a Python file that other scopes' resolution can read: its defs (names, nesting,
    bases, return annotations, decorators) and its observable bindings (`pyextract.exported_first`), without
    their positions."""
    return _derived(facts, "signature", _signature)


def _signature(facts: FileFacts) -> int:
    defs = facts.defs
    observable = tuple(
        (b[B_SCOPE], b[B_NAME], b[B_KIND], b[B_HINT]) for b in facts.binds[:observable_count(facts)]
    )
    returns = tuple([(b[B_SCOPE], b[B_HINT]) for b in facts.binds if b[B_KIND] == RETURN])
    return hash((
        tuple((d[D_KIND], d[1], d[D_PARENT], tuple(d[D_EXTRA]), return_annotation(d), tuple(d[D_DECORATORS]))
              for d in defs),
        observable, returns, tuple((a[0], a[1]) for a in facts.attrs),
        tuple(facts.all_names) if facts.all_names is not None else None,
    ))
