"""`rodimus-lsp fix` end to end with the local CGM reader: on a fixture repository with an injected synthetic bug
and its generated issue text, it proposes a patch that `git apply` accepts.

The reader folder is a real tiny CGM reader trained here, in seconds, on this one bug (the request the pipeline
builds, the answer `reader_data` writes), then saved in the shipped format: the test covers the CLI ->
localization -> graph context -> local reader (loading, prompt, constrained decoding) -> validated patch path
without depending on how well the starter reader generalizes (bench/reader.py measures that, and whether the
patch is the right one)."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

from analysis import Workspace
from analysis.localize import LocalizationIndex
from analysis.patch.apply import disk_reader
from analysis.patch.pipeline import prepare_fix
from analysis.readers.base import ReaderReply, ReaderRequest
from models.cgm.bugs import find_bugs, issue_text
from models.cgm.checkpoint import save_reader
from models.cgm.items import Item, ItemBuilder
from models.cgm.prompt import answer_ids, find_focus
from models.cgm.reader_data import fix_answer
from models.cgm.train import optimizer_for, train_step
from tests.cgm.conftest import tiny_reader

FIXTURE_REPO = Path(__file__).resolve().parents[1] / "localize" / "fixture_repo"
BUGGY_FILE = "shop/inventory.py"
TRAIN_STEPS = 80


class Recorder:
    """Keeps the request the pipeline hands to its reader (to train on exactly what `fix` will ask)."""

    name = "recorder"

    def read(self, request: ReaderRequest, cancelled=None) -> ReaderReply:  # noqa: ANN001
        return ReaderReply(edits=(), raw="")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)


def _fixture(tmp_path: Path) -> tuple[Path, Path, str, str]:
    root = tmp_path / "shop-repo"
    shutil.copytree(FIXTURE_REPO, root)
    original = (root / BUGGY_FILE).read_text(encoding="utf-8")
    bug = next(b for b in find_bugs(original) if b.kind == "off_by_one" and b.function == "Inventory.reserve")
    buggy = bug.inject(original)
    (root / BUGGY_FILE).write_text(buggy, encoding="utf-8")
    issue = tmp_path / "issue.md"
    issue.write_text(issue_text(bug, BUGGY_FILE, random.Random(0)), encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "buggy")
    return root, issue, original, fix_answer(BUGGY_FILE, buggy, bug)


def _train_reader(root: Path, issue: str, answer: str, tokenizer, folder: Path) -> None:  # noqa: ANN001
    workspace = Workspace(root, cache_dir=root.parent / "train-cache")
    workspace.index(use_cache=False)
    index = LocalizationIndex.build(workspace.graph, workspace.root)
    request = prepare_fix(index, issue, Recorder(), disk_reader(index.root)).request
    assert request is not None and request.graph is not None
    model = tiny_reader(tokenizer.vocab_size, seed=0, max_answer_tokens=128).train()
    builder = ItemBuilder(model.config, tokenizer, None)
    focus = find_focus(request.graph, request.files)
    assert focus is not None and focus[0] == BUGGY_FILE
    item = Item(*builder.nodes(request.graph), builder.fix_prompt(request.issue, request.files, focus),
                answer_ids(tokenizer, answer, model.config.max_answer_tokens, builder.eos))  # fmt: skip
    optimizer = optimizer_for(model, lr=3e-3, weight_decay=0.0)
    first = train_step(model, optimizer, [item], clip=1.0)
    for _ in range(TRAIN_STEPS - 1):
        last = train_step(model, optimizer, [item], clip=1.0)
    assert last < first / 4
    save_reader(model.eval(), tokenizer, folder)


def test_fix_with_a_local_reader_returns_a_patch_that_applies(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    root, issue, _, answer = _fixture(tmp_path)
    folder = tmp_path / "reader"
    _train_reader(root, issue.read_text(encoding="utf-8"), answer, tokenizer, folder)
    command = [sys.executable, "-m", "lsp_server", "fix", str(root), "--issue", str(issue), "--json",
               "--cache-dir", str(tmp_path / "cache"), "--cgm-backend", "local", "--cgm-model", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["patch"], payload.get("message")
    assert payload["files"] == [BUGGY_FILE]
    assert payload["localization"]["files"][0]["path"] == BUGGY_FILE
    diff = tmp_path / "fix.diff"
    diff.write_text(payload["patch"], encoding="utf-8")
    assert _git(root, "apply", "--check", str(diff)).returncode == 0
    assert _git(root, "status", "--porcelain").stdout == ""  # `fix` without --apply writes nothing
