"""The options of `rodimus-lsp train --mode embedder` / `python -m models.train_embedder`, free of heavy imports
so that `--help` stays fast (see models/train_embedder.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

# Corpus packages left out of the head's training: their pairs select the best epoch and tune the search
# fusion (a final refit may train on them too: --train-on-dev). Disjoint from the corpus's held-out test packages
# (click, flask, itsdangerous, attrs).
DEV_PACKAGES = ("werkzeug", "jinja2", "requests", "urllib3", "pluggy", "packaging", "h11")


def add_embedder_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("search embedder (with --mode embedder)")
    group.add_argument("--backbone", type=Path, help="model folder to embed with (default: the bundled starter)")
    group.add_argument("--dev-packages", default=",".join(DEV_PACKAGES),
                       help="comma-separated corpus packages left out of training, for model selection")
    group.add_argument("--max-pairs", type=int, default=60000, help="training pairs at most")
    group.add_argument("--per-package", type=int, default=6000, help="training pairs per package at most")
    group.add_argument("--epochs", type=int, default=6)
    group.add_argument("--embedder-batch-size", type=int, default=128, help="pairs per batch (in-batch negatives)")
    group.add_argument("--embedder-lr", type=float, default=2e-3)
    group.add_argument("--embedding-dim", type=int, default=256)
    group.add_argument("--token-dim", type=int, default=-1,
                       help="width of the head's adapted token table (-1: the backbone's; 0: hidden states only)")
    group.add_argument("--pma-heads", type=int, default=8)
    group.add_argument("--max-query-tokens", type=int, default=64)
    group.add_argument("--max-code-tokens", type=int, default=256)
    group.add_argument("--init-head", type=Path, help="start from this head folder (its config is kept)")
    group.add_argument("--companion-of", type=Path,
                       help="train a companion for this head folder (frozen): a second pooling over its features "
                            "with a low-rank delta on its token table, saved to OUT/companion/ (with --export into "
                            "BACKBONE/embedder/companion/); --init-head then names a whole head to start it from")
    group.add_argument("--companion-rank", type=int, default=32, help="rank of a companion's token-table delta")
    group.add_argument("--hard-negatives", nargs="?", const="bm25", choices=("bm25", "hybrid"),
                       help="add to each query's batch the other code of its package that BM25 (default) ranks "
                            "first for it, or the hybrid ranking of --negatives-head")
    group.add_argument("--negatives-head", type=Path,
                       help="head folder whose hybrid ranking mines --hard-negatives hybrid (default: "
                            "--companion-of, else --init-head)")
    group.add_argument("--keep-last", action="store_true",
                       help="keep the last epoch's head rather than the one with the best dev MRR@10 of the embedding "
                            "alone (a hard-negative epoch can help the hybrid ranking without raising that figure; "
                            "select such runs with bench/search.py on the dev packages)")
    group.add_argument("--train-on-dev", action="store_true",
                       help="train on the dev packages' pairs too: the final refit of a recipe chosen on them (their "
                            "MRR is then no longer held out, so the last epoch is kept)")
    group.add_argument("--temperature", type=float, default=0.05, help="starting InfoNCE temperature (learned)")
    group.add_argument("--export", action="store_true", help="also write the head into BACKBONE/embedder/")
