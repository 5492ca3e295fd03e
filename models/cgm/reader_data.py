"""Training and evaluation samples for the CGM reader, mined from the starter corpus (data/corpus).

Stage 2 (`build_fix_samples`): a one-line synthetic bug (models/cgm/bugs.py) is injected into a short function of
a corpus file; the sample is the symptom issue text, the file set the reader sees (the buggy file; with `noise`,
as CGM's noisy fine-tuning: ~10 % also get an irrelevant file, ~10 % lose the oracle file and see only an
irrelevant one), the buggy function's span, the file's code subgraph and the answer: one search/replace block
(the format analysis/readers/chat_reader.py asks for) that turns the buggy line back into the original, with
just enough surrounding lines to be unique in the file.

Stage 1 (`build_reconstruction_samples`): a function's neighbourhood in the code graph and that function's code.

Graphs come from the real analysis code: each file is indexed alone with `analysis.Workspace` in a temporary
folder (cached per file); a bug changes one line and no line count, so the buggy graph is the clean one with that
line replaced in the texts of the nodes that span it. Splits are by whole file: `split` names a jsonl file of the
corpus (`train`, `heldout`, `heldout_packages`), and all files of a sample come from that split.
"""
from __future__ import annotations

import json
import random
import tempfile
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import networkx as nx

from analysis.readers.base import GraphContext, SourceFile
from analysis.readers.graph_context import build_graph_context
from models.cgm.bugs import KINDS, MAX_FUNCTION_LINES, Bug, find_bugs, issue_text, still_parses
from models.cgm.edit_text import one_line_answer, unique_span

IRRELEVANT_FILE_RATE = 0.10
DROPPED_ORACLE_RATE = 0.10
BUGS_PER_FILE = 2
GRAPH_NODES = 64
RECONSTRUCTION_NODES = 16
_TEST_PARTS = frozenset({"test", "tests", "testing"})
_CACHE_SIZE = 256
WORKSPACE_NAME = "workspace"  # the temporary root's name: the REPO node's text in every sample graph


@dataclass(frozen=True)
class ReaderSample:
    issue: str
    files: tuple[SourceFile, ...]  # what the reader sees (oracle file, maybe an irrelevant one, maybe no oracle)
    focus: tuple[str, int, int] | None  # (path, 1-based start, end line) of the buggy function when its file is shown
    graph: GraphContext
    answer: str  # the search/replace reply that fixes the bug
    kind: str  # the bug kind (models.cgm.bugs.KINDS)


@dataclass(frozen=True)
class ReconstructionSample:
    graph: GraphContext
    target: str  # the code of the sampled function, whole lines


@dataclass(frozen=True)
class CorpusFile:
    path: str
    package: str
    text: str


def load_split(corpus: Path, split: str) -> list[CorpusFile]:
    """The files of `corpus/{split}.jsonl`, in file order."""
    source = Path(corpus) / f"{split}.jsonl"
    if not source.is_file():
        raise FileNotFoundError(f"no split {split!r} in {corpus} ({source.name} is missing)")
    with source.open(encoding="utf-8") as handle:
        return [CorpusFile(r["path"], r["package"], r["text"]) for r in map(json.loads, handle) if r.get("text")]


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return any(p in _TEST_PARTS for p in parts[:-1]) or name.startswith("test_") or name == "conftest.py"


def fix_answer(path: str, buggy_text: str, bug: Bug) -> str:
    """One search/replace block from the buggy line back to the original, grown with neighbouring lines of the
    function until the SEARCH part occurs exactly once in `buggy_text`."""
    lines = buggy_text.split("\n")
    return one_line_answer(path, lines, unique_span(lines, bug.line, bug.start_line, bug.end_line), bug.line,
                           bug.original)


class GraphCache:
    """Code graphs of single corpus files (LRU). Each file is opened as a buffer in one `analysis.Workspace` over
    an empty temporary folder, its graph copied, and the buffer closed again (which removes its nodes): the same
    graph as indexing the file alone on disk, without writing it."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._graphs: OrderedDict[tuple[str, int], nx.MultiDiGraph] = OrderedDict()
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._workspace = None

    def graph(self, file: CorpusFile) -> nx.MultiDiGraph:
        key = (file.path, hash(file.text))
        found = self._graphs.get(key)
        if found is None:
            found = self._graphs[key] = self._index(file)
            while len(self._graphs) > self.size:
                self._graphs.popitem(last=False)
        else:
            self._graphs.move_to_end(key)
        return found

    def _index(self, file: CorpusFile) -> nx.MultiDiGraph:
        if self._workspace is None:
            from analysis import Workspace

            self._folder = tempfile.TemporaryDirectory(prefix="cgm-samples-")
            root = Path(self._folder.name) / WORKSPACE_NAME
            root.mkdir()
            self._workspace = Workspace(root, cache_dir=Path(self._folder.name) / "cache")
            self._workspace.index(use_cache=False)
        path = str(self._workspace.root / file.path)
        self._workspace.open(path, file.text)
        try:
            return self._workspace.graph.copy()
        finally:
            self._workspace.close(path)


def with_bug(graph: nx.MultiDiGraph, path: str, bug: Bug) -> nx.MultiDiGraph:
    """A copy of a file's clean graph whose node texts carry the bug (the nodes whose span holds its line)."""
    out = graph.copy()
    for node, data in out.nodes(data=True):
        if data.get("path") != path or "text" not in data:
            continue
        start = data.get("start_line") or 1
        end = data.get("end_line") or start + str(data["text"]).count("\n")
        if not start <= bug.line <= end:
            continue
        lines = str(data["text"]).split("\n")
        offset = bug.line - start
        column = int(data.get("start_col") or 0) if offset == 0 else 0  # a node may start inside the line
        before, after = bug.original.encode("utf-8"), bug.buggy.encode("utf-8")
        if lines[offset].encode("utf-8") == before[column:] and before[:column] == after[:column]:
            lines[offset] = after[column:].decode("utf-8")
            out.nodes[node]["text"] = "\n".join(lines)
    return out


def function_node(graph: nx.MultiDiGraph, path: str, qualname: str, start_line: int) -> str | None:
    for node, data in graph.nodes(data=True):
        if data.get("path") == path and data.get("qualname") == qualname and data.get("start_line") == start_line:
            return node
    return None


def _pick_bugs(source: str, bugs: list[Bug], counts: Counter[str], rng: random.Random, k: int) -> list[Bug]:
    """Up to `k` bugs of `source` on different lines, each of the kind least drawn so far (balances the kinds);
    `bugs` are unverified candidates, checked here as they are drawn."""
    picked: list[Bug] = []
    pool = list(bugs)
    while len(picked) < k and pool:
        # the tie-break draws follow the kinds' sorted order, not the set's (string hashing differs per process)
        kinds = sorted(sorted({b.kind for b in pool}), key=lambda kind: (counts[kind], rng.random()))
        bug = rng.choice([b for b in pool if b.kind == kinds[0]])
        pool.remove(bug)
        if not still_parses(bug, source):
            continue
        picked.append(bug)
        pool = [b for b in pool if b.line != bug.line]
        counts[bug.kind] += 1
    return picked


def build_fix_samples(
    corpus: Path, split: str, n: int, seed: int, noise: bool, cache: GraphCache | None = None,
    bugs_per_file: int = BUGS_PER_FILE,
) -> list[ReaderSample]:
    """`n` issue -> fix samples from the non-test files of `split`, at most `bugs_per_file` per file, on
    different lines (deterministic for a seed)."""
    rng = random.Random(seed)
    files = [f for f in load_split(corpus, split) if not is_test_path(f.path)]
    order = list(range(len(files)))
    rng.shuffle(order)
    cache = cache or GraphCache()
    counts: Counter[str] = Counter({kind: 0 for kind in KINDS})
    out: list[ReaderSample] = []
    for i in order:
        if len(out) >= n:
            break
        file = files[i]
        bugs = [b for b in find_bugs(file.text, verify=False) if not b.function.rsplit(".", 1)[-1].startswith("test")]
        for bug in _pick_bugs(file.text, bugs, counts, rng, min(bugs_per_file, n - len(out))):
            sample = _fix_sample(file, bug, files, rng, cache, noise)
            if sample is not None:
                out.append(sample)
    return out


def _fix_sample(
    file: CorpusFile, bug: Bug, files: list[CorpusFile], rng: random.Random, cache: GraphCache, noise: bool
) -> ReaderSample | None:
    buggy_text = bug.inject(file.text)
    graph = with_bug(cache.graph(file), file.path, bug)
    focus_node = function_node(graph, file.path, bug.function, bug.start_line)
    if focus_node is None:
        return None
    oracle = SourceFile(file.path, buggy_text)
    shown: tuple[SourceFile, ...] = (oracle,)
    focus: tuple[str, int, int] | None = (file.path, bug.start_line, bug.end_line)
    graph_files = [file.path]
    draw = rng.random() if noise else 1.0
    if draw < IRRELEVANT_FILE_RATE + DROPPED_ORACLE_RATE:
        other = _irrelevant_file(file, files, rng)
        if other is not None:
            graph = nx.compose(graph, cache.graph(other))
            extra = SourceFile(other.path, other.text)
            if draw < IRRELEVANT_FILE_RATE:
                shown = (oracle, extra) if rng.random() < 0.5 else (extra, oracle)
            else:
                shown, focus = (extra,), None
            graph_files = [s.path for s in shown] + ([file.path] if focus is None else [])
    context = build_graph_context(graph, graph_files, [focus_node], max_nodes=GRAPH_NODES)
    return ReaderSample(
        issue=issue_text(bug, file.path, rng),
        files=shown,
        focus=focus,
        graph=context,
        answer=fix_answer(file.path, buggy_text, bug),
        kind=bug.kind,
    )


def _irrelevant_file(file: CorpusFile, files: list[CorpusFile], rng: random.Random) -> CorpusFile | None:
    """Another file of the split, from the same package when there is one (a plausible distractor)."""
    same = [f for f in files if f.package == file.package and f.path != file.path]
    pool = same or [f for f in files if f.path != file.path]
    return rng.choice(pool) if pool else None


def build_reconstruction_samples(
    corpus: Path, split: str, n: int, seed: int, cache: GraphCache | None = None
) -> list[ReconstructionSample]:
    """`n` (function neighbourhood -> that function's code) samples from `split` (deterministic for a seed)."""
    rng = random.Random(seed)
    files = load_split(corpus, split)
    order = list(range(len(files)))
    rng.shuffle(order)
    cache = cache or GraphCache()
    out: list[ReconstructionSample] = []
    for i in order:
        if len(out) >= n:
            break
        file = files[i]
        graph = cache.graph(file)
        lines = file.text.split("\n")
        functions = [
            node
            for node, data in graph.nodes(data=True)
            if data.get("type") == "FUNCTION"
            and data.get("path") == file.path
            and 0 <= data["end_line"] - data["start_line"] < MAX_FUNCTION_LINES
        ]
        functions.sort()
        for node in rng.sample(functions, min(BUGS_PER_FILE, len(functions), n - len(out))):
            data = graph.nodes[node]
            target = "".join(line + "\n" for line in lines[data["start_line"] - 1 : data["end_line"]])
            context = build_graph_context(graph, [file.path], [node], max_nodes=RECONSTRUCTION_NODES)
            out.append(ReconstructionSample(graph=context, target=target))
    return out
