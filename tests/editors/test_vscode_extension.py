"""The VS Code extension compiles with tsc and its unit tests (settings -> initializationOptions,
status bar progress) pass under node's own test runner; no VS Code needed."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def run_npm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npm", *args], cwd=EXTENSION, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def compiled() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node/npm are not installed: the VS Code extension needs Node.js >= 18 to build")
    if not (EXTENSION / "node_modules" / ".package-lock.json").exists():
        installed = run_npm("ci", "--no-audit", "--no-fund")
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    compiled = run_npm("run", "compile")
    assert compiled.returncode == 0, f"tsc failed:\n{compiled.stdout}\n{compiled.stderr}"
    return EXTENSION / "out"


def test_extension_compiles_with_tsc(compiled: Path) -> None:
    for module in ("extension", "initializationOptions", "progressTracker", "serverCommands", "statusBar"):
        assert (compiled / f"{module}.js").is_file()


def test_settings_mapping_unit_tests_pass(compiled: Path) -> None:
    result = run_npm("test")
    assert result.returncode == 0, f"npm test failed:\n{result.stdout}\n{result.stderr}"
    assert "# fail 0" in result.stdout
    assert "# pass 0" not in result.stdout
