"""What the benchmarks on the standard library share: its code graph, a shuffled list of its Python files, and
percentiles of timings."""
from __future__ import annotations

import random
import sysconfig
import tempfile
from pathlib import Path

from analysis import Workspace

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_workspace(rng: random.Random) -> tuple[Workspace, list[str]]:
    """The running interpreter's stdlib (no site-packages) indexed from scratch, and its Python files shuffled."""
    with tempfile.TemporaryDirectory(prefix="rodimus-bench-") as cache:
        ws = Workspace(STDLIB, exclude=["site-packages"], cache_dir=cache)
        ws.index(use_cache=False)
    files = sorted(rel for rel, facts in ws._facts.items() if facts.lang == "python")
    rng.shuffle(files)
    return ws, files


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")
