"""A real Neovim (headless, Debian's 0.7.2 or newer) with editors/neovim against the real server.

nvim_driver.lua opens the fixture project, exercises hover, definition, code actions and inline
completion through the plugin, and writes what it saw to a JSON file that these tests read.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLUGIN_DIR = REPO / "editors" / "neovim"
DRIVER = HERE / "nvim_driver.lua"
UNIT_CHECKS = HERE / "nvim_unit.lua"
FIXTURE = HERE / "fixture_project"
WAIT_MS = 25_000


def server_command() -> list[str]:
    """`rodimus-lsp serve` from the running interpreter's environment."""
    console_script = Path(sys.executable).with_name("rodimus-lsp")
    if console_script.exists():
        return [str(console_script), "serve"]
    return [sys.executable, "-m", "lsp_server", "serve"]


def isolated_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NVIM")}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        path = home / name.lower()
        path.mkdir(parents=True)
        env[f"XDG_{name}_HOME"] = str(path)
    return env


def nvim_executable() -> str:
    """$RODIMUS_TEST_NVIM (to try another Neovim build), else `nvim` on PATH."""
    nvim = os.environ.get("RODIMUS_TEST_NVIM") or shutil.which("nvim")
    if nvim is None:
        pytest.fail("nvim is not installed: run scripts/install-test-deps.sh (apt-get install -y neovim)")
    return nvim


def headless(nvim: str, script: Path) -> list[str]:
    return [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {script}"]


def test_plugin_unit_checks_pass_in_neovim(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    env["RODIMUS_PLUGIN_DIR"] = str(PLUGIN_DIR)
    proc = subprocess.run(headless(nvim_executable(), UNIT_CHECKS), env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"plugin unit checks failed:\n{proc.stdout}{proc.stderr}"


@pytest.fixture(scope="module")
def nvim_session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    nvim = nvim_executable()
    work = tmp_path_factory.mktemp("nvim")
    root = work / "project"
    shutil.copytree(FIXTURE, root)
    out = work / "results.json"
    config = {
        "plugin_dir": str(PLUGIN_DIR),
        "root": str(root),
        "cmd": server_command(),
        "cache_dir": str(work / "index-cache"),
        "out": str(out),
        "timeout_ms": WAIT_MS,
    }
    config_path = work / "config.json"
    config_path.write_text(json.dumps(config))
    env = isolated_env(work / "xdg")
    env["RODIMUS_TEST_CONFIG"] = str(config_path)
    proc = subprocess.run(
        headless(nvim, DRIVER),
        cwd=root, env=env, capture_output=True, text=True, timeout=4 * WAIT_MS / 1000,
    )
    if not out.exists():
        pytest.fail(f"nvim wrote no results (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    results = json.loads(out.read_text())
    results["root"] = str(root)
    if results.get("error"):
        pytest.fail(f"the Neovim driver failed after steps {results['steps']}:\n{results['error']}")
    return results


def test_plugin_starts_the_server_and_registers_its_commands(nvim_session: dict[str, Any]) -> None:
    assert nvim_session["filetype"] == "python"
    assert nvim_session["initialized"] is True
    assert nvim_session["commands"] == {"RodimusFix": True, "RodimusSearch": True, "RodimusReindex": True}
    assert nvim_session["stopped"] is True


def test_hover_shows_graph_facts(nvim_session: dict[str, Any]) -> None:
    hover = nvim_session.get("hover") or ""
    assert "area" in hover, f"hover: {hover!r} (error: {nvim_session.get('hover_error')})"
    assert "Area of a width x height rectangle." in hover  # the docstring, from the code graph


def test_definition_jumps_to_the_def_line(nvim_session: dict[str, Any]) -> None:
    assert nvim_session["definition"] == {"jumped": True, "file": "geometry.py", "line": 4}


def test_code_actions_offer_fix_this_issue(nvim_session: dict[str, Any]) -> None:
    assert "Fix this issue" in nvim_session["code_actions"]


def test_reindex_command_returns_index_stats(nvim_session: dict[str, Any]) -> None:
    stats = nvim_session.get("reindex")
    assert stats is not None, f"no answer to rodimus.reindex: {nvim_session['notifications']}"
    assert stats["files"] == 3  # app.py, shapes/__init__.py, shapes/geometry.py


def test_search_command_fills_the_quickfix_list(nvim_session: dict[str, Any]) -> None:
    hits = nvim_session.get("search_hits")
    assert hits, f"no hits from rodimus.semanticSearch: {nvim_session['notifications']}"
    assert len(nvim_session["search_files"]) == hits
    assert "shapes/geometry.py" in nvim_session["search_files"]


def test_typing_shows_ghost_text_and_tab_accepts_it(nvim_session: dict[str, Any]) -> None:
    assert nvim_session["inline_provider"] is True, "the server does not advertise inlineCompletionProvider"
    ghost = nvim_session.get("inline_text")
    assert ghost, "no inline suggestion was drawn after typing in insert mode"
    assert nvim_session["inline_mode"] == "i"
    accepted = nvim_session.get("lines_after_accept")
    assert accepted is not None, "<Tab> did not insert the suggestion"
    assert "\n".join(accepted) == "    return " + ghost
    ghost_lines = ghost.split("\n")
    last_row = 11 + len(ghost_lines) - 1
    last_col = (len("    return ") if len(ghost_lines) == 1 else 0) + len(ghost_lines[-1].encode())
    assert nvim_session["cursor_after_accept"] == [last_row, last_col]
    assert nvim_session["mode_after_typing"] == "n"
    assert nvim_session["shown_after_insert_leave"] is False
