"""Reranker: anchor evidence + graph structure (+ skeleton embeddings) -> ranked files and functions.

CGM reranks with an LLM (file names, then a 1-5 score of each file's skeleton). This reranker scores the same
candidates with a fixed linear model over the retriever's evidence, so it is deterministic and needs no model;
with an embedder it adds the cosine similarity between the rewritten queries and each file's skeleton.

File score = prior(file) * sum(FILE_WEIGHTS[f] * feature f), features as `file_features` computes them. The prior
is below 1 for tests, examples and docs (`is_auxiliary`), repository tooling (`tools/`, `scripts/`, ...), vendored
third-party code, type stubs (`.pyi`) and files in a language other than the repository's main one: fixes land
elsewhere far more often, yet those files stay rankable. (A bonus for files linked by imports or calls to the best
files was measured too and left out: it did not help on the dev set.)
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from analysis.localize.embedding import Embedder
from analysis.localize.graphview import FUNCTION
from analysis.localize.index import LocalizationIndex, NodeId, is_auxiliary
from analysis.localize.retriever import Retrieval

# Weights chosen on the bench/localize.py dev set, on the instances of the tuning repositories only (coordinate
# search, checked by 2-fold cross-validation over those repositories; the benchmark also reports repositories
# never used for tuning). The embedding weights are set by hand: no trained search head existed when they were.
FILE_WEIGHTS: dict[str, float] = {
    "path": 1.5,  # files the issue names (paths, dotted modules, traceback frames)
    "entity": 1.0,  # log1p of the name/line/keyword evidence of the file's definitions
    "bm25_file": 0.75,  # BM25 of the whole file, relative to the best file
    "bm25_def": 1.0,  # the best BM25 of one of its definitions, relative to the best definition
    "bm25_skeleton": 0.25,  # BM25 of the file's skeleton (path and definition names), relative to the best
    "attribute": 1.0,  # log1p of the credit for attributes the issue names that the file assigns
    "tests": 0.25,  # log1p of the credit from matching tests that exercise the file
    "path_words": 0.75,  # issue words that name the file's module or package (`pip list` -> commands/list.py)
    "size": 0.05,  # log1p(definitions): fixes land more often in large modules; orders files with no evidence
    "embed": 1.0,  # skeleton similarity with the rewritten queries
    "embed_def": 0.5,  # best similarity of one of its definitions
}
PRIORS: dict[str, float] = {"auxiliary": 0.3, "tooling": 0.3, "vendored": 0.3, "stub": 0.3, "other_language": 0.3}
_TOOLING_DIRS = frozenset({"tools", "scripts", "maint", "ci", "dev", "devtools", "build_tools"})
# Third-party code copied into the repository: it is replaced by re-vendoring, not fixed in place.
_VENDORED_DIRS = frozenset({"_vendor", "vendor", "vendored", "_vendored", "third_party", "thirdparty", "extern",
                            "cextern", "externals"})  # fmt: skip
# Function score = F_ENTITY * log1p(its own name/line evidence) + F_BM25 * its BM25 + F_EMBED * its similarity
# + F_FILE * its file's score relative to the best file's.
F_ENTITY = 1.0
F_BM25 = 1.0
F_EMBED = 0.5
F_FILE = 1.0
DEFINITION_SOURCES = ("entity", "line", "fuzzy", "keyword")
FUNCTION_FILES = 10  # functions are ranked inside this many best files


@dataclass(frozen=True)
class RankedFile:
    node: NodeId
    path: str
    score: float


@dataclass(frozen=True)
class RankedFunction:
    node: NodeId
    path: str
    name: str  # qualified inside its file: `Class.method`
    start_line: int
    end_line: int
    score: float


def rank_files(
    index: LocalizationIndex, retrieval: Retrieval, embedder: Embedder | None = None
) -> list[RankedFile]:
    """The subgraph's files by score, then every other file by score (only the size prior when it has no
    evidence), so the ranking is never empty."""
    features = file_features(index, retrieval, _skeleton_similarity(index, retrieval, embedder))
    priors = file_priors(index)
    scores = {f: priors[f] * sum(FILE_WEIGHTS[name] * value for name, value in features[f].items()) for f in features}
    in_subgraph = set(retrieval.files)
    ranked = [RankedFile(f, index.units[f].path, scores[f]) for f in index.files]
    ranked.sort(key=lambda r: (r.node not in in_subgraph, -r.score, r.path))
    return ranked


def file_features(
    index: LocalizationIndex, retrieval: Retrieval, skeleton_similarity: dict[NodeId, float]
) -> dict[NodeId, dict[str, float]]:
    """Every file's features (the keys of FILE_WEIGHTS); the score is their weighted sum times the prior."""
    anchors = retrieval.anchors
    out: dict[NodeId, dict[str, float]] = {}
    for file in index.files:
        evidence = anchors.get(file, {})
        kids = index.children.get(file, [])
        definition_evidence = 0.0
        best_definition_bm25 = 0.0
        best_embedding = 0.0
        for child in kids:
            child_evidence = anchors.get(child)
            if child_evidence is None:
                continue
            definition_evidence += sum(child_evidence.get(source, 0.0) for source in DEFINITION_SOURCES)
            best_definition_bm25 = max(best_definition_bm25, retrieval.definition_bm25.get(child, 0.0))
            best_embedding = max(best_embedding, child_evidence.get("embedding", 0.0))
        out[file] = {
            "path": evidence.get("path", 0.0),
            "entity": math.log1p(definition_evidence),
            "bm25_file": retrieval.file_bm25.get(file, 0.0),
            "bm25_def": best_definition_bm25,
            "bm25_skeleton": evidence.get("bm25_skeleton", 0.0),
            "attribute": math.log1p(evidence.get("attribute", 0.0)),
            "tests": math.log1p(evidence.get("tests", 0.0)),
            "path_words": evidence.get("path_words", 0.0),
            "size": math.log1p(len(kids)),
            "embed": skeleton_similarity.get(file, 0.0),
            "embed_def": best_embedding,
        }
    return out


def file_priors(index: LocalizationIndex) -> dict[NodeId, float]:
    """Each file's prior: the product of PRIORS of the kinds it is (1 for library code in the main language)."""
    languages = {f: index.language(f) for f in index.files}
    main_language = Counter(languages.values()).most_common(1)[0][0] if languages else ""
    out: dict[NodeId, float] = {}
    for file in index.files:
        path = index.units[file].path
        prior = 1.0
        if is_auxiliary(path):
            prior *= PRIORS["auxiliary"]
        elif "/" in path and path.split("/", 1)[0] in _TOOLING_DIRS:
            prior *= PRIORS["tooling"]
        if any(part in _VENDORED_DIRS for part in path.split("/")[:-1]):
            prior *= PRIORS["vendored"]
        if path.endswith(".pyi"):
            prior *= PRIORS["stub"]
        elif languages[file] != main_language:
            prior *= PRIORS["other_language"]
        out[file] = prior
    return out


def rank_functions(
    index: LocalizationIndex, retrieval: Retrieval, files: list[RankedFile]
) -> list[RankedFunction]:
    """Functions of the best files, by their own evidence plus a share of their file's score."""
    if not files:
        return []
    top = files[0].score or 1.0
    ranked = []
    for ranked_file in files[:FUNCTION_FILES]:
        file_share = ranked_file.score / top
        for child in index.children.get(ranked_file.node, []):
            unit = index.units[child]
            if unit.kind != FUNCTION:
                continue
            evidence = retrieval.anchors.get(child, {})
            own = sum(evidence.get(source, 0.0) for source in DEFINITION_SOURCES)
            score = (
                F_ENTITY * math.log1p(own)
                + F_BM25 * retrieval.definition_bm25.get(child, 0.0)
                + F_EMBED * evidence.get("embedding", 0.0)
                + F_FILE * file_share
            )
            ranked.append(RankedFunction(child, unit.path, unit.qualname, unit.start_line, unit.end_line, score))
    ranked.sort(key=lambda r: (-r.score, r.path, r.start_line))
    return ranked


def _skeleton_similarity(
    index: LocalizationIndex, retrieval: Retrieval, embedder: Embedder | None
) -> dict[NodeId, float]:
    """Each subgraph file's best cosine between the rewritten queries and its skeleton (CGM's stage 2)."""
    if embedder is None or retrieval.query_vectors is None or not retrieval.files:
        return {}
    vectors = index.skeleton_embeddings(embedder, retrieval.files)
    similarity = (retrieval.query_vectors @ vectors.T).max(axis=0)  # [files]
    return {file: float(max(value, 0.0)) for file, value in zip(retrieval.files, np.asarray(similarity))}
