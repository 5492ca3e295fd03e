"""Retriever: rewrite -> anchor nodes with evidence -> a file-level subgraph (CGM's R4 step 2).

Anchors come from four sources, each recorded per node so the reranker can weigh them:

- `path`: files named by the issue (tracebacks, prose, dotted module paths), matched on path-component suffixes;
- `line`: the innermost definition containing a traceback frame's line;
- `entity` / `fuzzy` / `keyword`: definitions whose name matches an entity exactly, fuzzily (RapidFuzz WRatio,
  as CGM), or a keyword; a name defined in many places counts for less;
- `attribute`: files that assign an attribute (a module constant, a class attribute) an entity names;
- `path_words`: files whose module or package name the issue's words spell;
- `bm25`, `embedding`: the best files and definitions by BM25 (identifier-split tokens) and, when an embedder is
  given, by cosine similarity with the rewritten queries;
- `tests`: source files that matching tests exercise (by `test_<name>.py` naming and by `calls` edges).

Expansion follows CGM: one hop over any edge in either direction, a second hop from FILE nodes reached, then
every node's file through `contains` ancestors: the file-level subgraph the reranker ranks first.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from rapidfuzz import fuzz, process

from analysis.localize.embedding import Embedder, cosine_top
from analysis.localize.graphview import CALLS, FILE, edge_type
from analysis.localize.index import LocalizationIndex, NodeId, is_auxiliary
from analysis.localize.rewriter import Entity, Rewrite
from analysis.localize.tokens import STOPWORDS, identifier_tokens, tokenize

BM25_FILES = 40
BM25_DEFINITIONS = 80
EMBEDDING_NEIGHBOURS = 15  # per query, as CGM
INLINE_EMBED_LIMIT = 256  # definitions the search index has no vector for yet, embedded during one query
FUZZY_LIMIT = 3
FUZZY_CUTOFF = 88.0
PACKAGE_WORDS = 0.5
MIN_PATH_WORDS = 0.3
_WORD = re.compile(r"(?<![\w.])[A-Za-z]{2,}(?![\w.(])")


@dataclass
class Retrieval:
    anchors: dict[NodeId, dict[str, float]]  # node -> source -> score
    files: list[NodeId]  # FILE nodes of the file-level subgraph
    file_bm25: dict[NodeId, float]  # FILE -> BM25 score / best file score
    definition_bm25: dict[NodeId, float]  # definition -> BM25 score / best definition score
    query_vectors: np.ndarray | None = field(default=None, repr=False)


def retrieve(
    index: LocalizationIndex,
    issue: str,
    rewrite: Rewrite,
    embedder: Embedder | None = None,
    definition_vectors: Mapping[NodeId, np.ndarray] | None = None,
) -> Retrieval:
    """Anchors and the file-level subgraph. With an embedder, definitions are also anchored by kNN: their
    vectors come from `definition_vectors` (the search index's) where it has them; without it every definition
    is embedded here (once per index), with it at most INLINE_EMBED_LIMIT missing ones per call."""
    anchors: dict[NodeId, dict[str, float]] = defaultdict(dict)

    def credit(node: NodeId, source: str, score: float) -> None:
        if score > 0:
            anchors[node][source] = anchors[node].get(source, 0.0) + score

    _path_anchors(index, rewrite.entities, credit)
    _dotted_anchors(index, [e for e in rewrite.entities if e.kind == "dotted"], credit)
    _name_anchors(index, [e for e in rewrite.entities if e.kind == "name"], rewrite.keywords, credit)
    file_bm25, definition_bm25, skeleton_bm25 = _bm25(index, issue, rewrite)
    for node, score in file_bm25.items():
        credit(node, "bm25", score)
    for node, score in definition_bm25.items():
        credit(node, "bm25", score)
    for node, score in skeleton_bm25.items():
        credit(node, "bm25_skeleton", score)
    _test_anchors(index, file_bm25, definition_bm25, credit)
    _path_word_anchors(index, issue, credit)
    query_vectors = None
    if embedder is not None:
        query_vectors = _embedding_anchors(index, issue, rewrite, embedder, definition_vectors, credit)
    return Retrieval(dict(anchors), _expand(index, anchors), file_bm25, definition_bm25, query_vectors)


# ---- anchors ----


def _path_anchors(index: LocalizationIndex, entities: tuple[Entity, ...], credit) -> None:
    by_basename: dict[str, list[NodeId]] = defaultdict(list)
    for file in index.files:
        by_basename[PurePosixPath(index.units[file].path).name].append(file)
    frames: list[tuple[int, NodeId, Entity]] = []
    for entity in entities:
        if entity.kind != "path":
            continue
        matches = _match_path(index, entity.text, by_basename)
        if entity.frame is not None:
            frames.extend((entity.frame, file, entity) for file, _ in matches[:1])
            continue
        for file, strength in matches:
            credit(file, "path", entity.weight * strength)
    # Traceback frames inside the repository, innermost first: the innermost is most likely the faulty code.
    for rank, (_, file, entity) in enumerate(sorted(frames, key=lambda item: item[0])):
        damping = 1.0 / (1.0 + 0.5 * rank)
        credit(file, "path", entity.weight * damping)
        if entity.line is not None:
            inner = _innermost_definition(index, file, entity.line)
            if inner is not None:
                credit(inner, "line", entity.weight * damping)


def _match_path(
    index: LocalizationIndex, text: str, by_basename: dict[str, list[NodeId]]
) -> list[tuple[NodeId, float]]:
    """Files whose path ends with the longest suffix of `text`'s components; strength 1 for a full match."""
    parts = [p for p in text.replace("\\", "/").split("/") if p not in {"", "."}]
    if not parts:
        return []
    best: list[NodeId] = []
    best_length = 0
    for file in by_basename.get(parts[-1], []):
        file_parts = index.units[file].path.split("/")
        length = 0
        while length < min(len(parts), len(file_parts)) and parts[-1 - length] == file_parts[-1 - length]:
            length += 1
        if length > best_length:
            best, best_length = [file], length
        elif length == best_length:
            best.append(file)
    if not best:
        return []
    # A bare basename shared by many files (`__init__.py`, `utils.py`) says little about which one.
    strength = (1.0 if best_length >= 2 or len(parts) == 1 else 0.6) / len(best)
    return [(file, strength) for file in best]


def _innermost_definition(index: LocalizationIndex, file: NodeId, line: int) -> NodeId | None:
    best: NodeId | None = None
    best_span = math.inf
    for child in index.children.get(file, []):
        unit = index.units[child]
        if unit.start_line <= line <= unit.end_line and unit.end_line - unit.start_line < best_span:
            best, best_span = child, unit.end_line - unit.start_line
    return best


def _specificity(count: int) -> float:
    """A name defined once counts fully; defined n times, 1 / (1 + ln n)."""
    return 1.0 / (1.0 + math.log(max(count, 1)))


def _dotted_anchors(index: LocalizationIndex, entities: list[Entity], credit) -> None:
    by_basename: dict[str, list[NodeId]] = defaultdict(list)
    for file in index.files:
        by_basename[PurePosixPath(index.units[file].path).name].append(file)
    for entity in entities:
        parts = entity.text.split(".")
        # `pkg.mod.Class.method`: the longest prefix that is a module names the file, the rest the definition.
        for cut in range(len(parts), 0, -1):
            module = "/".join(parts[:cut])
            files = [f for f, s in _match_path(index, module + ".py", by_basename) if s >= 1.0 / 3]
            files += [f for f, s in _match_path(index, module + "/__init__.py", by_basename) if s >= 1.0 / 3]
            if cut == 1 and len(files) > 1:
                files = []
            if files:
                rest = ".".join(parts[cut:])
                for file in files:
                    credit(file, "path", 0.8 * entity.weight / len(files))
                    for child in index.children.get(file, []) if rest else []:
                        qualname = index.units[child].qualname
                        if qualname == rest or qualname.endswith("." + rest):
                            credit(child, "entity", entity.weight)
                break
        # `Class.method` anywhere: definitions whose qualified name ends with the last two parts.
        tail = ".".join(parts[-2:])
        hits = [n for n in index.by_name.get(parts[-1], []) if index.units[n].qualname.endswith(tail)]
        for node in hits:
            credit(node, "entity", entity.weight * _specificity(len(hits)))


def _name_anchors(index: LocalizationIndex, entities: list[Entity], keywords: tuple[str, ...], credit) -> None:
    names = list(index.by_name)
    attributes = index.attribute_files()
    for entity in entities:
        exact = index.by_name.get(entity.text, [])
        for node in exact:
            credit(node, "entity", entity.weight * _specificity(len(exact)))
        assigned = attributes.get(entity.text, [])
        for file in assigned:  # a constant or attribute the issue names: the files that assign it
            credit(file, "attribute", entity.weight * _specificity(len(assigned)))
        if not exact:
            folded = index.by_lower_name.get(entity.text.lower(), [])
            for node in folded:
                credit(node, "entity", 0.7 * entity.weight * _specificity(len(folded)))
        for name, similarity, _ in process.extract(
            entity.text, names, scorer=fuzz.WRatio, limit=FUZZY_LIMIT + 1, score_cutoff=FUZZY_CUTOFF
        ):
            if name == entity.text:
                continue
            hits = index.by_name[name]
            for node in hits:
                credit(node, "fuzzy", 0.4 * entity.weight * similarity / 100.0 * _specificity(len(hits)))
    for keyword in keywords:
        hits = index.by_lower_name.get(keyword, [])
        for node in hits:
            credit(node, "keyword", 0.3 * _specificity(len(hits)))


def bm25_query(issue: str, rewrite: Rewrite) -> Counter[str]:
    """The issue's tokens, with the tokens of code entities counted again by their weight, plus each pair of
    adjacent prose words joined as code would join them ("cache control" -> cache_control, cachecontrol), so a
    phrase meets the compound identifier the tokenizer keeps whole."""
    query: Counter[str] = Counter(tokenize(issue))
    for entity in rewrite.entities:
        if entity.kind == "path":
            continue
        for token in set(t for part in entity.text.split(".") for t in identifier_tokens(part)):
            query[token] += entity.weight
    words = [w.lower() for w in _WORD.findall(issue)]
    for first, second in zip(words, words[1:]):
        if first not in STOPWORDS and second not in STOPWORDS:
            query[f"{first}_{second}"] += 0.5
            query[first + second] += 0.5
    return query


def _bm25(
    index: LocalizationIndex, issue: str, rewrite: Rewrite
) -> tuple[dict[NodeId, float], dict[NodeId, float], dict[NodeId, float]]:
    """The best files, definitions and file skeletons by BM25, each scored relative to the best of its kind."""
    query = bm25_query(issue, rewrite)
    files = index.file_bm25.top(query, BM25_FILES)
    definitions = index.definition_bm25.top(query, BM25_DEFINITIONS)
    skeletons = index.skeleton_bm25.top(query, BM25_FILES)

    def normalised(rows: list[tuple[int, float]], nodes: list[NodeId]) -> dict[NodeId, float]:
        best = rows[0][1] if rows else 1.0
        return {nodes[row]: score / best for row, score in rows}

    return (
        normalised(files, index.files),
        normalised(definitions, index.definitions),
        normalised(skeletons, index.files),
    )


def _path_word_anchors(index: LocalizationIndex, issue: str, credit) -> None:
    """Files whose module (or package) name the issue's words spell: `pip list` names commands/list.py.

    Each token of a file's module name counts by its rarity among all files' module and package names
    (log(N / df) / log N: 0 for a token every name has, such as the project's own name), and the name's share is
    the sum over the tokens the issue has, divided by the name's token count. Credit: the module's share plus
    PACKAGE_WORDS times the package's; below MIN_PATH_WORDS it is ignored."""
    words = set(tokenize(issue))
    names = index.path_words()
    frequency: Counter[str] = Counter()
    for module, package in names.values():
        frequency.update(module | package)
    scale = math.log(max(len(names), 2))

    def share(tokens: frozenset[str]) -> float:
        found = sum(math.log(len(names) / frequency[t]) for t in tokens if t in words)
        return found / scale / len(tokens) if found else 0.0

    for file, (module, package) in names.items():
        score = share(module) + PACKAGE_WORDS * share(package)
        if score >= MIN_PATH_WORDS:
            credit(file, "path_words", score)


def _test_anchors(
    index: LocalizationIndex, file_bm25: dict[NodeId, float], definition_bm25: dict[NodeId, float], credit
) -> None:
    """Tests that match the issue point at the code they test: `test_<name>.py` at `<name>.py`, and test
    functions at the functions they call (`calls` edges). Credited as `tests` evidence to those source files."""
    by_stem: dict[str, list[NodeId]] = defaultdict(list)
    for file in index.files:
        path = index.units[file].path
        if not is_auxiliary(path):
            by_stem[PurePosixPath(path).stem.lstrip("_")].append(file)
    for file, score in file_bm25.items():
        path = index.units[file].path
        stem = PurePosixPath(path).stem
        tested = stem[5:] if stem.startswith("test_") else stem[:-5] if stem.endswith("_test") else None
        if tested and is_auxiliary(path):
            for source in by_stem.get(tested.lstrip("_"), []):
                credit(source, "tests", score)
    for definition, score in definition_bm25.items():
        if not is_auxiliary(index.units[definition].path):
            continue
        callees = [v for _, v, data in index.graph.out_edges(definition, data=True) if edge_type(data) == CALLS]
        for callee in callees:
            file = index.containing_file(callee)
            if file is not None and not is_auxiliary(index.units[file].path):
                credit(file, "tests", score / len(callees))


def _embedding_anchors(
    index: LocalizationIndex,
    issue: str,
    rewrite: Rewrite,
    embedder: Embedder,
    known: Mapping[NodeId, np.ndarray] | None,
    credit,
) -> np.ndarray:
    queries = list(rewrite.queries) or [issue[:2000]]
    vectors = np.asarray(embedder.embed(queries, "query"), dtype=np.float32)
    nodes, keys = index.definition_embeddings(embedder, known, None if known is None else INLINE_EMBED_LIMIT)
    for hits in cosine_top(vectors, keys, EMBEDDING_NEIGHBOURS):
        for row, similarity in hits:
            anchors_score = max(similarity, 0.0)
            credit(nodes[row], "embedding", anchors_score)
    return vectors


# ---- expansion ----


def _expand(index: LocalizationIndex, anchors: dict[NodeId, dict[str, float]]) -> list[NodeId]:
    """The FILE nodes of the anchors' neighbourhood: one hop over any edge, two from FILE nodes, then the
    `contains` ancestors' files (CGM's `bfs_expand_file` + `reconstruct_graph`, keeping FILE ids)."""
    reached: set[NodeId] = set(anchors)
    second: set[NodeId] = {n for n in anchors if index.units.get(n) is not None and index.units[n].kind == FILE}
    for anchor in anchors:
        if anchor not in index.graph:
            continue
        for other, _ in index.neighbours(anchor):
            reached.add(other)
            unit = index.units.get(other)
            if unit is not None and unit.kind == FILE:
                second.add(other)
    for file in second:
        for other, _ in index.neighbours(file):
            reached.add(other)
    files: dict[NodeId, None] = {}
    for node in reached:
        file = index.containing_file(node)
        if file is not None:
            files[file] = None
    return list(files)
