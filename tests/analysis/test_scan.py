"""Which files the graph covers: .gitignore (nested, negated), exclude patterns, binary and big files, encodings."""
from __future__ import annotations

from pathlib import Path

from analysis import Workspace
from analysis.scan import Scanner


def _write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def test_gitignore_exclude_and_default_exclusions(tmp_path: Path) -> None:
    _write(tmp_path, ".gitignore", "build/\n*.log.py\n/top_only.py\n")
    _write(tmp_path, "pkg/.gitignore", "secret.py\n!keep_secret.py\ngen_*.py\n")
    for rel in ["main.py", "build/out.py", "x.log.py", "top_only.py", "pkg/top_only.py", "pkg/secret.py",
                "pkg/keep_secret.py", "pkg/gen_a.py", "pkg/sub/gen_b.py", "pkg/ok.py", "vendor/lib.py",
                "vendor/keep/me.py", ".git/hooks.py", "node_modules/m.js", ".venv/lib/site.py", "a/__pycache__/c.py",
                "notes.md", "image.png"]:
        _write(tmp_path, rel, "x = 1\n")
    found = Scanner(tmp_path, exclude=["vendor/lib.py", "*.md"]).scan()
    assert set(found) == {"main.py", "pkg/top_only.py", "pkg/keep_secret.py", "pkg/ok.py", "vendor/keep/me.py"}
    assert found["main.py"].lang == "python"


def test_binary_big_and_non_utf8_files(tmp_path: Path) -> None:
    _write(tmp_path, "ok.py", "def f():\n    return 1\n")
    _write(tmp_path, "binary.py", b"def f():\x00\x01\x02\n")
    _write(tmp_path, "big.py", "x = 1\n" * 100)
    _write(tmp_path, "latin.py", "s = 'caf\xe9'\ndef g():\n    pass\n".encode("latin-1"))
    declared = "# -*- coding: latin-1 -*-\ndef caf\xe9():\n    return 'd\xe9j\xe0'\n"
    _write(tmp_path, "declared.py", declared.encode("latin-1"))
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache", max_file_bytes=300)
    report = ws.index(use_cache=False)
    files = {n for n, d in ws.graph.nodes(data=True) if d["type"] == "FILE"}
    assert files == {"ok.py", "latin.py", "declared.py"}
    assert report.files == 3
    assert "latin.py::g" in ws.graph
    assert "\ufffd" in ws.graph.nodes["latin.py"]["text"]  # no coding cookie: undecodable bytes are replaced
    assert "declared.py::caf\xe9" in ws.graph  # PEP 263: read in the encoding the file declares
    assert ws.text(str(tmp_path / "declared.py")) == declared
    assert ws.text(str(tmp_path / "binary.py")) is None


def test_files_events_follow_the_scan_rules(tmp_path: Path) -> None:
    _write(tmp_path, ".gitignore", "ignored/\n")
    _write(tmp_path, "a.py", "def a():\n    pass\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache", exclude=["skip_*.py"])
    ws.index(use_cache=False)
    _write(tmp_path, "ignored/b.py", "def b():\n    pass\n")
    _write(tmp_path, "skip_c.py", "def c():\n    pass\n")
    _write(tmp_path, "d.py", "from a import a\n\na()\n")
    ws.files_changed([str(tmp_path / p) for p in ("ignored/b.py", "skip_c.py", "d.py")], [], [])
    assert "ignored/b.py" not in ws.graph and "skip_c.py" not in ws.graph
    assert ws.graph.has_edge("d.py", "a.py::a", "calls")
    (tmp_path / "a.py").unlink()
    ws.files_changed([], [], [str(tmp_path / "a.py")])
    assert "a.py" not in ws.graph and "a.py::a" not in ws.graph
    assert not any(k == "calls" for _u, _v, k in ws.graph.edges(keys=True))


def test_deleting_a_directory_removes_its_files(tmp_path: Path) -> None:
    _write(tmp_path, "pkg/__init__.py", "")
    _write(tmp_path, "pkg/mod.py", "def f():\n    pass\n")
    _write(tmp_path, "main.py", "from pkg.mod import f\n\nf()\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    assert ws.graph.has_edge("main.py", "pkg/mod.py::f", "calls")
    for rel in ("pkg/mod.py", "pkg/__init__.py"):
        (tmp_path / rel).unlink()
    (tmp_path / "pkg").rmdir()
    ws.files_changed([], [], [str(tmp_path / "pkg")])
    assert not any(node.startswith("pkg") for node in ws.graph)
    assert not ws.graph.has_edge("main.py", "pkg/mod.py::f", "calls")
