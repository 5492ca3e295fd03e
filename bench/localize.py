"""Localization benchmark: the rewriter -> retriever -> reranker pipeline vs BM25 over whole files.

Dev set: real fixes mined from the history of Python repositories fetched as bare git mirrors (see
bench/localize_devset.py): the commit message is the issue, the modified non-test files are the gold, the graph is
built at the parent commit. Metrics (LocAgent's strict definition, research/cgm_cge.md 5.1): file Acc@k = all gold
files in the top k; function Acc@5 = all gold functions (the innermost functions containing the changed lines, on
instances that have one) in the top 5; `any@k` = at least one gold file in the top k. Timing: `localize` on a
~2,000-file repository (a copy of the standard library) with a warm graph cache, in process and through the CLI.

Baselines, in the same run: "BM25" over whole files with this project's identifier-split tokens (the strong
baseline: the pipeline's own BM25 component alone), and "BM25-words" over whole files with plain lower-cased words
(the conventional one). The reranker's weights were tuned on the repositories in TUNED_ON; the table is printed
for those, for the held-out repositories, and for all.

With `--model DIR` (a model folder with an embedder/ search head) the pipeline also runs with embeddings, as the
"pipeline+embed" row (every definition of each instance's repository is embedded: slow on a CPU).

Usage:
    .venv/bin/python bench/localize.py                       # mine (cached), evaluate, time, table + PNG
    .venv/bin/python bench/localize.py --per-repo 16 --mirrors /work/.mirror --json bench/out/localize.json
    .venv/bin/python bench/localize.py --reuse-graphs --no-timing --model models/starter

Sample output (columns only; numbers come from runs):
    method    | n   | file Acc@1 | file Acc@3 | file Acc@5 | any@5 | func Acc@5 (n)
    pipeline  | ... |
    BM25      | ... |
    BM25-words| ... |
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402
from localize_devset import Instance, checkout, load_or_mine  # noqa: E402

from analysis.localize import Embedder, LocalizationIndex, localize  # noqa: E402
from analysis.localize.graphview import FUNCTION  # noqa: E402
from analysis.localize.bm25 import BM25  # noqa: E402
from analysis.localize.tokens import count_tokens  # noqa: E402
from analysis.localize.tokenstore import STORE_FILE, Documents, TokenStore  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT / "data" / "localize"
METHODS = ("pipeline", "BM25", "BM25-words")
EMBEDDED = "pipeline+embed"  # the pipeline with the search embedder (--model), when one is given
# The reranker's weights were chosen on these repositories' instances; the other repositories are held out.
TUNED_ON = frozenset({
    "astropy/astropy", "encode/httpx", "marshmallow-code/marshmallow", "pallets/click", "pallets/flask",
    "pallets/jinja", "pallets/werkzeug", "psf/requests", "pydata/xarray", "pylint-dev/pylint", "pytest-dev/pluggy",
    "pytest-dev/pytest", "python-attrs/attrs", "sphinx-doc/sphinx", "sympy/sympy",
})  # fmt: skip
SPLIT_NOTES = {
    "all": "every instance",
    "tuned-on": "repositories the weights were tuned on",
    "held-out": "repositories never used for tuning",
}
PLAIN_WORD = re.compile(r"\w+")
FILE_KS = (1, 3, 5)


@dataclass
class Outcome:
    key: str
    repo: str
    gold_files: tuple[str, ...]
    gold_functions: list[str]
    files: dict[str, list[str]] = field(default_factory=dict)  # method -> ranked paths
    functions: dict[str, list[str]] = field(default_factory=dict)  # method -> ranked "path::qualname"
    seconds: float = 0.0


def build_graph(root: Path, cache: Path):
    from analysis.workspace import Workspace

    workspace = Workspace(root, cache_dir=cache)
    workspace.index()
    return workspace


def instance_graph(instance: Instance, git_dir: Path, reuse: bool) -> tuple[nx.MultiDiGraph, Path]:
    """The graph at the instance's parent commit. With `reuse`, a graph pickled by an earlier run of this
    benchmark is loaded instead of re-indexing (our own derived data under data/; for iterating on the
    pipeline, not for measuring the graph)."""
    folder = instance.repo.replace("/", "+")
    stored = DATA / "graphs" / f"{instance.key}.pickle"
    root = DATA / "checkouts" / folder
    if reuse and stored.is_file():
        with open(stored, "rb") as handle:
            return pickle.load(handle), root
    checkout(git_dir, instance.parent, root)
    workspace = build_graph(root, DATA / "graph-cache" / folder)
    stored.parent.mkdir(parents=True, exist_ok=True)
    with open(stored, "wb") as handle:
        pickle.dump(workspace.graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return workspace.graph, workspace.root


def gold_functions(index: LocalizationIndex, instance: Instance) -> list[str]:
    """The innermost FUNCTION containing each changed old-side line, as "path::qualname"."""
    out: set[str] = set()
    for path, lines in instance.changed_lines.items():
        file = index.by_path.get(path)
        if file is None:
            continue
        functions = [index.units[c] for c in index.children.get(file, []) if index.units[c].kind == FUNCTION]
        for line in lines:
            inside = [u for u in functions if u.start_line <= line <= u.end_line]
            if inside:
                best = min(inside, key=lambda u: u.end_line - u.start_line)
                out.add(f"{best.path}::{best.qualname}")
    return sorted(out)


def bm25_rankings(index: LocalizationIndex, issue: str) -> tuple[list[str], list[str]]:
    """BM25 with the issue's tokens as the query: whole files, and function bodies."""
    query = count_tokens(issue)
    scores = index.file_bm25.scores(query)
    files = [index.units[index.files[i]].path for i in sorted(range(len(scores)), key=lambda i: -scores[i])[:50]]
    definition_scores = index.definition_bm25.scores(query)
    order = sorted(range(len(definition_scores)), key=lambda i: -definition_scores[i])
    functions: list[str] = []
    for row in order:
        unit = index.units[index.definitions[row]]
        if unit.kind == FUNCTION:
            functions.append(f"{unit.path}::{unit.qualname}")
            if len(functions) == 50:
                break
    return files, functions


def plain_bm25_files(index: LocalizationIndex, issue: str) -> list[str]:
    """The conventional baseline: BM25 over whole files with lower-cased words as tokens (no identifier split)."""
    store = TokenStore()
    docs = [store.term_counts(Counter(PLAIN_WORD.findall(index.file_text(f).lower()))) for f in index.files]
    scores = BM25(Documents.of(docs), store.vocabulary).scores(Counter(PLAIN_WORD.findall(issue.lower())))
    return [index.units[index.files[i]].path for i in sorted(range(len(scores)), key=lambda i: -scores[i])[:50]]


def evaluate(instance: Instance, git_dir: Path, reuse: bool, store: TokenStore | None = None,
             embedder: Embedder | None = None) -> Outcome:
    """One instance; `store` carries token counts between instances of one repository (most files are the same at
    nearby commits), which only saves time. With `embedder`, the pipeline also runs with it (every definition of
    the repository is embedded: slow on a CPU)."""
    graph, root = instance_graph(instance, git_dir, reuse)
    index = LocalizationIndex.build(graph, root, store)
    outcome = Outcome(instance.key, instance.repo, instance.gold_files, gold_functions(index, instance))
    started = time.perf_counter()
    result = localize(index, instance.issue)
    outcome.seconds = time.perf_counter() - started
    outcome.files["pipeline"] = [f.path for f in result.files[:50]]
    outcome.functions["pipeline"] = [f"{f.path}::{f.name}" for f in result.functions[:50]]
    outcome.files["BM25"], outcome.functions["BM25"] = bm25_rankings(index, instance.issue)
    outcome.files["BM25-words"] = plain_bm25_files(index, instance.issue)
    outcome.functions["BM25-words"] = []
    if embedder is not None:
        embedded = localize(index, instance.issue, embedder=embedder)
        outcome.files[EMBEDDED] = [f.path for f in embedded.files[:50]]
        outcome.functions[EMBEDDED] = [f"{f.path}::{f.name}" for f in embedded.functions[:50]]
    return outcome


def strict(ranked: list[str], gold, k: int) -> bool:
    top = set(ranked[:k])
    return all(g in top for g in gold)


def any_hit(ranked: list[str], gold, k: int) -> bool:
    return any(g in set(ranked[:k]) for g in gold)


def metrics(outcomes: list[Outcome], method: str) -> dict[str, float]:
    n = len(outcomes)
    with_functions = [o for o in outcomes if o.gold_functions]
    row: dict[str, float] = {"n": n, "n_functions": len(with_functions)}
    for k in FILE_KS:
        row[f"file_acc@{k}"] = 100.0 * sum(strict(o.files[method], o.gold_files, k) for o in outcomes) / max(n, 1)
    row["file_any@5"] = 100.0 * sum(any_hit(o.files[method], o.gold_files, 5) for o in outcomes) / max(n, 1)
    row["func_acc@5"] = (100.0 * sum(strict(o.functions[method], o.gold_functions, 5) for o in with_functions)
                         / max(len(with_functions), 1)) if any(o.functions[method] for o in outcomes) else float("nan")
    return row


# ---- timing on a ~2,000-file repository ----


def stdlib_copy(target: Path) -> Path:
    """The standard library (without site-packages) copied into `target` once."""
    if not (target / ".copy-complete").exists():
        source = Path(sysconfig.get_paths()["stdlib"])
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"))
        (target / ".copy-complete").touch()
    return target


TIMING_ISSUE = """json.dumps fails with sort_keys=True when the keys mix int and str

```
Traceback (most recent call last):
  File "repro.py", line 3, in <module>
    json.dumps({1: 'a', 'b': 2}, sort_keys=True)
  File "/usr/lib/python3.11/json/__init__.py", line 238, in dumps
    **kw).encode(obj)
  File "/usr/lib/python3.11/json/encoder.py", line 200, in encode
    chunks = self.iterencode(o, _one_shot=True)
TypeError: '<' not supported between instances of 'int' and 'str'
```
`JSONEncoder.iterencode` should not sort mixed keys this way.
"""


def time_stdlib(repeats: int) -> dict[str, float | int | str]:
    root = stdlib_copy(DATA / "stdlib")
    cache = DATA / "graph-cache" / "stdlib"
    issue_file = DATA / "stdlib-issue.md"
    issue_file.write_text(TIMING_ISSUE)
    started = time.perf_counter()
    workspace = build_graph(root, cache)  # cold or warm: makes the cache warm for what follows
    first_index = time.perf_counter() - started
    in_process, cli = [], []
    top = ""
    for _ in range(repeats):
        started = time.perf_counter()
        workspace = build_graph(root, cache)
        store = TokenStore.load(workspace.cache_path.with_name(STORE_FILE))
        index = LocalizationIndex.build(workspace.graph, workspace.root, store)
        if store.dirty:
            store.save(workspace.cache_path.with_name(STORE_FILE))
        result = localize(index, TIMING_ISSUE)
        in_process.append(time.perf_counter() - started)
        top = result.files[0].path if result.files else ""
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("rodimus-lsp")), "localize", str(root), "--issue", str(issue_file),
             "--cache-dir", str(cache), "--json"],
            check=True, capture_output=True,
        )  # fmt: skip
        cli.append(time.perf_counter() - started)
    return {
        "files": len(index.files),
        "first_index_s": round(first_index, 2),
        "in_process_median_s": round(statistics.median(in_process), 2),
        "cli_median_s": round(statistics.median(cli), 2),
        "top_file": top,
    }


# ---- report ----


def header() -> str:
    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return (f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
            f"commit {commit} (shared machine: timings are noisy)")  # fmt: skip


def table(rows: dict[str, dict[str, float]]) -> str:
    lines = ["method    | n   | file Acc@1 | file Acc@3 | file Acc@5 | any@5 | func Acc@5 (n)"]
    for method, row in rows.items():
        lines.append(
            f"{method:<10}| {row['n']:<3.0f} | {row['file_acc@1']:10.1f} | {row['file_acc@3']:10.1f} | "
            f"{row['file_acc@5']:10.1f} | {row['file_any@5']:5.1f} | "
            f"{row['func_acc@5']:5.1f} ({row['n_functions']:.0f})"
        )
    return "\n".join(lines)


def plot(rows: dict[str, dict[str, float]], per_repo: dict[str, dict[str, dict[str, float]]], path: Path,
         methods: tuple[str, ...]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["file_acc@1", "file_acc@3", "file_acc@5", "file_any@5", "func_acc@5"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / len(methods)
    for offset, method in enumerate(methods):
        left.bar([i + offset * width for i in range(len(keys))], [rows[method][k] for k in keys], width, label=method)
    left.set_xticks([i + width * (len(methods) - 1) / 2 for i in range(len(keys))], keys)
    left.set_ylabel("%")
    left.set_title(f"all instances (n={rows['pipeline']['n']:.0f})")
    left.legend()
    repos = sorted(per_repo)
    for offset, method in enumerate(methods):
        right.bar([i + offset * width for i in range(len(repos))], [per_repo[r][method]["file_acc@1"] for r in repos],
                  width, label=method)  # fmt: skip
    right.set_xticks([i + width * (len(methods) - 1) / 2 for i in range(len(repos))],
                     [r.split("/")[1] for r in repos], rotation=30)  # fmt: skip
    right.set_title("file Acc@1 per repository")
    right.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def mirrors(folder: Path) -> dict[str, Path]:
    """owner/name -> bare git directory, for fetch-tool mirrors laid out as `owner+name/repo`."""
    out = {}
    for git_dir in sorted(folder.glob("*/repo")):
        out[git_dir.parent.name.replace("+", "/", 1)] = git_dir
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"), help="folder of owner+name/repo mirrors")
    parser.add_argument("--per-repo", type=int, default=10, help="instances mined per repository")
    parser.add_argument("--limit", type=int, help="evaluate only the first N instances")
    parser.add_argument("--repeats", type=int, default=3, help="timing repetitions")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--reuse-graphs", action="store_true", help="load graphs pickled by an earlier run")
    parser.add_argument("--model", type=Path, help="model folder with an embedder/ search head: adds " + EMBEDDED)
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "bench" / "out" / "localize.json")
    parser.add_argument("--png", type=Path, default=REPO_ROOT / "bench" / "out" / "localize.png")
    args = parser.parse_args(argv)

    embedder = None
    if args.model is not None:
        from models.embedder import CodeEmbedder

        embedder = CodeEmbedder.load(args.model)
    methods = METHODS + ((EMBEDDED,) if embedder is not None else ())
    repos = mirrors(args.mirrors)
    if not repos:
        print(f"no mirrors under {args.mirrors}: fetch repositories first (see the module docstring)")
        return 2
    instances = load_or_mine(DATA / "devset.json", repos, args.per_repo)[: args.limit]
    print(header())
    print(f"dev set: {len(instances)} fixes from {len(repos)} repositories: "
          + ", ".join(f"{r} {n}" for r, n in sorted(Counter(i.repo for i in instances).items())))  # fmt: skip
    outcomes = []
    stores: dict[str, TokenStore] = {}
    for number, instance in enumerate(instances, 1):
        if instance.repo not in stores:
            stores = {instance.repo: TokenStore()}  # instances come grouped by repository
        store = stores[instance.repo]
        outcome = evaluate(instance, repos[instance.repo], args.reuse_graphs, store, embedder)
        outcomes.append(outcome)
        mark = "hit" if strict(outcome.files["pipeline"], outcome.gold_files, 1) else "   "
        print(f"  [{number:3d}/{len(instances)}] {mark} {instance.key} {outcome.seconds:5.2f}s", flush=True)
    splits = {
        "all": outcomes,
        "tuned-on": [o for o in outcomes if o.repo in TUNED_ON],
        "held-out": [o for o in outcomes if o.repo not in TUNED_ON],
    }
    by_split = {name: {m: metrics(part, m) for m in methods} for name, part in splits.items() if part}
    rows = by_split["all"]
    per_repo = {
        repo: {method: metrics([o for o in outcomes if o.repo == repo], method) for method in methods}
        for repo in sorted({o.repo for o in outcomes})
    }
    for name, split_rows in by_split.items():
        print(f"\n{name} ({SPLIT_NOTES[name]}):")
        print(table(split_rows))
        for system in [m for m in (METHODS[0], EMBEDDED) if m in split_rows]:
            pipeline = split_rows[system]
            for baseline in ("BM25", "BM25-words"):
                other = split_rows[baseline]
                ratio = pipeline["file_acc@1"] / other["file_acc@1"] if other["file_acc@1"] else float("inf")
                print(f"  {system} vs {baseline}: file Acc@1 {ratio:.2f}x (goal >= 1.3x), file Acc@5 "
                      f"{pipeline['file_acc@5'] - other['file_acc@5']:+.1f} points (goal >= +15)")  # fmt: skip
    print("per repository, file Acc@1 pipeline / BM25: "
          + ", ".join(f"{r.split('/')[1]} {v['pipeline']['file_acc@1']:.0f}/{v['BM25']['file_acc@1']:.0f}"
                      for r, v in per_repo.items()))  # fmt: skip
    timing = None
    if not args.no_timing:
        timing = time_stdlib(args.repeats)
        print(f"timing on the standard library ({timing['files']} files, warm graph cache and token store): in "
              f"process {timing['in_process_median_s']} s (graph load + localization index + localize), CLI "
              f"{timing['cli_median_s']} s end to end (median of {args.repeats}); goal <= 10 s")  # fmt: skip
    plot(rows, per_repo, args.png, methods)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"splits": by_split, "per_repo": per_repo, "timing": timing,
                                     "outcomes": [o.__dict__ for o in outcomes]}, indent=1))  # fmt: skip
    print(f"wrote {args.png} and {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
