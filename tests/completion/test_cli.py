"""`rodimus-lsp complete FILE --line L --column C`: JSON output and usage errors (exit 2, one line)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.completion.edits import BASE


def complete(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lsp_server", "complete", *args], capture_output=True, text=True,
                          timeout=120)


def test_json_output(tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text(BASE, encoding="utf-8")
    line = BASE.split("\n").index("def main():") + 1
    done = complete(str(source), "--line", str(line + 1), "--column", "5", "--max-tokens", "5", "--json",
                    "--model", str(tiny_model_dir))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"text", "ms", "tokens"} and 0 <= result["tokens"] <= 5


def test_usage_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("x = 1\n", encoding="utf-8")
    for args, message in (
        (["--line", "9", "--column", "1"], "outside the file's lines"),
        (["--line", "1", "--column", "99"], "outside line 1's columns"),
    ):
        done = complete(str(source), *args, "--model", str(tiny_model_dir))
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = complete(str(source), "--line", "1", "--column", "1", "--model", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no model folder" in done.stderr
