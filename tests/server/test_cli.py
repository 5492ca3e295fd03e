"""The command line: `index --json` and `graph -o` shapes, exit codes, one-line errors, no tracebacks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.cli import main
from tests.server.harness import FIXTURE_PROJECT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_json_prints_exactly_the_contract(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = str(tmp_path / "cache")
    code, out, err = run(capsys, "index", str(root), "--json", "--cache-dir", cache)
    assert code == 0, err
    report = json.loads(out)
    assert list(report) == ["files", "nodes", "edges", "seconds", "cache"]
    assert report["files"] >= 3 and report["cache"] == "miss"
    assert report["nodes"]["FILE"] >= 3 and all(isinstance(n, int) for n in report["edges"].values())
    assert isinstance(report["seconds"], float)
    _, again, _ = run(capsys, "index", str(root), "--json", "--cache-dir", cache)
    assert json.loads(again)["cache"] == "hit"
    _, fresh, _ = run(capsys, "index", str(root), "--json", "--cache-dir", cache, "--no-cache")
    assert json.loads(fresh)["cache"] == "miss"


def test_index_prints_a_summary_for_people(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "index", str(root), "--cache-dir", str(tmp_path / "cache"))
    assert code == 0 and out.startswith("indexed ") and "nodes: " in out


def test_graph_writes_cgm_json(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "graph.json"
    code, out, err = run(capsys, "graph", str(root), "-o", str(out_file), "--cache-dir", str(tmp_path / "cache"), "--json")
    assert code == 0, err
    graph = json.loads(out_file.read_text(encoding="utf-8"))
    assert set(graph) >= {"nodes", "edges"}
    assert all(set(edge) >= {"edgeType", "source", "target"} for edge in graph["edges"])
    assert json.loads(out)["nodes"] == len(graph["nodes"])


@pytest.mark.parametrize(
    "argv",
    [
        ["index", "{missing}"],
        ["index", "{file}"],
        ["index"],
        ["graph", "{root}"],
        ["graph", "{root}", "-o", "{missing}/out.json"],
        ["graph", "{root}", "-o", "{root}"],
        ["serve", "--port", "5"],
        ["serve", "--tcp", "--port", "0"],
        ["frobnicate"],
    ],
)
def test_bad_usage_or_input_exits_2_with_one_line(
    argv: list[str], root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"root": str(root), "missing": str(tmp_path / "missing"), "file": str(root / "app.py")}
    code, out, err = run(capsys, *(arg.format(**values) for arg in argv))
    assert code == 2
    assert out == "" and err.count("\n") == 1 and err.startswith("rodimus-lsp") and "Traceback" not in err


def test_an_internal_failure_exits_1_with_one_line(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from analysis import workspace

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workspace.Workspace, "index", broken)
    code, _, err = run(capsys, "index", str(root))
    assert code == 1 and err.count("\n") == 1 and "internal error: RuntimeError: disk on fire" in err


def test_the_module_entry_point_fails_cleanly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lsp_server", "index", str(tmp_path / "nowhere"), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr
