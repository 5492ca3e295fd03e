"""`rodimus-lsp train --mode reader`: bad input is a usage error before anything heavy is imported."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from lsp_server.commands import train
from lsp_server.errors import UsageError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    return parser.parse_args(["--mode", "reader", *argv])


def test_reader_mode_options() -> None:
    args = parse("--reader-samples", "10", "--kv-heads", "1")
    assert args.reader_samples == 10 and args.kv_heads == 1 and args.reconstruction_share == 0.1


def test_missing_corpus_and_state_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="train.jsonl"):
        train.run(parse("--corpus", str(tmp_path)))
    (tmp_path / "train.jsonl").write_text("")
    (tmp_path / "heldout.jsonl").write_text("")
    with pytest.raises(UsageError, match="train_state.pt"):
        train.run(parse("--corpus", str(tmp_path), "--out", str(tmp_path / "run"), "--resume"))
