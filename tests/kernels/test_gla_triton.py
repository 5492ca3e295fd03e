"""The Triton kernels, run on the CPU by the Triton interpreter (float32), against the per-token reference.

The kernels run in a child process started with TRITON_INTERPRET=1 (see ``triton_interpret_cases``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kernels.triton_interpret_cases import CHUNK_CASES

pytest.importorskip("triton")

ROOT = Path(__file__).resolve().parents[2]
CASE_IDS = [f"chunk-{name}-{h0}" for name in CHUNK_CASES for h0 in ("h0-none", "h0")] + ["step-B2-T4-K8-V20"]


@pytest.fixture(scope="module")
def max_errors() -> dict[str, list[float]]:
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    proc = subprocess.run([sys.executable, "-m", "tests.kernels.triton_interpret_cases"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", CASE_IDS)
def test_triton_matches_reference(max_errors: dict[str, list[float]], case: str) -> None:
    output_error, state_error = max_errors[case]
    assert output_error <= 1e-4 and state_error <= 1e-4, (output_error, state_error)
