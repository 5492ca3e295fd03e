"""What localization needs from the code graph, precomputed once per graph version.

`LocalizationIndex` reads the graph in the CGM schema (node attribute `type` in FILE/CLASS/FUNCTION/...,
`contains`/`imports`/`extends`/`calls` edges) and holds: the retrievable units (files, classes, functions) with
paths relative to the root and 1-based lines, BM25 over whole files, over definitions and over file skeletons
(path and definition names), name and path lookup tables, and file skeletons. Tokenized texts are reused from a previous index when a node's text is unchanged, so
rebuilding after an edit costs about the changed files (see tokenstore.py, which also persists them).
"""
from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import networkx as nx
import numpy as np

from analysis.localize.bm25 import BM25
from analysis.localize.embedding import Embedder
from analysis.localize.graphview import (
    ATTRIBUTE,
    CONTAINS,
    DEFINITION_TYPES,
    FILE,
    edge_type,
    node_lines,
    node_text,
    node_type,
    relative_path,
)
from analysis.localize.tokens import count_tokens, identifier_tokens
from analysis.localize.tokenstore import Documents, FileTokens, TermCounts, TokenStore

NodeId = Hashable
EMBED_LINES = 80

# Directories and file names that hold tests, examples and documentation. Fixes land in library code far more
# often, so these files get a prior below 1 in reranking (they stay rankable).
_AUXILIARY_PARTS = frozenset({"test", "tests", "testing", "examples", "example", "docs", "doc", "benchmarks"})


def is_auxiliary(path: str) -> bool:
    """Whether `path` (relative, '/') is a test, example or documentation file."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        any(part in _AUXILIARY_PARTS for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@dataclass(frozen=True)
class Unit:
    """A retrievable node: a FILE, CLASS or FUNCTION."""

    node: NodeId
    kind: str
    path: str  # relative to the root, '/' separators
    name: str
    qualname: str  # dotted path of enclosing definitions inside the file (`Class.method`); the path for files
    start_line: int  # 1-based
    end_line: int  # 1-based, inclusive
    file: NodeId  # the FILE node that contains it (itself for files)


@dataclass
class LocalizationIndex:
    graph: nx.MultiDiGraph
    root: Path
    units: dict[NodeId, Unit]
    files: list[NodeId]  # rows of `file_bm25`
    definitions: list[NodeId]  # rows of `definition_bm25`
    file_bm25: BM25
    definition_bm25: BM25
    skeleton_bm25: BM25  # rows as `files`: the path and definition names (CGM retrieves files by skeleton)
    by_name: dict[str, list[NodeId]]  # exact definition name -> nodes
    by_lower_name: dict[str, list[NodeId]]
    by_path: dict[str, NodeId]  # relative path -> FILE node
    children: dict[NodeId, list[NodeId]]  # FILE -> contained definitions (transitively)
    tokens: TokenStore = field(repr=False)
    _vectors: dict[Hashable, np.ndarray] = field(default_factory=dict, repr=False)
    _vectors_of: Embedder | None = field(default=None, repr=False)
    _path_words: dict[NodeId, tuple[frozenset[str], frozenset[str]]] | None = field(default=None, repr=False)
    _attributes: dict[str, list[NodeId]] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls, graph: nx.MultiDiGraph, root: str | Path, previous: LocalizationIndex | TokenStore | None = None
    ) -> LocalizationIndex:
        """Index `graph`; token counts of unchanged files come from `previous` (an index or a loaded store)."""
        root = Path(root).resolve()
        store = previous.tokens if isinstance(previous, LocalizationIndex) else previous or TokenStore()
        units: dict[NodeId, Unit] = {}
        children: dict[NodeId, list[NodeId]] = {}
        files: list[NodeId] = []
        file_docs: list[Documents] = []
        definitions: list[NodeId] = []
        definition_docs: list[Documents] = []
        skeleton_docs: list[Documents] = []
        used: set[str] = set()
        grouped = _definitions_by_file(graph)
        for node, data in graph.nodes(data=True):
            if node_type(data) != FILE:
                continue
            path = relative_path(data, root)
            if path is None:
                continue
            start, end = node_lines(data)
            units[node] = Unit(node, FILE, path, PurePosixPath(path).name, path, start, end, node)
            files.append(node)
            kids: list[NodeId] = []
            for child, qualname in grouped.get(node, []):
                child_data = graph.nodes[child]
                c_start, c_end = node_lines(child_data)
                name = str(child_data.get("name") or qualname.rsplit(".", 1)[-1])
                units[child] = Unit(child, node_type(child_data), path, name, qualname, c_start, c_end, node)
                kids.append(child)
            children[node] = kids
            text = node_text(data)
            layout = "\0".join(f"{units[k].qualname}:{units[k].start_line}:{units[k].end_line}" for k in kids)
            key = _digest(f"{path}\0{text}\0{layout}")
            tokens = store.entries.get(key)
            if tokens is None:
                tokens = _tokenize_file(graph, store, path, text, [units[k] for k in kids])
                store.put(key, tokens)
            used.add(key)
            file_docs.append(tokens.file)
            definitions.extend(kids)
            definition_docs.append(tokens.definitions)
            skeleton_docs.append(tokens.skeleton)
        store.keep_only(used)
        by_name: dict[str, list[NodeId]] = {}
        by_lower: dict[str, list[NodeId]] = {}
        for node in definitions:
            unit = units[node]
            by_name.setdefault(unit.name, []).append(node)
            by_lower.setdefault(unit.name.lower(), []).append(node)
        return cls(
            graph=graph,
            root=root,
            units=units,
            files=files,
            definitions=definitions,
            file_bm25=BM25(Documents.concatenate(file_docs), store.vocabulary),
            definition_bm25=BM25(Documents.concatenate(definition_docs), store.vocabulary),
            skeleton_bm25=BM25(Documents.concatenate(skeleton_docs), store.vocabulary),
            by_name=by_name,
            by_lower_name=by_lower,
            by_path={units[f].path: f for f in files},
            children=children,
            tokens=store,
        )

    def file_text(self, file: NodeId) -> str:
        return node_text(self.graph.nodes[file])

    def skeleton(self, file: NodeId, max_lines: int = 200) -> str:
        """`path` then one indented `class X` / `def f` line per definition (CGM's stage-2 file skeleton)."""
        lines = [self.units[file].path]
        for child in self.children.get(file, [])[:max_lines]:
            unit = self.units[child]
            depth = unit.qualname.count(".")
            keyword = "class" if unit.kind == "CLASS" else "def" if unit.kind == "FUNCTION" else ""
            lines.append("    " * (depth + 1) + f"{keyword} {unit.name}".strip())
        return "\n".join(lines)

    def language(self, file: NodeId) -> str:
        """The FILE node's language as the graph records it (`lang`), else its extension."""
        data = self.graph.nodes[file]
        return str(data.get("lang") or PurePosixPath(self.units[file].path).suffix)

    def path_words(self) -> dict[NodeId, tuple[frozenset[str], frozenset[str]]]:
        """FILE -> (the tokens of its module name, those of its package's name). A package's `__init__` is
        named by its package (and then by the package above)."""
        if self._path_words is None:
            words: dict[NodeId, tuple[frozenset[str], frozenset[str]]] = {}
            for file in self.files:
                parts = PurePosixPath(self.units[file].path).with_suffix("").parts
                if parts and parts[-1] == "__init__":
                    parts = parts[:-1]
                module = frozenset(identifier_tokens(parts[-1])) if parts else frozenset()
                package = frozenset(identifier_tokens(parts[-2])) if len(parts) > 1 else frozenset()
                words[file] = (module, package)
            self._path_words = words
        return self._path_words

    def attribute_files(self) -> dict[str, list[NodeId]]:
        """Attribute name (module constants, class attributes) -> the FILE nodes that assign it."""
        if self._attributes is None:
            found: dict[str, dict[NodeId, None]] = {}
            for _, data in self.graph.nodes(data=True):
                if node_type(data) == ATTRIBUTE and data.get("name"):
                    file = self.by_path.get(str(data.get("path") or ""))
                    if file is not None:
                        found.setdefault(str(data["name"]), {})[file] = None
            self._attributes = {name: list(files) for name, files in found.items()}
        return self._attributes

    def neighbours(self, node: NodeId) -> Iterable[tuple[NodeId, str]]:
        """(neighbour, edge type) over edges of every type and both directions."""
        for _, target, data in self.graph.out_edges(node, data=True):
            yield target, edge_type(data)
        for source, _, data in self.graph.in_edges(node, data=True):
            yield source, edge_type(data)

    def containing_file(self, node: NodeId) -> NodeId | None:
        unit = self.units.get(node)
        if unit is not None:
            return unit.file
        seen = {node}
        current = node
        while True:  # walk `contains` edges upward until a FILE
            parents = [s for s, _, d in self.graph.in_edges(current, data=True) if edge_type(d) == CONTAINS]
            if not parents or parents[0] in seen:
                return None
            current = parents[0]
            seen.add(current)
            if node_type(self.graph.nodes[current]) == FILE:
                return current

    def definition_embeddings(
        self, embedder: Embedder, known: Mapping[NodeId, np.ndarray] | None = None, embed_limit: int | None = None
    ) -> tuple[list[NodeId], np.ndarray]:
        """Definitions and their vectors [N, D]: from `known` (e.g. the search index's) when it has them, else
        embedded here and kept for the next call. At most `embed_limit` definitions are embedded per call (None: all);
        the others are left out until a later call (or `known`) has them."""
        own = self._own_vectors(embedder)
        missing = [n for n in self.definitions if (known is None or n not in known) and n not in own]
        if embed_limit is not None:
            missing = missing[:embed_limit]
        if missing:
            texts = [_embedding_text(self.graph.nodes[n]) for n in missing]
            for node, vector in zip(missing, np.asarray(embedder.embed(texts, "code"), dtype=np.float32)):
                own[node] = vector
        nodes: list[NodeId] = []
        rows: list[np.ndarray] = []
        for node in self.definitions:
            vector = known.get(node) if known is not None else None
            vector = own.get(node) if vector is None else vector
            if vector is not None:
                nodes.append(node)
                rows.append(vector)
        return nodes, (np.stack(rows).astype(np.float32) if rows else np.zeros((0, 1), dtype=np.float32))

    def skeleton_embeddings(self, embedder: Embedder, files: list[NodeId]) -> np.ndarray:
        """Vectors [len(files), D] of the files' skeletons (`skeleton`), each embedded once per index."""
        own = self._own_vectors(embedder)
        keys = [("skeleton", f) for f in files]
        missing = [f for f, key in zip(files, keys) if key not in own]
        if missing:
            vectors = np.asarray(embedder.embed([self.skeleton(f) for f in missing], "code"), dtype=np.float32)
            for file, vector in zip(missing, vectors):
                own[("skeleton", file)] = vector
        return np.stack([own[key] for key in keys]) if keys else np.zeros((0, 1), dtype=np.float32)

    def _own_vectors(self, embedder: Embedder) -> dict[Hashable, np.ndarray]:
        """The vectors this index embedded itself, forgotten when another embedder asks."""
        if self._vectors_of is not embedder:
            self._vectors_of, self._vectors = embedder, {}
        return self._vectors


def _definitions_by_file(graph: nx.MultiDiGraph) -> dict[NodeId, list[tuple[NodeId, str]]]:
    """FILE -> the definitions it contains (transitively) with qualified names, in source order.

    Definitions carrying `path` and `qualname` (the CGM schema of analysis/graph.py) are grouped in one pass
    over the nodes; others are placed by walking `contains` edges up to their file.
    """
    node_data = graph.nodes
    file_of_path = {data.get("path"): node for node, data in node_data(data=True) if node_type(data) == FILE}
    out: dict[NodeId, list[tuple[NodeId, str]]] = {}
    for node, data in node_data(data=True):
        if node_type(data) not in DEFINITION_TYPES:
            continue
        qualname = data.get("qualname")
        file = file_of_path.get(data.get("path")) if qualname else None
        if file is None:
            file, qualname = _walk_to_file(graph, node)
            if file is None:
                continue
        out.setdefault(file, []).append((node, str(qualname)))
    for members in out.values():
        members.sort(key=lambda item: node_lines(node_data[item[0]]))
    return out


def _walk_to_file(graph: nx.MultiDiGraph, node: NodeId) -> tuple[NodeId | None, str]:
    """The FILE above `node` along `contains` edges, and the dotted names of the definitions on the way."""
    names = [str(graph.nodes[node].get("name") or "")]
    current, seen = node, {node}
    while True:
        parents = [
            p for p, keyed in graph.pred[current].items() if any(edge_type(e) == CONTAINS for e in keyed.values())
        ]
        if not parents or parents[0] in seen:
            return None, ""
        current = parents[0]
        seen.add(current)
        data = graph.nodes[current]
        if node_type(data) == FILE:
            return current, ".".join(reversed(names))
        names.append(str(data.get("name") or ""))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _tokenize_file(
    graph: nx.MultiDiGraph, store: TokenStore, path: str, text: str, definitions: list[Unit]
) -> FileTokens:
    """Tokenize a file once: each line belongs to the innermost definition covering it (or to the module)."""
    lines = text.split("\n")
    owner = [-1] * len(lines)
    ordered = sorted(range(len(definitions)), key=lambda i: (definitions[i].start_line, -definitions[i].end_line))
    for i in ordered:  # outer definitions first, so inner ones overwrite their own lines
        unit = definitions[i]
        first, last = max(unit.start_line - 1, 0), min(unit.end_line, len(lines))
        owner[first:last] = [i] * max(last - first, 0)
    segments: list[list[str]] = [[] for _ in range(len(definitions) + 1)]  # the last one is the module's
    for line, who in zip(lines, owner):
        segments[who].append(line)
    own: list[TermCounts] = []
    for i, unit in enumerate(definitions):
        body = "\n".join(segments[i]) or _definition_text(graph.nodes[unit.node])
        own.append(store.term_counts(count_tokens(unit.qualname + "\n" + body)))
    module = store.term_counts(count_tokens(path.replace("/", " ") + "\n" + "\n".join(segments[-1])))
    skeleton = store.term_counts(count_tokens(" ".join([path.replace("/", " "), *(u.qualname for u in definitions)])))
    return FileTokens(Documents.of([_sum_counts([module, *own])]), Documents.of(own), Documents.of([skeleton]))


def _sum_counts(parts: list[TermCounts]) -> TermCounts:
    """The counts of the concatenated documents."""
    ids = np.concatenate([p[0] for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]), minlength=len(unique))
    return unique.astype(np.int32), counts.astype(np.float32)


def _embedding_text(data: dict) -> str:
    """What the embedder reads of a definition: its source, dedented, at most EMBED_LINES lines, as the search
    index embeds its units (analysis/search/units.py: "\n" line breaks in CRLF files too), so vectors from either
    place mean the same."""
    lines = _definition_text(data).replace("\r\n", "\n").split("\n")[:EMBED_LINES]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _definition_text(data: dict) -> str:
    """The definition's source; its header and docstring when the graph keeps no text for it."""
    text = node_text(data)
    if text:
        return text
    return "\n".join(str(data.get(key) or "") for key in ("header", "comment"))
