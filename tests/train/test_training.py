from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch

from models.train import run
from models.train_options import add_arguments

TINY = ["--d-model", "32", "--n-layer", "1", "--heads", "1", "--window", "32", "--seq-len", "32",
        "--batch-size", "4", "--warmup", "2", "--eval-tokens", "200", "--threads", "1", "--log-every", "1"]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture()
def corpus(tmp_path: Path, snippets: list[str]) -> Path:
    out = tmp_path / "corpus"
    out.mkdir()
    for split, texts in (("train", snippets), ("heldout", snippets[:2])):
        (out / f"{split}.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return out


def _metrics(run_dir: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_few_steps_reduce_the_loss(corpus: Path, tokenizer_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _args(*TINY, "--corpus", str(corpus), "--tokenizer", str(tokenizer_dir), "--out", str(out),
                 "--steps", "40", "--lr", "1e-2", "--eval-every", "40", "--save-every", "40")
    assert run(args) == 0
    losses = [m["loss"] for m in _metrics(out) if "loss" in m]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.5
    assert (out / "model" / "model.safetensors").is_file() and (out / "model" / "tokenizer.json").is_file()


def test_resume_restores_optimizer_and_step(corpus: Path, tokenizer_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    common = [*TINY, "--corpus", str(corpus), "--tokenizer", str(tokenizer_dir), "--out", str(out),
              "--eval-every", "100", "--save-every", "3"]
    run(_args(*common, "--steps", "3"))
    saved = torch.load(out / "train_state.pt", weights_only=True)
    assert saved["state"]["step"] == 3


    run(_args(*common, "--steps", "5", "--resume"))
    steps = [m["step"] for m in _metrics(out) if "loss" in m]
    assert steps == [1, 2, 3, 4, 5]  # the resumed run continued at step 4
    after = torch.load(out / "train_state.pt", weights_only=True)
    moments = after["optimizer"]["state"]
    assert after["state"]["step"] == 5 and all(int(s["step"]) == 5 for s in moments.values())
