"""Name resolution for the non-Python languages: imports to files, calls to definitions by name.

A call resolves to the definitions of its name in the same file, else in the files the file imports, else to the
one definition of that name in the project's files of the same language family (none when it is ambiguous).
Like the Python resolver it records what it read in `deps` (`name:<family>:<name>` for name-index lookups,
`path:<rel>` for files an import may name) so the workspace can re-resolve only what an edit can change.
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterable

from analysis.facts import D_NAME, FileFacts
from analysis.graph import CALLS, IMPORTS, member_ids
from analysis.languages import BY_NAME

Edge = tuple[str, str, str]

# Languages whose files see each other's names.
_FAMILY = {"javascript": "js", "typescript": "js", "tsx": "js", "c": "c", "cpp": "c"}


def family(lang: str) -> str:
    return _FAMILY.get(lang, lang)


class GenericResolver:
    def __init__(self, facts: dict[str, FileFacts]) -> None:
        self.facts = facts
        self.deps: set[str] = set()  # what lookups read since `begin`
        # family -> name -> {(rel, def index)}
        self._names: dict[str, dict[str, set[tuple[str, int]]]] = {}
        # basename -> rels, for suffix matches of import strings
        self._basenames: dict[str, set[str]] = {}

    def add_file(self, rel: str, facts: FileFacts) -> None:
        self._basenames.setdefault(posixpath.basename(rel), set()).add(rel)
        if facts.lang in ("python", "text"):
            return
        names = self._names.setdefault(family(facts.lang), {})
        for i, d in enumerate(facts.defs):
            names.setdefault(d[D_NAME], set()).add((rel, i))

    def remove_file(self, rel: str, facts: FileFacts) -> None:
        self._basenames.get(posixpath.basename(rel), set()).discard(rel)
        if facts.lang in ("python", "text"):
            return
        names = self._names.get(family(facts.lang), {})
        for i, d in enumerate(facts.defs):
            entry = names.get(d[D_NAME])
            if entry is not None:
                entry.discard((rel, i))
                if not entry:
                    del names[d[D_NAME]]

    def names_of(self, facts: FileFacts) -> list[str]:
        """The dependency keys a file's definitions answer (changed when they are added or removed)."""
        fam = family(facts.lang)
        return [f"name:{fam}:{d[D_NAME]}" for d in facts.defs]

    def begin(self) -> None:
        self.deps = set()

    def end(self) -> frozenset[str]:
        deps = frozenset(self.deps)
        self.deps = set()
        return deps

    def _note(self, key: str) -> None:
        self.deps.add(key)

    def _exists(self, rel: str) -> bool:
        self._note("path:" + rel)
        return rel in self.facts

    def _by_suffix(self, suffix: str) -> list[str]:
        base = posixpath.basename(suffix)
        self._note("base:" + base)
        return sorted(r for r in self._basenames.get(base, ()) if r == suffix or r.endswith("/" + suffix))

    def import_files(self, rel: str, target: str) -> list[str]:
        """The project files an import string of file `rel` names."""
        spec = BY_NAME[self.facts[rel].lang]
        here = posixpath.dirname(rel)
        style = spec.import_style
        if style == "relative":
            if not target.startswith("."):
                return []
            stem = posixpath.normpath(posixpath.join(here, target))
            return next(([stem + s] for s in spec.import_suffixes if self._exists(stem + s)), [])
        if style == "include":
            local = posixpath.normpath(posixpath.join(here, target))
            return [local] if self._exists(local) else self._by_suffix(target)[:1]
        if style == "dotted":
            parts = [p for p in target.split(".") if p and p != "*"]
            for k in range(len(parts), 0, -1):
                found = self._by_suffix("/".join(parts[:k]) + ".java")
                if found:
                    return found[:1]
            return []
        if style == "rust":
            parts = [p for p in target.replace("{", "::").replace("}", "").split("::") if p.strip()]
            parts = [p.strip() for p in parts if p.strip() not in ("crate", "self", "super")]
            for k in range(len(parts), 0, -1):
                for suffix in spec.import_suffixes:
                    found = self._by_suffix("/".join(parts[:k]) + suffix)
                    if found:
                        return found[:1]
            return []
        if style == "directory":
            parts = target.split("/")
            if len(parts) < 2:
                return []
            tail = "/".join(parts[-2:])
            self._note("dir:" + tail)
            return sorted(r for r in self.facts if posixpath.dirname(r).endswith(tail)
                          and self.facts[r].lang == "go")
        return []

    def _defs_named(self, rels: Iterable[str], name: str) -> list[tuple[str, int]]:
        out = []
        for r in rels:
            facts = self.facts.get(r)
            if facts is not None:
                out.extend((r, i) for i, d in enumerate(facts.defs) if d[D_NAME] == name)
        return out

    def imported_files(self, rel: str) -> list[str]:
        out: list[str] = []
        for target, _line, _col in self.facts[rel].imports:
            for found in self.import_files(rel, target):
                if found != rel and found not in out:
                    out.append(found)
                    self._note(found)
        return out

    def resolve_name(self, rel: str, name: str, imported: list[str] | None = None) -> list[tuple[str, int]]:
        """Definitions (file, def index) a name used in file `rel` refers to."""
        if imported is None:
            imported = self.imported_files(rel)
        targets = self._defs_named([rel], name) or self._defs_named(imported, name)
        if not targets:
            fam = family(self.facts[rel].lang)
            self._note(f"name:{fam}:{name}")
            candidates = self._names.get(fam, {}).get(name, ())
            targets = sorted(candidates) if len(candidates) == 1 else []
        return targets

    def edges(self, rel: str) -> set[Edge]:
        facts = self.facts[rel]
        self._note(rel)
        def_ids, _ = member_ids(rel, facts)
        imported = self.imported_files(rel)
        out: set[Edge] = {(rel, found, IMPORTS) for found in imported}
        id_cache: dict[str, list[str]] = {rel: def_ids}
        for scope, name, _line, _col in facts.calls:
            targets = self.resolve_name(rel, name, imported)
            caller = def_ids[scope] if scope >= 0 else rel
            for target_rel, i in targets:
                ids = id_cache.get(target_rel)
                if ids is None:
                    self._note(target_rel)
                    ids = id_cache[target_rel] = member_ids(target_rel, self.facts[target_rel])[0]
                out.add((caller, ids[i], CALLS))
        return out
