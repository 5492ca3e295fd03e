"""What search indexes: the FUNCTION, CLASS and FILE-chunk units of one file of the code graph.

A definition unit is embedded from its whole source (dedented, decorators included) and scored by BM25 on its
*own* lines (those not inside a nested definition, so a class does not match every word of its methods) plus its
qualified name and header (decorators and signature) once more: names say the most about what code does (the
boost was chosen on the dev packages, see terms.py). A FILE chunk is a run of module-level lines (outside every
definition) of at most `CHUNK_LINES` lines; chunks that hold only blank lines, comments and imports are left out.

A CRLF file's units are read with "\n" line breaks, as the search head was trained: read as they were, the
embedder met a "\r" at every line end and the header rule (`_header`) found no ":\n", and on CRLF copies of the
dev packages hybrid MRR@10 fell from 0.528 to 0.472 (the embedding alone 0.351 to 0.214).
"""
from __future__ import annotations

import hashlib
import textwrap
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import PurePosixPath

import networkx as nx

from analysis.localize.graphview import CONTAINS, DEFINITION_TYPES, FILE, edge_type, node_lines, node_type
from analysis.search.terms import search_terms

CHUNK_LINES = 40
MAX_EMBED_LINES = 80  # the embedder reads a few hundred tokens at most; longer texts are cut before tokenizing
_NOISE_PREFIXES = ("#", "import ", "from ")


@dataclass(frozen=True)
class SearchUnit:
    key: str  # the node id of a definition; "<path>#L<start>" for a FILE chunk
    node: Hashable  # the graph node (the FILE node for a chunk)
    kind: str  # FUNCTION, CLASS or FILE
    path: str  # relative to the root, '/' separators
    name: str  # qualified name inside the file; the file name for a chunk
    start_line: int  # 1-based
    end_line: int  # 1-based, inclusive
    code: str  # the text the embedder reads
    digest: str  # of kind and code: the key of the unit's vector


@dataclass(frozen=True)
class Definition:
    """What a unit needs of a CLASS or FUNCTION node, copied out of the graph (whose attribute dicts change)."""

    node: Hashable
    kind: str
    qualname: str
    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class FileSnapshot:
    """A FILE node and its definitions as the graph held them at one moment: `units` builds from it on any thread."""

    path: str
    node: Hashable
    text: str
    definitions: tuple[Definition, ...]


@dataclass(frozen=True)
class FileUnits:
    text: str  # the file text these units were made from
    units: tuple[SearchUnit, ...]
    terms: tuple[Counter[str], ...]  # BM25 term counts, one per unit


def _digest(kind: str, code: str) -> str:
    return hashlib.blake2b(f"{kind}\0{code}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def snapshot(graph: nx.MultiDiGraph, file: Hashable, path: str) -> FileSnapshot:
    """The FILE node's text and its CLASS and FUNCTION nodes (found along `contains` edges), in line order."""
    nodes = graph.nodes
    found: list[Definition] = []
    todo = [file]
    while todo:
        parent = todo.pop()
        for child, keyed in graph.succ[parent].items():
            # edges are keyed by their type (analysis/graph.py); other graphs carry it as an attribute
            if not (CONTAINS in keyed or any(edge_type(data) == CONTAINS for data in keyed.values())):
                continue
            data = nodes[child]
            kind = node_type(data)
            if kind in DEFINITION_TYPES:
                start, end = node_lines(data)
                qualname = str(data.get("qualname") or data.get("name") or "")
                text = str(data.get("text") or data.get("header") or "")
                found.append(Definition(child, kind, qualname, start, end, text))
                todo.append(child)
    found.sort(key=lambda d: (d.start_line, d.end_line, str(d.node)))
    return FileSnapshot(path, file, str(nodes[file].get("text") or ""), tuple(found))


def _header(code: str) -> str:
    """A definition's decorators and signature: its code up to the first line that ends with a colon."""
    return code.split(":\n", 1)[0]


def _substantive(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(_NOISE_PREFIXES)


def file_units(file: FileSnapshot) -> FileUnits:
    """The units of one file and their BM25 term counts."""
    path, text, definitions = file.path, file.text, file.definitions
    lines = text.replace("\r\n", "\n").split("\n")  # a CRLF file is read with the "\n" breaks the embedder knows
    owner = [-1] * len(lines)
    for i in sorted(range(len(definitions)), key=lambda i: (definitions[i].start_line, -definitions[i].end_line)):
        first, last = max(definitions[i].start_line - 1, 0), min(definitions[i].end_line, len(lines))
        owner[first:last] = [i] * max(last - first, 0)  # outer definitions first: inner ones overwrite their lines
    own: list[list[str]] = [[] for _ in definitions]
    for line, who in zip(lines, owner):
        if who >= 0:
            own[who].append(line)
    units: list[SearchUnit] = []
    terms: list[Counter[str]] = []
    for i, d in enumerate(definitions):
        start, end = d.start_line, d.end_line
        code = textwrap.dedent("\n".join(lines[start - 1:min(end, start - 1 + MAX_EMBED_LINES)])).strip("\n")
        code = code or d.text.replace("\r\n", "\n")  # a graph without file text: the node's own text
        units.append(SearchUnit(str(d.node), d.node, d.kind, path, d.qualname, start, end, code, _digest(d.kind, code)))
        terms.append(search_terms("\n".join((d.qualname, d.qualname, _header(code), "\n".join(own[i]) or code))))
    name = PurePosixPath(path).name
    for start, end in _module_chunks(lines, owner):
        code = "\n".join(lines[start - 1:end])
        units.append(SearchUnit(f"{path}#L{start}", file.node, FILE, path, name, start, end, code, _digest(FILE, code)))
        terms.append(search_terms(path.replace("/", " ") + "\n" + code))
    return FileUnits(text, tuple(units), tuple(terms))


def _module_chunks(lines: list[str], owner: list[int]) -> list[tuple[int, int]]:
    """1-based inclusive line ranges of module-level runs, at most CHUNK_LINES lines, with substantive code."""
    chunks: list[tuple[int, int]] = []
    run: list[int] = []  # 0-based line indexes of the current chunk

    def flush() -> None:
        kept = [i for i in run if lines[i].strip()]
        if any(_substantive(lines[i]) for i in kept):
            chunks.append((kept[0] + 1, kept[-1] + 1))
        run.clear()

    for i, who in enumerate(owner):
        if who >= 0:
            if run:
                flush()
            continue
        run.append(i)
        if len(run) == CHUNK_LINES:
            flush()
    if run:
        flush()
    return chunks
