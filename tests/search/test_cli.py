"""`rodimus-lsp search`: usage errors are one line and exit 2; without a search head it ranks with BM25 alone."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lsp_server", "search", *args], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_the_cli_refuses_bad_usage(project: Path, tmp_path: Path) -> None:
    for args, message in ((["-k", "0"], "-k must be >= 1"), (["--model", str(tmp_path / "none")], "is not a folder")):
        done = run(str(project), "query", *args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_without_a_head_the_cli_ranks_with_bm25(project: Path, tmp_path: Path) -> None:
    model = tmp_path / "model-without-head"
    model.mkdir()
    done = run(str(project), "slug for a title", "-k", "2", "--json", "--model", str(model), "--cache-dir",
               str(tmp_path / "cache"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "BM25 alone" in done.stderr
    hits = json.loads(done.stdout)
    assert hits[0]["name"] == "slugify" and hits[0]["path"] == "textutil/checksums.py"
