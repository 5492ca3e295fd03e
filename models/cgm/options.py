"""The options of `rodimus-lsp train --mode reader`, free of heavy imports so that `--help` stays fast."""

from __future__ import annotations

import argparse


def add_reader_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CGM reader (with --mode reader; also uses --backbone, --export, --d-model, "
                                      "--n-layer, --heads and the optimisation options)")
    group.add_argument("--kv-heads", type=int, default=2, help="key/value heads of the reader's LLM")
    group.add_argument("--intermediate", type=int, default=512, help="the reader LLM's MLP width")
    group.add_argument("--adapter-hidden", type=int, default=256, help="the adapter's hidden width")
    group.add_argument("--max-nodes", type=int, default=16, help="graph nodes given to the reader at most")
    group.add_argument("--max-prompt-tokens", type=int, default=640)
    group.add_argument("--max-answer-tokens", type=int, default=160)
    group.add_argument("--reader-samples", type=int, default=6000, help="stage-2 (issue -> patch) training bugs")
    group.add_argument("--bugs-per-file", type=int, default=2,
                       help="training bugs drawn from one corpus file at most (more: more distinct bugs from the "
                            "same corpus; the held-out evaluation keeps 2)")
    group.add_argument("--reconstruction-samples", type=int, default=1000, help="stage-1 reconstruction samples")
    group.add_argument("--reconstruction-share", type=float, default=0.1,
                       help="share of the run spent on stage 1 (reconstruction)")
    group.add_argument("--eval-samples", type=int, default=40, help="held-out bugs for the fix rate")
    group.add_argument("--rank-weight", type=float, default=1.0,
                       help="weight of the ranking losses (the answer against other repair candidates, its line's "
                            "head against other lines' heads) beside the answer's cross-entropy; 0 = off")
    group.add_argument("--rival-heads", type=int, default=8,
                       help="other lines' heads the answer's head is ranked against per sample (the line choice; "
                            "decoding ranks every line of the shown function)")
    group.add_argument("--node-dropout", type=float, default=0.5,
                       help="share of stage-2 samples trained without node tokens (text alone): cheaper, and the "
                            "reader keeps working when its search head is missing")
    group.add_argument("--share-token-table", action=argparse.BooleanOptionalAction, default=True,
                       help="use the backbone's token table, frozen and not saved with the reader (when the widths "
                            "match)")
