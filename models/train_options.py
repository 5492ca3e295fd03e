"""The options of `rodimus-lsp train` / `python -m models.train`, kept free of heavy imports so `--help` is fast."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    data = p.add_argument_group("data and run folder")
    data.add_argument("--corpus", type=Path, default=Path("data/corpus"),
                      help="folder written by `python -m models.corpus` (train.jsonl, heldout.jsonl)")
    data.add_argument("--tokenizer", type=Path, default=Path("data/tokenizer"),
                      help="folder with tokenizer.json (`python -m models.bpe_trainer`)")
    data.add_argument("--out", type=Path, default=Path("runs/starter"), help="run folder (model/, train_state.pt)")
    data.add_argument("--resume", action="store_true", help="continue from --out's model/ and train_state.pt")
    data.add_argument("--init", type=Path, help="start from this model folder (fine-tuning) instead of random init")

    model = p.add_argument_group("model (ignored with --resume / --init)")
    model.add_argument("--block-type", default="rodimus_plus", choices=["rodimus", "rodimus_plus"])
    model.add_argument("--d-model", type=int, default=192)
    model.add_argument("--n-layer", type=int, default=4)
    model.add_argument("--heads", type=int, default=3)
    model.add_argument("--window", type=int, default=512, help="attn_cfg.window_size (the model sees window/2 back)")
    model.add_argument("--max-positions", type=int, default=4096)

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--seq-len", type=int, default=512)
    opt.add_argument("--batch-size", type=int, default=4)
    opt.add_argument("--steps", type=int, default=4000)
    opt.add_argument("--max-minutes", type=float, default=0.0, help="wall-time budget; 0 = none")
    opt.add_argument("--lr", type=float, default=2e-3)
    opt.add_argument("--min-lr", type=float, default=1e-4)
    opt.add_argument("--warmup", type=int, default=100)
    opt.add_argument("--weight-decay", type=float, default=0.1)
    opt.add_argument("--clip", type=float, default=1.0)
    opt.add_argument("--fim-rate", type=float, default=0.5)
    opt.add_argument("--seed", type=int, default=0)

    run = p.add_argument_group("running")
    run.add_argument("--eval-every", type=int, default=200)
    run.add_argument("--eval-tokens", type=int, default=32768)
    run.add_argument("--save-every", type=int, default=100)
    run.add_argument("--log-every", type=int, default=10)
    run.add_argument("--threads", type=int, default=0, help="torch CPU threads; 0 = torch's default")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda")
    run.add_argument("--json", action="store_true", help="print the final summary as JSON on stdout")
