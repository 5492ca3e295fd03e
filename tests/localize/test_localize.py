"""Localization on the fixture repository: the gold file ranks first; the CLI prints the documented JSON."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.localize import localize
from tests.localize.test_rewriter import TRACEBACK_ISSUE

ISSUES = {
    "traceback": (TRACEBACK_ISSUE, "shop/pricing.py", "apply_discount"),
    "method in prose": (
        "Cart.remove_item leaves the discount applied after the last line is removed, so an empty cart "
        "reports a non-zero total.",
        "shop/cart.py",
        "Cart.remove_item",
    ),
    "plain word": (
        "Accented letters are lost: the slugify helper turns 'Crème brûlée' into 'cr-me-br-l-e' where it "
        "should keep letters.",
        "shop/util/text.py",
        "slugify",
    ),
    "exception name": (
        "Reserving more than what is in stock raises OutOfStock even after a restock of the same sku.",
        "shop/inventory.py",
        "Inventory.reserve",
    ),
}


@pytest.mark.parametrize("case", list(ISSUES))
def test_gold_file_ranks_first_and_the_function_is_in_the_top_five(index, case: str) -> None:
    issue, gold_file, gold_function = ISSUES[case]
    result = localize(index, issue).to_json(k=5)
    assert result["files"][0]["path"] == gold_file
    assert gold_function in [f["name"] for f in result["functions"]]


def test_function_lines_are_one_based_and_inclusive(index, repo: Path) -> None:
    result = localize(index, TRACEBACK_ISSUE).to_json()
    found = next(f for f in result["functions"] if f["name"] == "apply_discount")
    lines = (repo / "shop/pricing.py").read_text().split("\n")
    assert lines[found["start_line"] - 1].startswith("def apply_discount")
    assert lines[found["end_line"] - 1].strip() == "return round_price(amount * (1 - percent / 100))"


class KeywordEmbedder:
    """Test double at the embedder seam (the CGE model does not exist yet): a bag of three concepts."""

    CONCEPTS = (("stock", "reserve", "inventory"), ("price", "discount", "tax"), ("slug", "text", "url"))

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        rows = np.array([[1.0 + sum(t.lower().count(w) for w in ws) for ws in self.CONCEPTS] for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_an_embedder_adds_evidence_without_changing_the_output_format(index) -> None:
    issue = "Stock reservations are wrong after a restock."
    plain = localize(index, issue)
    embedded = localize(index, issue, embedder=KeywordEmbedder())
    assert embedded.files[0].path == "shop/inventory.py"
    assert embedded.to_json().keys() == plain.to_json().keys()


def test_cli_localize_json_is_exactly_the_documented_shape(repo: Path, tmp_path: Path) -> None:
    issue = tmp_path / "issue.md"
    issue.write_text(TRACEBACK_ISSUE)
    completed = subprocess.run(
        [sys.executable, "-m", "lsp_server", "localize", str(repo), "--issue", str(issue), "-k", "3", "--json",
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert set(result) == {"files", "functions"}
    assert len(result["files"]) == 3 and result["files"][0]["path"] == "shop/pricing.py"
    assert all(set(f) == {"path", "score"} for f in result["files"])
    assert all(set(f) == {"path", "name", "start_line", "end_line", "score"} for f in result["functions"])
    assert all("\\" not in f["path"] and not f["path"].startswith("/") for f in result["files"] + result["functions"])


def test_cli_usage_errors_exit_2(repo: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "lsp_server", "localize", str(repo), "--issue", str(tmp_path / "nope")]
    missing = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "is not a file" in missing.stderr and "Traceback" not in missing.stderr


def test_cli_fix_without_a_reader_shows_the_localization_and_with_one_applies_only_on_request(
    repo: Path, tmp_path: Path
) -> None:
    from tests.localize.doubles import canned_chat_endpoint

    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    issue = tmp_path / "issue.md"
    issue.write_text(TRACEBACK_ISSUE)
    command = [sys.executable, "-m", "lsp_server", "fix", str(root), "--issue", str(issue), "--json",
               "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    before = (root / "shop/pricing.py").read_text()
    no_reader = ["--cgm-backend", "local", "--cgm-model", str(tmp_path / "no-reader")]  # not the shipped one
    plain = subprocess.run(command + no_reader + ["--apply"], capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    result = json.loads(plain.stdout)
    assert result["patch"] is None and result["files"] == [] and "cgm.backend" in result["message"]
    assert result["localization"]["files"][0]["path"] == "shop/pricing.py" and "cgm.endpoint" in plain.stderr
    assert (root / "shop/pricing.py").read_text() == before
    answer = "shop/pricing.py\n<<<<<<< SEARCH\nTAX_RATE = 0.2\n=======\nTAX_RATE = 0.25\n>>>>>>> REPLACE\n"
    with canned_chat_endpoint(answer) as url:
        reader = ["--cgm-backend", "openai", "--cgm-endpoint", url, "--cgm-model", "canned"]
        proposed = subprocess.run(command + reader, capture_output=True, text=True, timeout=120)
        assert proposed.returncode == 0 and json.loads(proposed.stdout)["files"] == ["shop/pricing.py"]
        assert (root / "shop/pricing.py").read_text() == before
        applied = subprocess.run(command + reader + ["--apply"], capture_output=True, text=True, timeout=120)
    assert applied.returncode == 0, applied.stderr
    assert "-TAX_RATE = 0.2\n+TAX_RATE = 0.25\n" in json.loads(applied.stdout)["patch"]
    assert "TAX_RATE = 0.25\n" in (root / "shop/pricing.py").read_text()


def test_cli_fix_apply_refuses_a_write_that_would_lose_bytes_and_says_so(repo: Path, tmp_path: Path) -> None:
    from tests.localize.doubles import canned_chat_endpoint

    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    (root / "shop/legacy.py").write_bytes(b"GREETING = 'caf\xe9'\nFAREWELL = 'bye'\n")  # not UTF-8, no coding cookie
    issue = tmp_path / "issue.md"
    issue.write_text(TRACEBACK_ISSUE)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    answer = "shop/legacy.py\n<<<<<<< SEARCH\nFAREWELL = 'bye'\n=======\nFAREWELL = 'ciao'\n>>>>>>> REPLACE\n"
    with canned_chat_endpoint(answer) as url:
        applied = subprocess.run(
            [sys.executable, "-m", "lsp_server", "fix", str(root), "--issue", str(issue), "--apply",
             "--cache-dir", str(tmp_path / "cache"), "--cgm-backend", "openai", "--cgm-endpoint", url,
             "--cgm-model", "canned"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert applied.returncode == 1 and "Traceback" not in applied.stderr
    assert "the patch was not applied: shop/legacy.py is neither UTF-8" in applied.stderr
    assert "patch (applied)" not in applied.stdout and "+FAREWELL = 'ciao'" in applied.stdout
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
