"""Index worker processes: their results are the in-process ones, and a caller that stops early stops them."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analysis import indexer

FUNCTION = "def f{i}(x):\n    return helper(x) + {i}\n\n\n"


def write_files(root: Path, count: int, functions: int) -> list[indexer.Job]:
    jobs = []
    for n in range(count):
        path = root / f"m{n}.py"
        path.write_text("".join(FUNCTION.format(i=i) for i in range(functions)), encoding="utf-8")
        jobs.append((path.name, "python", path.stat().st_size))
    return jobs


def test_workers_give_the_in_process_results(tmp_path: Path) -> None:
    jobs = write_files(tmp_path, indexer.POOL_MIN_FILES, 3)
    pooled = {rel: blob for rel, _digest, _facts, blob in indexer.extract_all(tmp_path, jobs)}
    alone = {rel: blob for rel, _digest, _facts, blob in indexer._in_process(tmp_path, jobs, None)}
    assert pooled == alone


def test_a_caller_that_stops_early_stops_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(indexer.subprocess, "Popen", Recorded)
    jobs = write_files(tmp_path, 3 * indexer.POOL_MIN_FILES, 200)  # seconds of work for each worker
    results = indexer.extract_all(tmp_path, jobs)
    next(results)
    results.close()  # as a cancelled index does
    assert len(started) == indexer.POOL_WORKERS
    assert all(worker.returncode is not None for worker in started)  # ended and reaped, not still extracting
