"""The live code graph of a workspace: index, buffers, incremental updates and navigation queries.

State per file: its facts (from the open buffer if there is one, else from disk), the graph nodes and `contains`
edges it owns, and its resolution products (`extends`, `imports`, `calls` edges that start in it) with the
dependency keys its resolution read. An update replaces the changed files' nodes, re-resolves those files, and
re-resolves other files only when something they read changed: the changed file's observable signature, a module
name, or the subclasses of a class they asked about (a reverse index from dependency key to files).

Every public method takes the workspace lock, so the language server may call them from any thread.
"""
from __future__ import annotations

import gc
import logging
import os
import posixpath
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import networkx as nx

from analysis import persist
from analysis.completion_names import NameCandidate
from analysis.document import Document
from analysis.extract import extract_source
from analysis.facts import (
    ASSIGN, B_HINT, B_KIND, B_NAME, B_SCOPE, D_DECORATORS, D_END_BYTE, D_EXTRA, D_KIND, D_NAME, D_PARENT, D_START_BYTE,
    RETURN, SELF_ATTR, FileFacts,
)
from analysis.folding import Fold
from analysis.genresolve import GenericResolver
from analysis.graph import (
    CALLS, CONTAINS, EXTENDS, REPO_ID, attribute_node, bulk_add, def_node, file_nodes, parent_dir, text_slicer,
)
from analysis.highlights import Occurrence
from analysis.indexer import extract_all
from analysis.languages import language_for_path
from analysis.modules import module_names, module_table
from analysis.navigation import Navigator
from analysis.pyextract import LocalEdit
from analysis.pyresolve import PythonResolver, local_edit_from, methods_by_class, return_annotation, signature
from analysis.scan import MAX_FILE_BYTES, Scanner, read_source
from analysis.signatures import Signature
from analysis.types import HoverFacts, IndexReport, Location, Pos, Span, SymbolInfo, TextEdit

logger = logging.getLogger(__name__)

Edge = tuple[str, str, str]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Build big structures without the cyclic collector rescanning them over and over (they hold no cycles),
    then move them to the permanent generation so later collections skip them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def _parents(extends: Iterable[Edge]) -> dict[str, set[str]]:
    """Class id -> the ids of the classes it extends, from `extends` edges."""
    out: dict[str, set[str]] = {}
    for u, v, _kind in extends:
        out.setdefault(u, set()).add(v)
    return out


def _ancestors_in(bases: dict[str, set[str]], classes: Iterable[str]) -> set[str]:
    """The given classes and all the classes they extend, directly or not."""
    out: set[str] = set()
    todo = list(classes)
    while todo:
        class_id = todo.pop()
        if class_id not in out:
            out.add(class_id)
            todo.extend(bases.get(class_id, ()))
    return out


def _package_node(directory: str) -> dict[str, str]:
    return {"type": "PACKAGE", "name": directory.replace("/", "."), "path": directory}


def _same_signature(old: FileFacts, new: FileFacts, edit: LocalEdit) -> bool:
    """Whether what `pyresolve.signature` reads is the same in `old` and `new`, which differ only in the ranges
    of `edit` (and in positions): compared in those ranges only."""
    if edit.all_names:
        return False
    for start, stop in (*edit.defs, *edit.classes):
        if [_def_part(d) for d in old.defs[start:stop]] != [_def_part(d) for d in new.defs[start:stop]]:
            return False
    for start, stop in edit.observable:
        before, after = old.binds[start:stop], new.binds[start:stop]
        if before != after and [_bind_part(b) for b in before] != [_bind_part(b) for b in after]:
            return False
    return all(_returns_part(old.binds[start:stop]) == _returns_part(new.binds[start:stop])
               for start, stop in edit.binds)


def _def_part(d: tuple) -> tuple:
    return d[D_KIND], d[D_NAME], d[D_PARENT], tuple(d[D_EXTRA]), return_annotation(d), tuple(d[D_DECORATORS])


def _bind_part(b: tuple) -> tuple:
    return b[B_SCOPE], b[B_NAME], b[B_KIND], b[B_HINT]


def _returns_part(binds: Sequence[tuple]) -> list[tuple]:
    """What a signature reads of a range of unobservable bindings: what functions return, which names are
    assigned (a class nested in a function has attributes too)."""
    return [(b[B_SCOPE], b[B_KIND], b[B_HINT] if b[B_KIND] == RETURN else b[B_NAME]) for b in binds
            if b[B_KIND] == RETURN or b[B_KIND] == ASSIGN or b[B_KIND] == SELF_ATTR]


def _generic_signature(facts: FileFacts) -> int:
    return hash((tuple((d[0], d[1], d[2]) for d in facts.defs), tuple(i[0] for i in facts.imports)))


class Workspace:
    """The code graph of one root folder, kept current with open buffers and file events."""

    def __init__(self, root: str | Path, *, exclude: Sequence[str] = (), cache_dir: str | Path | None = None,
                 max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = Path(root).expanduser().resolve()
        self.exclude = tuple(exclude)
        self.max_file_bytes = max_file_bytes
        folder = Path(cache_dir).expanduser() if cache_dir is not None else persist.default_cache_dir(self.root)
        self.cache_path = folder / persist.CACHE_FILE
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._lock = threading.RLock()
        self._scanner = Scanner(self.root, self.exclude, max_file_bytes)
        self._docs: dict[str, Document] = {}  # open buffers, by rel (or absolute path outside the root)
        self._reset()

    @property
    def lock(self) -> threading.RLock:
        """The lock every public method holds; hold it too while reading `graph` from another thread."""
        return self._lock

    def _reset(self) -> None:
        # The same graph object for the workspace's whole life: callers may keep a reference to it.
        self.graph.clear()
        self.graph.add_node(REPO_ID, type="REPO", name=self.root.name, path="")
        self._disk: dict[str, persist.CachedFile] = {}  # what is on disk, as last read
        self._facts: dict[str, FileFacts] = {}  # current content (buffer or disk)
        self._signatures: dict[str, int] = {}
        self._module_of: dict[str, str] = {}
        self._modules: dict[str, str] = {}
        self._prefixes: set[str] = set()
        self._owned_nodes: dict[str, list[str]] = {}
        self._owned_contains: dict[str, list[tuple[str, str]]] = {}
        self._dir_files: Counter[str] = Counter()
        self._ext_edges: dict[str, set[Edge]] = {}
        self._ref_edges: dict[str, set[Edge]] = {}
        self._ext_deps: dict[str, frozenset[str]] = {}
        self._ref_deps: dict[str, frozenset[str]] = {}
        self._rdeps: dict[str, set[str]] = {}
        self._rdeps_stale = False
        self._subclass_index: dict[str, set[str]] = {}  # class id -> ids of the classes that extend it
        self._bases: dict[str, set[str]] = {}  # class id -> ids of the classes it extends
        self._changed_methods: dict[str, dict[str, set[str]]] = {}  # see `_method_changes`, until resolved
        self._py = PythonResolver(self._facts, self._modules, self._module_of, self._prefixes, self._subclasses)
        self._gen = GenericResolver(self._facts)
        self._nav = Navigator(self)
        self.version = 0  # bumped on every change of the graph

    # ---- paths ------------------------------------------------------------------------------------------------

    def rel(self, path: str | Path) -> str | None:
        """The root-relative POSIX path of an absolute path inside the root (None outside it)."""
        try:
            full = os.path.abspath(os.fspath(path))
        except (TypeError, ValueError):
            return None
        root = str(self.root)
        if full == root or not full.startswith(root + os.sep):
            return None
        return full[len(root) + 1:].replace(os.sep, "/")

    def abs_path(self, rel: str) -> str:
        return str(self.root / rel)

    def _covered(self, rel: str) -> str | None:
        """The language of a file the graph covers (None if the scan rules leave it out)."""
        return self._scanner.language_of(rel)

    # ---- indexing ---------------------------------------------------------------------------------------------

    def index(self, *, use_cache: bool = True, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """(Re)build the graph from disk, reusing the cache for files whose size, time or digest match."""
        with self._lock, _gc_paused():
            started = time.perf_counter()
            self._reset()
            self._scanner = Scanner(self.root, self.exclude, self.max_file_bytes)
            sources = self._scanner.scan()
            cached = persist.load(self.cache_path, self.root) if use_cache else persist.CacheContent()
            disk: dict[str, persist.CachedFile] = {}
            to_extract: list[tuple[str, str, int]] = []
            for rel, source in sources.items():
                entry = cached.files.get(rel)
                if entry is not None and entry.lang == source.lang:
                    if entry.size == source.size and entry.mtime_ns == source.mtime_ns:
                        disk[rel] = entry
                        continue
                    text = read_source(self.root / rel, source.lang)
                    if text is not None and text.digest == entry.digest:
                        disk[rel] = persist.CachedFile(source.lang, source.size, source.mtime_ns, entry.digest,
                                                       entry.facts)
                        continue
                to_extract.append((rel, source.lang, source.size))
            total = len(sources)
            if progress is not None:
                progress(total - len(to_extract), total)
            reused = len(disk)
            for rel, digest, facts, blob in extract_all(
                self.root, to_extract,
                (lambda done: progress(reused + done, total)) if progress is not None else None,
            ):
                source = sources[rel]
                disk[rel] = persist.CachedFile(source.lang, source.size, source.mtime_ns, digest or "", facts, blob)
            self._disk = disk
            changed = {job[0] for job in to_extract}
            self._load(disk, cached, changed)
            cache_state = "hit" if not to_extract and set(cached.files) == set(disk) else (
                "miss" if len(to_extract) == len(sources) or not cached.files else "partial")
            if cache_state != "hit":
                self._save()  # before the buffers go in: the cache describes the files on disk
            for entry in disk.values():
                entry.blob = None
            for rel, doc in self._docs.items():
                if not os.path.isabs(rel) and self._covered(rel):
                    self._update({rel: doc.facts()})
            self.version += 1
            return self._report(time.perf_counter() - started, cache_state)

    def _load(self, disk: dict[str, persist.CachedFile], cached: persist.CacheContent, changed: set[str]) -> None:
        """Build the graph from the files' facts; reuse cached edges of files nothing relevant changed for."""
        for rel, entry in disk.items():
            if entry.facts is not None:
                self._facts[rel] = entry.facts
        self._refresh_modules()
        nodes: list[tuple[str, dict]] = []
        contains: list[Edge] = []
        for rel, facts in self._facts.items():
            self._gen.add_file(rel, facts)
            file_node_table, file_contains = file_nodes(rel, facts, self._module_of.get(rel, ""))
            nodes.extend(file_node_table.items())
            contains.extend((u, v, CONTAINS) for u, v in file_contains)
            self._owned_nodes[rel] = list(file_node_table)
            self._owned_contains[rel] = file_contains
            for directory in reversed(self._dirs_above(rel)):
                self._dir_files[directory] += 1
                if self._dir_files[directory] == 1 and directory != REPO_ID:
                    nodes.append((directory, _package_node(directory)))
                    contains.append((parent_dir(directory), directory, CONTAINS))
            contains.append((parent_dir(rel), rel, CONTAINS))
        bulk_add(self.graph, nodes, contains)
        del nodes, contains
        gone = set(cached.files) - set(self._facts)
        reusable = {rel for rel in self._facts if rel not in changed and rel in cached.edges}
        dirty = set(self._facts) - reusable
        if reusable:
            keys: set[str] = set()
            rdeps: dict[str, set[str]] = {}
            for rel in reusable:
                for key in cached.deps.get(rel, ()):
                    rdeps.setdefault(key, set()).add(rel)
            cached_bases = _parents(e for edges in cached.edges.values() for e in edges if e[2] == EXTENDS)
            for rel in changed | gone:
                old = cached.files.get(rel)
                old_facts, new_facts = old.facts if old is not None else None, self._facts.get(rel)
                keys |= self._change_keys(rel, old_facts, new_facts)
                methods = self._method_changes(rel, old_facts, new_facts)
                if new_facts is not None:
                    self._changed_methods[rel] = methods  # for the new hierarchy, when the file is resolved
                # The cached edges give the old hierarchy; whether a class's bases changed is not known yet.
                old_classes = _parents(e for e in cached.edges.get(rel, ()) if e[2] == EXTENDS)
                for class_id in set(old_classes) | set(methods):
                    ancestors = _ancestors_in(cached_bases, cached_bases.get(class_id, ()))
                    keys |= self._hierarchy_keys(ancestors, methods.get(class_id, ()), class_id in old_classes)
            old_modules = {rel: m for rel, m in module_names(
                r for r, f in cached.files.items() if f.lang == "python").items()}
            for rel in set(old_modules) | set(self._module_of):
                if old_modules.get(rel) != self._module_of.get(rel):
                    for module in (old_modules.get(rel), self._module_of.get(rel)):
                        if module:
                            keys.add("mod:" + module)
                            keys.add("mod:" + module.rpartition(".")[0] + ".*")
                    dirty.add(rel)
            for key in keys:
                dirty |= rdeps.get(key, set())
            for rel in reusable - dirty:
                ext, ref = set(), set()
                for edge in cached.edges[rel]:
                    (ext if edge[2] == EXTENDS else ref).add(edge)
                self._ext_edges[rel], self._ref_edges[rel] = ext, ref
                self._index_extends((), ext)
                self._ext_deps[rel], self._ref_deps[rel] = frozenset(), frozenset(cached.deps.get(rel, ()))
                self._add_edges(ext)
                self._add_edges(ref)
            self._rdeps_stale = True  # rebuilt on first use: a warm start may never need it
        self._resolve(dirty)

    def _save(self) -> None:
        content = persist.CacheContent(
            files=self._disk,
            edges={rel: sorted(self._ext_edges.get(rel, set()) | self._ref_edges.get(rel, set()))
                   for rel in self._disk if rel in self._facts},
            deps={rel: sorted(self._ext_deps.get(rel, frozenset()) | self._ref_deps.get(rel, frozenset()))
                  for rel in self._disk if rel in self._facts},
        )
        try:
            persist.save(self.cache_path, self.root, content)
        except OSError as err:
            logger.warning("cannot write the graph cache %s: %s", self.cache_path, err)

    def _report(self, seconds: float, cache_state: str) -> IndexReport:
        nodes = Counter(data["type"] for data in self.graph._node.values())
        return IndexReport(files=len(self._facts), nodes=dict(sorted(nodes.items())),
                           edges=dict(sorted(self._edge_counts().items())), seconds=round(seconds, 3),
                           cache=cache_state)

    def _edge_counts(self) -> Counter[str]:
        """Edges by type, from the bookkeeping (counting the graph's adjacency would cost more)."""
        counts: Counter[str] = Counter()
        counts[CONTAINS] = sum(map(len, self._owned_contains.values())) + len(self._owned_nodes) + sum(
            1 for d in self._dir_files if d != REPO_ID)
        for table in (self._ext_edges, self._ref_edges):
            for edges in table.values():
                for _u, _v, kind in edges:
                    counts[kind] += 1
        return +counts

    # ---- module names and directories -------------------------------------------------------------------------

    def _refresh_modules(self) -> set[str]:
        """Recompute module names; returns the files whose module name changed."""
        new = module_names(rel for rel, f in self._facts.items() if f.lang == "python")
        changed = {rel for rel in set(new) | set(self._module_of) if new.get(rel) != self._module_of.get(rel)}
        modules, prefixes = module_table(new)
        self._module_of.clear()
        self._module_of.update(new)
        self._modules.clear()
        self._modules.update(modules)
        self._prefixes.clear()
        self._prefixes.update(prefixes)
        return changed

    def _dirs_above(self, rel: str) -> list[str]:
        """The directory nodes above a file, innermost first, ending with the repository node."""
        chain = [parent_dir(rel)]
        while chain[-1] != REPO_ID:
            chain.append(parent_dir(chain[-1]))
        return chain

    def _add_dirs(self, rel: str) -> None:
        """Count a new file in the directories above it, creating their PACKAGE nodes as needed."""
        graph = self.graph
        nodes: list[tuple[str, dict]] = []
        edges: list[Edge] = []
        for directory in reversed(self._dirs_above(rel)):
            self._dir_files[directory] += 1
            if self._dir_files[directory] == 1 and directory != REPO_ID:
                nodes.append((directory, _package_node(directory)))
                edges.append((parent_dir(directory), directory, CONTAINS))
        edges.append((parent_dir(rel), rel, CONTAINS))
        bulk_add(graph, nodes, edges)

    def _remove_dirs(self, rel: str) -> None:
        """Uncount a removed file; directories left without files lose their nodes."""
        for directory in self._dirs_above(rel):
            self._dir_files[directory] -= 1
            if self._dir_files[directory] <= 0 and directory != REPO_ID:
                del self._dir_files[directory]
                self.graph.remove_node(directory)

    # ---- graph pieces -----------------------------------------------------------------------------------------

    def _signature_after(self, old: FileFacts | None, new: FileFacts) -> int:
        """The signature of `new`; after an edit that kept the layout and changed nothing observable in the
        re-extracted chunks, that of `old` (without going over the whole file)."""
        edit = local_edit_from(old, new) if old is not None and new.lang == "python" else None
        if edit is not None and "signature" in old.derived and _same_signature(old, new, edit):
            new.derived["signature"] = old.derived["signature"]
        return self._signature(new)

    def _signature(self, facts: FileFacts) -> int:
        if facts.lang == "python":
            return signature(facts)
        if facts.lang == "text":
            return 0
        return _generic_signature(facts)

    def _refresh_file_nodes(self, rel: str, old: FileFacts, facts: FileFacts, touched: set[int]) -> None:
        """`_put_file_nodes` for an edit that kept the file's signature (so its node ids and `contains` edges):
        only the FILE node, the defs whose records changed or that hold the re-extracted scopes `touched`, and
        the attributes whose records changed get new attributes."""
        node_data = self.graph._node
        node_data[rel]["text"] = facts.text
        defs, old_defs = facts.defs, old.defs
        stale = set()
        for i in touched:
            while 0 <= i and i not in stale:  # a def's text holds its nested defs' text
                stale.add(i)
                i = defs[i][D_PARENT]
        text, old_text = text_slicer(facts.text), text_slicer(old.text)
        # The bytes the edits replaced, when `facts` come from edits of `old`: a def that does not reach them kept
        # its text.
        touched = facts.derived.get("touched") if local_edit_from(old, facts) is not None else None
        low, high = touched if touched is not None else (0, len(facts.text) * 4)
        for i, (d, before) in enumerate(zip(defs, old_defs)):
            # An edit between a split class's chunks (a comment, blank lines) changes no record and re-extracts no
            # scope, but it changes the text of the defs around it.
            if d[:D_START_BYTE] != before[:D_START_BYTE] or (
                    i not in stale and d[D_START_BYTE] <= high and low <= d[D_END_BYTE]
                    and text(d[D_START_BYTE], d[D_END_BYTE]) != old_text(before[D_START_BYTE], before[D_END_BYTE])):
                while 0 <= i and i not in stale:
                    stale.add(i)
                    i = defs[i][D_PARENT]
        index = self._py.index(rel)
        def_ids, attr_ids = index.def_ids, index.attr_ids
        for i in stale:
            node_data[def_ids[i]].update(def_node(rel, node_data[def_ids[i]]["qualname"], defs[i], text))
        for k, (a, before) in enumerate(zip(facts.attrs, old.attrs)):
            if a != before:
                node_data[attr_ids[k]].update(attribute_node(rel, node_data[attr_ids[k]]["qualname"], a))

    def _put_file_nodes(self, rel: str, facts: FileFacts | None) -> None:
        """Make the graph hold exactly the nodes and `contains` edges of the file's current facts."""
        graph = self.graph
        old_ids = self._owned_nodes.get(rel, [])
        old_contains = self._owned_contains.get(rel, [])
        if facts is None:
            for u, v in old_contains:
                if graph.has_edge(u, v, CONTAINS):
                    graph.remove_edge(u, v, CONTAINS)
            graph.remove_nodes_from([n for n in old_ids if n in graph])
            self._owned_nodes.pop(rel, None)
            self._owned_contains.pop(rel, None)
            if old_ids:
                self._remove_dirs(rel)
            return
        nodes, contains = file_nodes(rel, facts, self._module_of.get(rel, ""))
        if old_ids:
            graph.remove_nodes_from([n for n in old_ids if n not in nodes and n in graph])
        node_data = graph._node  # networkx's node attribute table: the cheap way to compare and update in place
        added: list[tuple[str, dict]] = []
        for node_id, attrs in nodes.items():
            current = node_data.get(node_id)
            if current is None:
                added.append((node_id, attrs))
            elif current != attrs:
                current.clear()
                current.update(attrs)
        new_contains = set(contains)
        for u, v in old_contains:
            if (u, v) not in new_contains and graph.has_edge(u, v, CONTAINS):
                graph.remove_edge(u, v, CONTAINS)
        old_set = set(old_contains)
        bulk_add(graph, added, [(u, v, CONTAINS) for u, v in contains
                                if (u, v) not in old_set or not graph.has_edge(u, v, CONTAINS)])
        if not old_ids:
            self._add_dirs(rel)
        self._owned_nodes[rel] = list(nodes)
        self._owned_contains[rel] = contains

    def _add_edges(self, edges: Iterable[Edge]) -> None:
        bulk_add(self.graph, (), edges)

    def _remove_edges(self, edges: Iterable[Edge]) -> None:
        graph = self.graph
        for u, v, kind in edges:
            if graph.has_edge(u, v, kind):
                graph.remove_edge(u, v, kind)

    def _subclasses(self, class_id: str) -> Iterable[str]:
        return self._subclass_index.get(class_id, ())

    def _index_extends(self, removed: Iterable[Edge], added: Iterable[Edge]) -> None:
        """Keep the subclass and base-class tables in step with the `extends` edges."""
        for table, (first, second) in ((self._subclass_index, (1, 0)), (self._bases, (0, 1))):
            for edge in removed:
                entries = table.get(edge[first])
                if entries is not None:
                    entries.discard(edge[second])
                    if not entries:
                        del table[edge[first]]
            for edge in added:
                table.setdefault(edge[first], set()).add(edge[second])

    # ---- incremental updates ----------------------------------------------------------------------------------

    def _change_keys(self, rel: str, old: FileFacts | None, new: FileFacts | None) -> set[str]:
        """Dependency keys whose answers change when a file's observable content changes."""
        keys = {rel, "path:" + rel, "base:" + posixpath.basename(rel)}
        directory = posixpath.dirname(rel)
        keys.add("dir:" + "/".join(directory.split("/")[-2:]))
        for facts in (old, new):
            if facts is not None and facts.lang not in ("python", "text"):
                keys.update(self._gen.names_of(facts))
        return keys

    def _method_changes(self, rel: str, old: FileFacts | None, new: FileFacts | None) -> dict[str, set[str]]:
        """Class id -> names of the methods added, removed or renamed in a file's classes."""
        before = methods_by_class(rel, old) if old is not None and old.lang == "python" else {}
        after = methods_by_class(rel, new) if new is not None and new.lang == "python" else {}
        changes: dict[str, set[str]] = {}
        for class_id in set(before) | set(after):
            old_methods, new_methods = before.get(class_id, {}), after.get(class_id, {})
            names = {n for n in set(old_methods) | set(new_methods) if old_methods.get(n) != new_methods.get(n)}
            if names:
                changes[class_id] = names
        return changes

    def _ancestors(self, classes: Iterable[str]) -> set[str]:
        return _ancestors_in(self._bases, classes)

    def _hierarchy_keys(self, ancestors: set[str], names: Iterable[str], bases_changed: bool) -> set[str]:
        """Keys of the override lookups that a class with these (strict) ancestors can change: `subtree:` when
        its bases changed, `override:<ancestor>.<name>` for the method names it added or removed."""
        keys = {f"override:{a}.{n}" for a in ancestors for n in names}
        if keys:
            keys.update("overrides:" + a for a in ancestors)  # the resolver's table of a subtree's methods
        if bases_changed:
            keys.update("subtree:" + a for a in ancestors)
        return keys

    def _update(self, changes: dict[str, FileFacts | None], scopes: dict[str, set[int] | None] | None = None
                ) -> None:
        """Apply new content (None: the file is gone) for some files and re-resolve what depends on them.
        `scopes` may tell, per file, the only scopes whose calls changed (see `Document.changed_scopes`)."""
        keys: set[str] = set()
        structure = False
        observable = False
        previous: dict[str, FileFacts | None] = {}
        for rel, facts in changes.items():
            old = previous[rel] = self._facts.get(rel)
            if old is None and facts is None:
                continue
            structure |= (old is None) != (facts is None)
            new_signature = self._signature_after(old, facts) if facts is not None else None
            old_signature = self._signatures.get(rel)
            if old_signature is None and old is not None:
                old_signature = self._signature(old)  # signatures are computed when first needed
            if new_signature != old_signature or old is None or facts is None:
                observable = True
                keys |= self._change_keys(rel, old, facts)
                changed_methods = self._method_changes(rel, old, facts)
                if changed_methods:
                    self._changed_methods[rel] = changed_methods
            if old is not None:
                self._gen.remove_file(rel, old)
            if facts is not None:
                self._facts[rel] = facts  # forget() reads the new facts
            self._py.forget(rel, observable_unchanged=new_signature == old_signature)
            if facts is None:
                self._facts.pop(rel, None)
                self._signatures.pop(rel, None)
                gone = self._ext_edges.pop(rel, set())
                for class_id, bases in _parents(gone).items():
                    keys |= self._hierarchy_keys(self._ancestors(bases), self._changed_methods.get(rel, {}).get(
                        class_id, ()), True)
                self._changed_methods.pop(rel, None)
                self._index_extends(gone, ())
                self._ref_edges.pop(rel, None)
                self._set_deps(rel, frozenset(), frozenset())
                self._ext_deps.pop(rel, None)
                self._ref_deps.pop(rel, None)
            else:
                self._facts[rel] = facts
                self._signatures[rel] = new_signature
                self._gen.add_file(rel, facts)
        refreshed: set[str] = set()
        if structure:
            old_module_of, old_prefixes = dict(self._module_of), set(self._prefixes)
            for rel in self._refresh_modules():
                refreshed.add(rel)
                self._py.forget(rel)
                keys.add(rel)
                for module in (old_module_of.get(rel), self._module_of.get(rel)):
                    if module:
                        keys.add("mod:" + module)
                        keys.add("mod:" + module.rpartition(".")[0] + ".*")  # the package's list of modules
            keys.update("mod:" + p for p in old_prefixes ^ self._prefixes)
        self._py.invalidate(keys)
        # Nothing other scopes see changed: only the calls of the re-extracted scopes need resolving again.
        partial = {rel: s for rel, s in (scopes or {}).items() if s is not None} if not (observable or structure) \
            else {}
        for rel in set(changes) | refreshed:
            if rel in partial and previous.get(rel) is not None:
                self._refresh_file_nodes(rel, previous[rel], self._facts[rel], partial[rel])
            else:
                self._put_file_nodes(rel, self._facts.get(rel))
        dirty = {rel for rel in set(changes) | refreshed if rel in self._facts}
        rdeps = self._reverse_deps()
        for key in keys:
            dirty |= rdeps.get(key, set())
        local = {rel: edit for rel in partial if previous.get(rel) is not None and rel in self._facts
                 and (edit := local_edit_from(previous[rel], self._facts[rel])) is not None}
        self._resolve(dirty, partial, local=local)
        self.version += 1

    def _reverse_deps(self) -> dict[str, set[str]]:
        """Dependency key -> the files whose resolution read it."""
        if self._rdeps_stale:
            rdeps: dict[str, set[str]] = {}
            for table in (self._ext_deps, self._ref_deps):
                for rel, keys in table.items():
                    for key in keys:
                        rdeps.setdefault(key, set()).add(rel)
            self._rdeps = rdeps
            self._rdeps_stale = False
        return self._rdeps

    def _set_deps(self, rel: str, ext: frozenset[str], ref: frozenset[str]) -> None:
        if self._ext_deps.get(rel) == ext and self._ref_deps.get(rel) == ref:
            return
        if self._rdeps_stale:
            self._ext_deps[rel], self._ref_deps[rel] = ext, ref
            return
        old = self._ext_deps.get(rel, frozenset()) | self._ref_deps.get(rel, frozenset())
        new = ext | ref
        for key in old - new:
            holders = self._rdeps.get(key)
            if holders is not None:
                holders.discard(rel)
                if not holders:
                    del self._rdeps[key]
        for key in new - old:
            self._rdeps.setdefault(key, set()).add(rel)
        self._ext_deps[rel], self._ref_deps[rel] = ext, ref

    def _resolve(self, dirty: set[str], partial: dict[str, set[int]] | None = None,
                 hierarchy_keys: set[str] | None = None, local: dict[str, LocalEdit] | None = None) -> None:
        """Re-resolve files: class bases first (the subclass index feeds call resolution), then references.
        For a file in `partial`, only the calls of the given scopes are resolved again; for one in `local` as
        well (its edit kept the layout), only the calls those scopes' chunks make, and its imports only if
        those chunks import something."""
        partial = partial or {}
        local = local or {}
        py, gen = self._py, self._gen
        hierarchy_keys = set(hierarchy_keys or ())
        for rel in sorted(dirty):
            facts = self._facts.get(rel)
            if facts is None or facts.lang != "python" or rel in partial:  # bases are part of the signature
                continue
            py.begin()
            edges = py.extends_edges(rel)
            deps = py.end()
            old = self._ext_edges.get(rel, set())
            changed_methods = self._changed_methods.pop(rel, {})
            if edges != old or changed_methods:
                old_parents, new_parents = _parents(old), _parents(edges)
                classes = set(old_parents) | set(new_parents) | set(changed_methods)
                before = {c: self._ancestors(old_parents.get(c, ())) for c in classes}
                self._remove_edges(old - edges)
                self._add_edges(edges - old)
                self._index_extends(old - edges, edges - old)
                self._ext_edges[rel] = edges
                for class_id in classes:
                    ancestors = before[class_id] | self._ancestors(new_parents.get(class_id, ()))
                    hierarchy_keys |= self._hierarchy_keys(
                        ancestors, changed_methods.get(class_id, ()),
                        old_parents.get(class_id) != new_parents.get(class_id))
            self._set_deps(rel, deps, self._ref_deps.get(rel, frozenset()))
        more: set[str] = set()
        if hierarchy_keys:
            py.invalidate(hierarchy_keys)
            rdeps = self._reverse_deps()
            for key in hierarchy_keys:
                more |= rdeps.get(key, set())
        for rel in sorted(dirty | more):
            facts = self._facts.get(rel)
            if facts is None:
                continue
            if facts.lang == "python" and rel in local:
                self._resolve_local(rel, partial[rel], local[rel])
                continue
            if facts.lang == "python" and rel in partial:
                py.begin()
                scopes = partial[rel]
                def_ids = py.index(rel).def_ids
                sources = {def_ids[scope] if scope >= 0 else rel for scope in scopes}
                kept = {e for e in self._ref_edges.get(rel, ()) if e[2] == CALLS and e[0] not in sources}
                edges = kept | py.import_edges(rel) | py.call_edges(rel, scopes)
                deps = py.end() | self._ref_deps.get(rel, frozenset())
            elif facts.lang == "python":
                py.begin()
                edges = py.import_edges(rel) | py.call_edges(rel)
                deps = py.end()
            elif facts.lang == "text":
                edges, deps = set(), frozenset()
            else:
                gen.begin()
                edges = gen.edges(rel)
                deps = gen.end()
            old = self._ref_edges.get(rel, set())
            if edges != old:
                self._remove_edges(old - edges)
                self._add_edges(edges - old)
                self._ref_edges[rel] = edges
            self._set_deps(rel, self._ext_deps.get(rel, frozenset()), deps)

    def _resolve_local(self, rel: str, scopes: set[int], edit: LocalEdit) -> None:
        """Re-resolve the calls of the given scopes of a file after an edit that kept its layout: the calls
        edges that leave those scopes' nodes are compared with the graph's (not the file's edge set)."""
        py = self._py
        py.begin()
        def_ids = py.index(rel).def_ids
        sources = {def_ids[scope] if scope >= 0 else rel for scope in scopes}
        inside = all(any(start <= scope < stop for start, stop in edit.defs) for scope in scopes)
        new = py.call_edges(rel, scopes, edit.calls if inside else None)
        succ = self.graph._succ
        old = {(source, target, CALLS) for source in sources for target, kinds in succ.get(source, {}).items()
               if CALLS in kinds}
        if edit.imports:
            new_imports = py.import_edges(rel)
            old_imports = {e for e in self._ref_edges.get(rel, ()) if e[2] != CALLS}
            old |= old_imports - new_imports
            new |= new_imports - old_imports
        deps = py.end()
        edges = self._ref_edges.setdefault(rel, set())
        gone, added = old - new, new - old
        if gone or added:
            edges -= gone
            edges |= added
            self._remove_edges(gone)
            self._add_edges(added)
        before = self._ref_deps.get(rel, frozenset())
        if not deps <= before:
            self._set_deps(rel, self._ext_deps.get(rel, frozenset()), deps | before)

    def _disk_facts(self, rel: str) -> FileFacts | None:
        """Read a file from disk (refreshing the disk record); None if it is gone or not covered."""
        lang = self._covered(rel)
        path = self.root / rel
        if lang is None or not path.is_file():
            self._disk.pop(rel, None)
            return None
        try:
            stat = path.stat()
        except OSError:
            self._disk.pop(rel, None)
            return None
        if stat.st_size > self.max_file_bytes:
            self._disk.pop(rel, None)
            return None
        entry = self._disk.get(rel)
        if entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
            return entry.facts
        source = read_source(path, lang)
        if source is None:
            self._disk[rel] = persist.CachedFile(lang, stat.st_size, stat.st_mtime_ns, "", None)
            return None
        if entry is not None and entry.digest == source.digest and entry.facts is not None:
            facts = entry.facts
        else:
            facts = extract_source(lang, source)
        self._disk[rel] = persist.CachedFile(lang, stat.st_size, stat.st_mtime_ns, source.digest, facts)
        return facts

    # ---- buffers and file events ------------------------------------------------------------------------------

    def _doc_key(self, path: str) -> str:
        rel = self.rel(path)
        return rel if rel is not None else os.path.abspath(path)

    def open(self, path: str, text: str) -> None:
        """Track a buffer: from now on its text, not the disk's, is the file's content."""
        with self._lock:
            key = self._doc_key(path)
            lang = language_for_path(key) or "text"
            doc = Document(lang, text)
            self._docs[key] = doc
            if not os.path.isabs(key) and self._covered(key):
                self._update({key: doc.facts()})

    def change(self, path: str, edits: Sequence[TextEdit]) -> None:
        """Apply edits (in order, LSP semantics) to an open buffer and update the graph incrementally."""
        with self._lock:
            key = self._doc_key(path)
            doc = self._docs.get(key)
            if doc is None:
                return
            for edit in edits:
                doc.apply(edit)
            self._refresh_buffer(key, doc)

    def settle(self, path: str) -> bool:
        """Once a buffer's edits pause: if they left its tree with syntax errors, re-parse it from scratch
        (`Document.settle`) and update the graph, which then equals a fresh build's. True if the tree was re-parsed."""
        with self._lock:
            key = self._doc_key(path)
            doc = self._docs.get(key)
            if doc is None or not doc.settle():
                return False
            self._refresh_buffer(key, doc)
            return True

    def _refresh_buffer(self, key: str, doc: Document) -> None:
        """Bring the graph up to an open buffer's text (only the scopes it re-extracted), if the graph covers it."""
        if not os.path.isabs(key) and self._covered(key):
            facts = doc.facts()
            self._update({key: facts}, {key: doc.changed_scopes})

    def close(self, path: str) -> None:
        """Stop tracking a buffer; the file's content is the disk's again."""
        with self._lock:
            key = self._doc_key(path)
            if self._docs.pop(key, None) is None or os.path.isabs(key):
                return
            self._update({key: self._disk_facts(key)})

    def save(self, path: str) -> None:
        """The buffer was written: refresh the disk record (the buffer stays authoritative while open)."""
        with self._lock:
            key = self._doc_key(path)
            if os.path.isabs(key):
                return
            facts = self._disk_facts(key)
            if key not in self._docs:
                self._update({key: facts})

    def files_changed(self, created: Sequence[str], changed: Sequence[str], deleted: Sequence[str]) -> None:
        """Files changed on disk (watched-files events); open buffers keep precedence. A deleted directory takes
        the files under it along."""
        with self._lock:
            rels: list[str] = []
            for path in [*created, *changed, *deleted]:
                rel = self.rel(path)
                if rel is not None:
                    rels.append(rel)
                    if (self.root / rel).is_dir() or not (self.root / rel).exists():
                        rels.extend(r for r in self._facts if r.startswith(rel + "/"))
            updates: dict[str, FileFacts | None] = {}
            for rel in rels:
                facts = self._disk_facts(rel)
                if rel not in self._docs and (facts is not None or rel in self._facts):
                    updates[rel] = facts
            if updates:
                self._update(updates)

    def text(self, path: str) -> str | None:
        """The current text of a file: its buffer if open, else its content on disk; None if unknown."""
        with self._lock:
            key = self._doc_key(path)
            doc = self._docs.get(key)
            if doc is not None:
                return doc.text
            facts = self._facts.get(key)
            if facts is not None:
                return facts.text
            return None

    # ---- navigation (see analysis.navigation) -----------------------------------------------------------------

    def definition(self, path: str, pos: Pos) -> list[Location]:
        with self._lock:
            return self._nav.definition(path, pos)

    def selection_ranges(self, path: str, positions: list[Pos]) -> list[list[Span]] | None:
        with self._lock:
            return self._nav.selection_ranges(path, positions)

    def describe_name(self, path: str, pos: Pos, name: str) -> tuple[str, str] | None:
        with self._lock:
            return self._nav.describe_name(path, pos, name)

    def declaration(self, path: str, pos: Pos) -> list[Location]:
        with self._lock:
            return self._nav.declaration(path, pos)

    def completion_names(self, path: str, pos: Pos) -> list[NameCandidate]:
        with self._lock:
            return self._nav.completion_names(path, pos)

    def highlights(self, path: str, pos: Pos) -> list[Occurrence] | None:
        with self._lock:
            return self._nav.highlights(path, pos)

    def rename_target(self, path: str, pos: Pos) -> Span:
        """Raises analysis.rename.RenameRefused."""
        with self._lock:
            return self._nav.rename_target(path, pos)

    def rename_spans(self, path: str, pos: Pos, new_name: str) -> list[Span]:
        """Raises analysis.rename.RenameRefused."""
        with self._lock:
            return self._nav.rename_spans(path, pos, new_name)

    def folding_ranges(self, path: str) -> list[Fold] | None:
        with self._lock:
            return self._nav.folding_ranges(path)

    def signature_help(self, path: str, pos: Pos) -> Signature | None:
        with self._lock:
            return self._nav.signature_help(path, pos)

    def implementations(self, path: str, pos: Pos) -> list[Location]:
        with self._lock:
            return self._nav.implementations(path, pos)

    def references(self, path: str, pos: Pos, include_declaration: bool = True) -> list[Location]:
        with self._lock:
            return self._nav.references(path, pos, include_declaration)

    def document_symbols(self, path: str) -> list[SymbolInfo]:
        with self._lock:
            return self._nav.document_symbols(path)

    def workspace_symbols(self, query: str, limit: int = 200) -> list[SymbolInfo]:
        with self._lock:
            return self._nav.workspace_symbols(query, limit)

    def hover(self, path: str, pos: Pos) -> HoverFacts | None:
        with self._lock:
            return self._nav.hover(path, pos)

    def symbol_at(self, path: str, pos: Pos) -> SymbolInfo | None:
        with self._lock:
            return self._nav.symbol_at(path, pos)

    def incoming_calls(self, node_id: str) -> list[tuple[SymbolInfo, list[Span]]]:
        with self._lock:
            return self._nav.incoming_calls(node_id)

    def outgoing_calls(self, node_id: str) -> list[tuple[SymbolInfo, list[Span]]]:
        with self._lock:
            return self._nav.outgoing_calls(node_id)

    def supertypes(self, node_id: str) -> list[SymbolInfo]:
        with self._lock:
            return self._nav.related_classes(node_id, bases=True)

    def subtypes(self, node_id: str) -> list[SymbolInfo]:
        with self._lock:
            return self._nav.related_classes(node_id, bases=False)
