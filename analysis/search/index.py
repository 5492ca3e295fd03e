"""The semantic search index over a code graph: units, BM25, vectors, hybrid queries.

`refresh(graph)` brings the index in step with the graph: it walks the FILE nodes and re-reads only the files whose
text changed (the graph replaces a changed file's text, so an unchanged file costs a pointer comparison). It is
`collect` (read the graph: which files changed, snapshots of their nodes) then `apply` (tokenize and install), so
a server can read the graph on its writer thread and leave the costly half to another.
Vectors are kept by content digest (vectors.py), so after an edit only the changed units lack one;
`embed_pending` embeds them in batches and is meant for a background thread, while queries answer with what is
there (a unit without a vector ranks through BM25 alone). The arrays queries read (BM25 postings, the vector
matrix) are rebuilt lazily, on the first query after a change.

Every public method takes the index's lock except the embedder calls and tokenizing, which run outside it;
`collect` (and `refresh`) read the graph, so call them where it cannot change meanwhile (the language server's
writer thread).
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import networkx as nx
import numpy as np

from analysis.graph import REPO_ID
from analysis.localize.bm25 import BM25
from analysis.localize.embedding import Embedder
from analysis.localize.graphview import FILE, node_type, relative_path
from analysis.localize.tokenstore import Documents, TokenStore
from analysis.search.fusion import DEFAULT_FUSION, Fusion
from analysis.search.terms import search_terms
from analysis.search.units import FileSnapshot, FileUnits, SearchUnit, file_units, snapshot
from analysis.search.vectors import VectorStore

_PACKAGE = "PACKAGE"
_NAME = re.compile(r"[^\W\d]\w*(?:\.\w+)*")  # an identifier, dotted or with a file extension
_REPO = "REPO"


class SearchEmbedder(Embedder, Protocol):
    """The localization embedder plus a fingerprint that changes whenever its vectors could (for the cache)."""

    @property
    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class SearchHit:
    path: str
    name: str
    kind: str
    start_line: int
    end_line: int
    score: float
    key: str  # the unit's key: its node id, or "<path>#L<line>" for a file chunk

    def to_json(self) -> dict[str, Any]:
        """The `search --json` row: paths relative to the root, 1-based inclusive lines."""
        return {"path": self.path, "name": self.name, "kind": self.kind, "start_line": self.start_line,
                "end_line": self.end_line, "score": round(self.score, 6)}  # fmt: skip


@dataclass(frozen=True)
class Changes:
    """Files to (re)read and paths that are gone, as `SearchIndex.collect` found them."""

    files: tuple[FileSnapshot, ...]
    gone: frozenset[str]


@dataclass
class _File:
    node: Hashable
    units: FileUnits
    counts: Documents  # one BM25 document per unit


class _View:
    """What queries read, built from the files at one moment: units in a fixed order, BM25, vectors.

    Units are in path order, so each file's units are one block of rows. Built after a change with the view
    before it (`previous`), a file whose entry is the same object and whose block had every vector copies that
    block instead of looking its vectors up one by one: after an edit, only the edited file's rows cost Python."""

    def __init__(self, files: dict[str, _File], vocabulary: dict[str, int], store: VectorStore, dim: int,
                 previous: _View | None = None) -> None:
        entries = [(path, files[path]) for path in sorted(files)]
        self.units: list[SearchUnit] = list(chain.from_iterable(entry.units.units for _, entry in entries))
        self.terms: list[Counter[str]] = list(chain.from_iterable(entry.units.terms for _, entry in entries))
        self.bm25 = BM25(Documents.concatenate([entry.counts for _, entry in entries]), vocabulary)
        self.matrix = np.zeros((len(self.units), dim), dtype=np.float32)
        self.has_vector = np.zeros(len(self.units), dtype=bool)
        self.blocks: dict[str, tuple[_File, int]] = {}  # path -> (its entry, its first row)
        self._row_of: dict[str, int] | None = None
        self._rows_named: dict[str, list[int]] | None = None
        self._rows_of_digest: dict[str, list[int]] | None = None
        row = 0
        for path, entry in entries:
            self.blocks[path] = (entry, row)
            if dim and not self._copy_block(previous, path, entry, row):
                self._look_up(entry, row, store)
            row += len(entry.units.units)

    def _copy_block(self, previous: _View | None, path: str, entry: _File, first: int) -> bool:
        """Copy the file's rows from `previous` if it held the same entry with every vector; False if not."""
        if previous is None or previous.matrix.shape[1] != self.matrix.shape[1] or path not in previous.blocks:
            return False
        old_entry, old_first = previous.blocks[path]
        count = len(entry.units.units)
        if old_entry is not entry or not previous.has_vector[old_first:old_first + count].all():
            return False
        self.matrix[first:first + count] = previous.matrix[old_first:old_first + count]
        self.has_vector[first:first + count] = True
        return True

    def _look_up(self, entry: _File, first: int, store: VectorStore) -> None:
        """Fill the file's rows from the store, one unit at a time."""
        for row, unit in enumerate(entry.units.units, first):
            vector = store.get(unit.digest)
            if vector is not None:
                self.matrix[row] = vector
                self.has_vector[row] = True

    @property
    def row_of(self) -> dict[str, int]:
        """Unit key -> row (built on first use: a warm index that is only searched never needs it)."""
        if self._row_of is None:
            self._row_of = {unit.key: row for row, unit in enumerate(self.units)}
        return self._row_of

    def rows_named(self, name: str) -> list[int]:
        """Rows of the definitions whose qualified name or last name part is `name`, and of the chunks of a file
        so named (built on first use)."""
        if self._rows_named is None:
            self._rows_named = {}
            for row, unit in enumerate(self.units):
                names = {unit.name} if unit.kind == FILE else {unit.name, unit.name.rpartition(".")[2]}
                for each in names:
                    self._rows_named.setdefault(each, []).append(row)
        return self._rows_named.get(name, [])

    def fill(self, digest: str, vector: np.ndarray) -> None:
        """Give the rows of the units with this digest their new vector."""
        if self._rows_of_digest is None:
            self._rows_of_digest = {}
            for row, unit in enumerate(self.units):
                self._rows_of_digest.setdefault(unit.digest, []).append(row)
        rows = self._rows_of_digest.get(digest)
        if rows and self.matrix.shape[1] == len(vector):
            self.matrix[rows] = vector
            self.has_vector[rows] = True


class SearchIndex:
    """Hybrid semantic search over the FUNCTION, CLASS and FILE-chunk units of one code graph."""

    def __init__(self, root: str | Path, embedder: SearchEmbedder | None = None, *,
                 vectors: VectorStore | None = None, fusion: Fusion = DEFAULT_FUSION) -> None:
        self.root = Path(root).resolve()
        self.fusion = fusion
        self._files: dict[str, _File] = {}
        self._seen: dict[str, tuple[Hashable, str]] = {}  # path -> (FILE node, text) as last collected
        self._tokens = TokenStore()  # the BM25 vocabulary
        self._missing: dict[str, str] | None = None  # digest -> code of units without a vector; None = unknown
        self._view: _View | None = None
        self._previous: _View | None = None  # the view a change superseded, reused by the next one (_View)
        self._dim = 0
        self._lock = threading.RLock()
        self.set_embedder(embedder, vectors)

    def set_embedder(self, embedder: SearchEmbedder | None, vectors: VectorStore | None = None) -> None:
        """Use another embedder (None: BM25 only), with `vectors` if they were made by it."""
        with self._lock:
            self.embedder = embedder
            fingerprint = embedder.fingerprint if embedder is not None else ""
            usable = vectors is not None and vectors.fingerprint == fingerprint
            self.vectors = vectors if usable else VectorStore(fingerprint)
            self._dim = 0
            self._view = self._previous = self._missing = None

    # ---- keeping up with the graph ----

    def refresh(self, graph: nx.MultiDiGraph) -> int:
        """`apply(collect(graph))`: re-read the files whose text changed; returns how many files changed."""
        return self.apply(self.collect(graph))

    def collect(self, graph: nx.MultiDiGraph) -> Changes:
        """What changed in the graph since the last `collect`: snapshots of the changed files and the paths that
        are gone. Only this reads the graph (cheaply); `apply` does the tokenizing, on any thread."""
        with self._lock:
            files: list[FileSnapshot] = []
            present: set[str] = set()
            for node, data in _file_nodes(graph):
                raw = data.get("path")
                path = raw if type(raw) is str and raw and raw[0] != "/" else relative_path(data, self.root)
                if path is None or path in present:
                    continue
                present.add(path)
                seen = self._seen.get(path)
                text = data.get("text") or ""
                if seen is not None and seen[0] == node and (seen[1] is text or seen[1] == text):
                    continue
                self._seen[path] = (node, text)
                files.append(snapshot(graph, node, path))
            gone = self._seen.keys() - present
            for path in gone:
                del self._seen[path]
            return Changes(tuple(files), frozenset(gone))

    def apply(self, changes: Changes) -> int:
        """Install collected changes (a snapshot that a later `collect` superseded is skipped)."""
        built = [(file, file_units(file)) for file in changes.files]  # the costly part, outside the lock
        with self._lock:
            changed = 0
            for file, units in built:
                seen = self._seen.get(file.path)
                if seen is None or seen[1] is not file.text:
                    continue
                counts = Documents.of([self._tokens.term_counts(terms) for terms in units.terms])
                self._files[file.path] = _File(file.node, units, counts)
                changed += 1
            for path in changes.gone:
                if path not in self._seen and self._files.pop(path, None) is not None:
                    changed += 1
            if changed:
                self._previous = self._view or self._previous
                self._view = self._missing = None
            return changed

    def units(self) -> list[SearchUnit]:
        """Every unit, in the order queries rank ties (path, then line)."""
        with self._lock:
            return list(self._current().units)

    # ---- vectors ----

    def pending(self) -> list[tuple[str, str]]:
        """(digest, code) of the units without a vector, one per distinct text, in path order."""
        if self.embedder is None:
            return []
        with self._lock:
            if self._missing is None:  # recomputed after a change; a query on a steady index pays nothing
                self._missing = {}
                for path in sorted(self._files):
                    for unit in self._files[path].units.units:
                        if unit.digest not in self._missing and self.vectors.get(unit.digest) is None:
                            self._missing[unit.digest] = unit.code
            return list(self._missing.items())

    def embed_pending(self, batch_size: int = 32, cancelled: Callable[[], bool] | None = None,
                      progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> int:
        """Embed units without a vector, `batch_size` at a time (at most `limit`); returns how many were embedded.

        The embedder runs outside the lock, so queries keep answering meanwhile; `cancelled` is checked
        before every batch. Texts of similar length share a batch (shortest first), so little goes to padding."""
        todo = sorted(self.pending()[:limit], key=lambda item: len(item[1]))
        done = 0
        for start in range(0, len(todo), batch_size):
            if cancelled is not None and cancelled():
                break
            batch = todo[start:start + batch_size]
            assert self.embedder is not None
            vectors = np.asarray(self.embedder.embed([code for _, code in batch], "code"), dtype=np.float32)
            with self._lock:
                for (digest, _), vector in zip(batch, vectors):
                    self.vectors.put(digest, vector)
                    if self._missing is not None:
                        self._missing.pop(digest, None)
                self._set_dim(vectors.shape[1])
                view = self._view
                if view is not None:
                    for digest, _ in batch:
                        view.fill(digest, self.vectors.vectors[digest])
            done += len(batch)
            if progress is not None:
                progress(done, len(todo))
        return done

    def save_vectors(self, path: Path) -> None:
        """Persist the vectors of the current units (older texts' vectors are dropped first)."""
        with self._lock:
            self.vectors.keep_only({u.digest for entry in self._files.values() for u in entry.units.units})
            if self.vectors.dirty:
                self.vectors.save(path)

    # ---- queries ----

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """The `k` best units for a natural-language (or code) query.

        A query that is a name (`parse_url`, `Client.send`, `setup.py`) lists the units of that name first, with
        score 1.0 (by BM25 among themselves), as a user who types a name expects: fused, a unique exact name could
        rank below units with similar names and more of the query's words (`write_atomically` came second to
        `write_msgpack` in this project's analysis/ folder)."""
        with self._lock:
            view = self._current()
        bm25, cosine = self._scores(view, query)
        name = query.strip()
        named = sorted(view.rows_named(name), key=lambda row: (-bm25[row], row))[:k] if _NAME.fullmatch(name) else []
        taken = set(named)
        fused = [(row, score) for row, score in self.fusion.rank(bm25, cosine, k + len(named)) if row not in taken]
        return [_hit(view.units[row], 1.0) for row in named] + [
            _hit(view.units[row], score) for row, score in fused[: k - len(named)]]

    def signals(self, query: str) -> tuple[list[SearchUnit], np.ndarray, np.ndarray | None]:
        """What `search` fuses: the units, their BM25 scores for `query`, and their cosine with its embedding
        (NaN without a vector; None without an embedder or vectors). For benchmarks and fusion tuning."""
        with self._lock:
            view = self._current()
        return (view.units, *self._scores(view, query))

    def _scores(self, view: _View, query: str) -> tuple[np.ndarray, np.ndarray | None]:
        bm25 = view.bm25.scores(search_terms(query))
        cosine = None
        if self.embedder is not None and view.has_vector.any():
            vector = np.asarray(self.embedder.embed([query], "query"), dtype=np.float32)[0]
            cosine = _cosine(view, vector)
        return bm25, cosine

    def similar(self, key: str, k: int = 5) -> list[SearchHit]:
        """The `k` units most like the unit `key` (a node id), itself excluded; [] when it is not a unit."""
        with self._lock:
            view = self._current()
        row = view.row_of.get(key)
        if row is None:
            return []
        bm25 = view.bm25.scores(view.terms[row])
        cosine = _cosine(view, view.matrix[row]) if view.has_vector[row] else None
        return [_hit(view.units[r], score) for r, score in self.fusion.rank(bm25, cosine, k, exclude=row)]

    def state(self) -> list[tuple[SearchUnit, tuple[tuple[str, int], ...], bytes | None]]:
        """Every unit with its BM25 terms and vector bytes: what must match between two indexes of one graph."""
        with self._lock:
            view = self._current()
            return [
                (unit, tuple(sorted(terms.items())), view.matrix[row].tobytes() if view.has_vector[row] else None)
                for row, (unit, terms) in enumerate(zip(view.units, view.terms))
            ]

    # ---- internals ----

    def _set_dim(self, dim: int) -> None:
        if dim != self._dim:
            self._dim = dim
            self._view = self._previous = None

    def _current(self) -> _View:
        if self._view is None:
            if not self._dim and self.vectors.vectors:
                self._dim = len(next(iter(self.vectors.vectors.values())))
            self._view = _View(self._files, self._tokens.vocabulary, self.vectors, self._dim, self._previous)
            self._previous = None
        return self._view


def _cosine(view: _View, vector: np.ndarray) -> np.ndarray:
    scores = view.matrix @ vector  # [N]; rows are unit vectors
    scores[~view.has_vector] = np.nan
    return scores


def _hit(unit: SearchUnit, score: float) -> SearchHit:
    return SearchHit(unit.path, unit.name, unit.kind, unit.start_line, unit.end_line, score, unit.key)


def _file_nodes(graph: nx.MultiDiGraph) -> Iterator[tuple[Hashable, dict]]:
    """FILE nodes with their data: down the directory tree from the repository node when there is one (a few
    thousand nodes instead of every definition), else by scanning all nodes."""
    nodes = graph.nodes
    if REPO_ID not in graph or node_type(nodes[REPO_ID]) != _REPO:
        yield from ((node, data) for node, data in nodes(data=True) if node_type(data) == FILE)
        return
    todo = [REPO_ID]
    while todo:
        for child in graph.succ[todo.pop()]:
            data = nodes[child]
            kind = node_type(data)
            if kind == FILE:
                yield child, data
            elif kind == _PACKAGE:
                todo.append(child)
