"""Reader benchmark: fix rate on held-out synthetic bugs, with the localization pipeline and with oracle localization.

Bugs: `models.cgm.reader_data.build_fix_samples` on the corpus's held-out files (never trained on), no noise: one
one-line bug (swapped comparison, off-by-one, wrong variable, dropped `not`, swapped arguments) in a short function,
and an issue text describing its symptom. Each bug gets a fixture repository in a temporary folder: the held-out
file with the bug plus up to `--siblings` other corpus files of its directory (its package), indexed with
`analysis.Workspace`.

Rows (every reader sees the same bugs and the same localization):
- `<reader> + localization`: `analysis.patch.pipeline` end to end (rewriter -> retriever -> reranker -> reader ->
  validated patch), as `rodimus-lsp fix` runs it;
- `<reader> + oracle`: the reader is given the buggy file, its subgraph focused on the buggy function;
- `no change`: the trivial baseline (a reader that proposes nothing), through the same code.
Readers: the local CGM reader (`build_reader`: the shipped starter reader, or `--reader DIR`), and the
OpenAI-compatible backend when `--endpoint` is given. A bug counts as fixed only if the patch restores the original
file exactly and changes nothing else. Also reported: localization file Acc@1 and function Acc@5 on these bugs,
and, for the starter reader's way of answering (it ranks repair-template candidates of the shown function,
models.cgm.decode), how often the fix is among the candidates at all (its ceiling with oracle localization) and
the fix rate of a uniform random pick among them (chance).

Usage:
    .venv/bin/python bench/reader.py                       # 200 bugs, the shipped reader when installed
    .venv/bin/python bench/reader.py --reader runs/reader --n 200
    .venv/bin/python bench/reader.py --endpoint http://localhost:8000/v1 --model cgm

Sample output (the starter reader shipped after commit f9eaa3b, step 5,500 of its run; 2 CPU cores, one idle):
    row                            | n   | fixed % | swapped_comparison | off_by_one | wrong_variable | dropped_not | swapped_arguments | s/bug
    no change + localization       | 200 |     0.0 |                0.0 |        0.0 |            0.0 |         0.0 |               0.0 |  0.00
    no change + oracle             | 200 |     0.0 |                0.0 |        0.0 |            0.0 |         0.0 |               0.0 |  0.00
    local + localization           | 200 |    32.0 |               51.3 |       32.5 |           10.0 |        42.5 |              24.4 |  0.35
    local + oracle                 | 200 |    33.0 |               53.8 |       35.0 |           10.0 |        42.5 |              24.4 |  0.14
    localization on these bugs: file Acc@1 98.0%, function Acc@5 100.0%; bugs per kind {...: 39-41 each}
    repair templates: the fix is a candidate for 97.5% of the bugs (the starter reader's ceiling), 97 candidates
    per function on average; a uniform random pick among them fixes 6.9%
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import Workspace  # noqa: E402
from analysis.localize import LocalizationIndex  # noqa: E402
from analysis.localize.serialize import serialize_subgraph  # noqa: E402
from analysis.patch.apply import PatchError, build_patch, disk_reader  # noqa: E402
from analysis.patch.pipeline import complete_fix, prepare_fix  # noqa: E402
from analysis.readers.base import Reader, ReaderError, ReaderReply, ReaderRequest, SourceFile  # noqa: E402
from analysis.readers.config import ReaderConfig, build_reader  # noqa: E402
from analysis.readers.graph_context import build_graph_context  # noqa: E402
from models.cgm.bugs import KINDS  # noqa: E402
from models.cgm.decode import repair_candidates  # noqa: E402
from models.cgm.reader_data import CorpusFile, GraphCache, ReaderSample, build_fix_samples, load_split  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "data" / "corpus"
BASELINE = "no change"


class NoChange:
    """The trivial baseline: a reader that never proposes an edit."""

    name = BASELINE

    def read(self, request: ReaderRequest, cancelled: Callable[[], bool] | None = None) -> ReaderReply:
        return ReaderReply(edits=(), raw="")


@dataclass
class Outcome:
    kind: str
    file_top1: bool
    function_top5: bool
    fixed: dict[str, bool]  # row -> restored exactly
    seconds: dict[str, float]
    candidates: int  # repair-template candidates of the buggy function
    fix_in_candidates: bool


def package_files(sample_path: str, pool: dict[str, list[CorpusFile]], limit: int, seed: int) -> list[CorpusFile]:
    """Up to `limit` other corpus files of the bug file's directory (deterministic)."""
    directory = sample_path.rsplit("/", 1)[0]
    siblings = [f for f in pool.get(directory, []) if f.path != sample_path]
    random.Random(f"{seed}:{sample_path}").shuffle(siblings)
    return siblings[:limit]


def restored(changes: dict[str, str], path: str, original: str) -> bool:
    """Whether the changed files are exactly the bug's file, back to its original text."""
    return set(changes) == {path} and changes[path] == original


def evaluate(
    sample: ReaderSample, original: str, siblings: list[CorpusFile], readers: dict[str, Reader]
) -> Outcome:
    path, start, _ = sample.focus
    with tempfile.TemporaryDirectory(prefix="bench-reader-") as folder:
        root = Path(folder) / "repo"
        for file in [*siblings, CorpusFile(path, "", sample.files[0].text)]:
            target = root / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.text, encoding="utf-8")
        workspace = Workspace(root, cache_dir=Path(folder) / "cache")
        workspace.index(use_cache=False)
        index = LocalizationIndex.build(workspace.graph, workspace.root)
        read = disk_reader(index.root)
        prepared = prepare_fix(index, sample.issue, NoChange(), read)
        localization = prepared.localization
        function = next(
            (n for n, d in index.graph.nodes(data=True)
             if d.get("path") == path and d.get("start_line") == start and d.get("type") == "FUNCTION"),
            None,
        )  # fmt: skip
        file_node = index.by_path[path]
        oracle = ReaderRequest(
            issue=sample.issue,
            files=(SourceFile(path, sample.files[0].text),),
            subgraph=serialize_subgraph(index, [file_node]),
            graph=build_graph_context(index.graph, [file_node], [function] if function is not None else []),
        )
        fixed: dict[str, bool] = {}
        seconds: dict[str, float] = {}
        for name, reader in readers.items():
            started = time.perf_counter()
            result = complete_fix(replace(prepared, reader=reader))
            changes = {} if result.patch is None else {c.path: c.new for c in result.patch.changes}
            fixed[f"{name} + localization"] = restored(changes, path, original)
            seconds[f"{name} + localization"] = time.perf_counter() - started
            started = time.perf_counter()
            fixed[f"{name} + oracle"] = restored(oracle_changes(reader, oracle, index.root, read), path, original)
            seconds[f"{name} + oracle"] = time.perf_counter() - started
        buggy = sample.files[0].text
        _, first, last = sample.focus
        candidates = repair_candidates(path, buggy, first, buggy.split("\n")[first - 1:last])
        return Outcome(
            kind=sample.kind,
            file_top1=bool(localization.files) and localization.files[0].path == path,
            function_top5=function is not None and any(f.node == function for f in localization.functions[:5]),
            fixed=fixed,
            seconds=seconds,
            candidates=len(candidates),
            fix_in_candidates=sample.answer in {c.answer for c in candidates},
        )


def oracle_changes(reader: Reader, request: ReaderRequest, root: Path, read) -> dict[str, str]:  # noqa: ANN001
    try:
        reply = reader.read(request)
        if not reply.edits:
            return {}
        patch = build_patch(root, reply.edits, read)
    except (ReaderError, PatchError):
        return {}
    return {c.path: c.new for c in patch.changes}


def summarize(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for row in outcomes[0].fixed if outcomes else []:
        by_kind: dict[str, list[bool]] = defaultdict(list)
        for outcome in outcomes:
            by_kind[outcome.kind].append(outcome.fixed[row])
        every = [o.fixed[row] for o in outcomes]
        rows[row] = {
            "n": len(every),
            "fixed": 100.0 * sum(every) / len(every),
            "seconds": sum(o.seconds[row] for o in outcomes) / len(outcomes),
            **{kind: 100.0 * sum(v) / len(v) for kind, v in by_kind.items()},
        }
    return rows


def header() -> str:
    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return (f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
            f"commit {commit} (shared machine: timings are noisy)")  # fmt: skip


def table(rows: dict[str, dict[str, float]], outcomes: list[Outcome]) -> str:
    names = ["row".ljust(30), "n  ", "fixed %", *KINDS, "s/bug"]
    lines = [" | ".join(names)]
    for row, values in rows.items():
        cells = [row.ljust(30), f"{values['n']:<3.0f}", f"{values['fixed']:7.1f}"]
        cells += [f"{values.get(kind, float('nan')):{len(kind)}.1f}" for kind in KINDS]
        cells.append(f"{values['seconds']:5.2f}")
        lines.append(" | ".join(cells))
    n = max(len(outcomes), 1)
    kinds = {kind: sum(o.kind == kind for o in outcomes) for kind in KINDS}
    lines.append(
        f"localization on these bugs: file Acc@1 {100.0 * sum(o.file_top1 for o in outcomes) / n:.1f}%, "
        f"function Acc@5 {100.0 * sum(o.function_top5 for o in outcomes) / n:.1f}%; bugs per kind {kinds}"
    )
    chance = sum(o.fix_in_candidates / max(o.candidates, 1) for o in outcomes) / n
    lines.append(
        f"repair templates: the fix is a candidate for {100.0 * sum(o.fix_in_candidates for o in outcomes) / n:.1f}% "
        f"of the bugs (the starter reader's ceiling), {sum(o.candidates for o in outcomes) / n:.0f} candidates "
        f"per function on average; a uniform random pick among them fixes {100.0 * chance:.1f}%"
    )
    return "\n".join(lines)


def plot(rows: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["fixed", *KINDS]
    figure, axis = plt.subplots(figsize=(12, 4.5))
    width = 0.8 / max(len(rows), 1)
    for offset, (row, values) in enumerate(rows.items()):
        axis.bar([i + offset * width for i in range(len(keys))], [values.get(k, 0.0) for k in keys], width, label=row)
    axis.set_xticks([i + width * (len(rows) - 1) / 2 for i in range(len(keys))],
                    ["all" if k == "fixed" else k.replace("_", " ") for k in keys])  # fmt: skip
    axis.set_ylabel("fixed exactly (%)")
    axis.set_ylim(0, 100)
    axis.set_title(f"held-out synthetic bugs (n={next(iter(rows.values()))['n']:.0f})" if rows else "no bugs")
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def build_readers(args: argparse.Namespace) -> dict[str, Reader]:
    readers: dict[str, Reader] = {BASELINE: NoChange()}
    local = build_reader(ReaderConfig(backend="local", model=str(args.reader) if args.reader else None))
    if local is not None:
        readers[local.name] = local
    else:
        print("no local reader (none shipped and no --reader DIR): its rows are left out", file=sys.stderr)
    if args.endpoint:
        remote = build_reader(ReaderConfig(backend="openai", endpoint=args.endpoint, model=args.model))
        if remote is not None:
            readers[remote.name] = remote
    return readers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--split", default="heldout", help="the corpus split the bugs come from")
    parser.add_argument("--n", type=int, default=200, help="how many bugs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--siblings", type=int, default=12, help="other files of the package in each fixture")
    parser.add_argument("--reader", type=Path, help="a local CGM reader folder (default: the shipped one)")
    parser.add_argument("--endpoint", help="also evaluate an OpenAI-compatible endpoint")
    parser.add_argument("--model", default="default", help="model name sent to --endpoint")
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "bench" / "out" / "reader.json")
    parser.add_argument("--png", type=Path, default=REPO_ROOT / "bench" / "out" / "reader.png")
    args = parser.parse_args(argv)
    readers = build_readers(args)
    samples = build_fix_samples(args.corpus, args.split, args.n, args.seed, noise=False, cache=GraphCache())
    originals = {f.path: f.text for f in load_split(args.corpus, args.split)}
    pool: dict[str, list[CorpusFile]] = defaultdict(list)
    for split in ("train", args.split):
        for file in load_split(args.corpus, split):
            pool[file.path.rsplit("/", 1)[0]].append(file)
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    for i, sample in enumerate(samples, 1):
        siblings = package_files(sample.files[0].path, pool, args.siblings, args.seed)
        outcomes.append(evaluate(sample, originals[sample.files[0].path], siblings, readers))
        if i % 20 == 0 or i == len(samples):
            print(f"  {i}/{len(samples)} bugs, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rows = summarize(outcomes)
    print(header())
    print(table(rows, outcomes))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"header": header(), "rows": rows, "outcomes": [o.__dict__ for o in outcomes]},
                                    indent=1))  # fmt: skip
    plot(rows, args.png)
    print(f"wrote {args.json} and {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
