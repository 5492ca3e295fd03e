"""`rodimus-lsp train`: train or fine-tune a Rodimus model on a local corpus (see models.train)."""
from __future__ import annotations

import argparse

from lsp_server.errors import UsageError
from models.cgm.options import add_reader_arguments
from models.embedder_options import add_embedder_arguments
from models.train_options import add_arguments as add_lm_arguments

HELP = ("train or fine-tune a Rodimus model on a local corpus (or, with --mode embedder, its search head; with "
        "--mode reader, the CGM reader)")
EPILOG = """examples:
  python -m models.corpus --out data/corpus          build the corpus (licence-checked local Python source)
  python -m models.bpe_trainer --out data/tokenizer  train the byte-level BPE tokenizer
  rodimus-lsp train --out runs/starter --max-minutes 90 --threads 1
  rodimus-lsp train --out runs/starter --resume      continue after an interruption
  rodimus-lsp train --mode embedder --backbone models/starter --export   the search head of the starter model
  rodimus-lsp train --mode reader --out runs/reader --max-minutes 45 --threads 2 --export
                                                     the CGM reader (written to BACKBONE/reader/ with --export)

The run folder gets model/ (a model folder usable with --model), train_state.pt and metrics.jsonl.
--json prints {"eval_loss", "eval_bpb", "step", "tokens", "elapsed_s"} at the end."""

__all__ = ["HELP", "EPILOG", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=("lm", "embedder", "reader"), default="lm",
                        help="lm: the language model; embedder: the search head on a frozen model; reader: the CGM "
                             "reader (default lm)")
    add_lm_arguments(parser)
    add_embedder_arguments(parser)
    add_reader_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.mode == "embedder":
        return _run_embedder(args)
    if args.mode == "reader":
        return _run_reader(args)
    for folder, name in ((args.corpus, "train.jsonl"), (args.tokenizer, "tokenizer.json")):
        if not (folder / name).is_file():
            raise UsageError(f"{folder / name} does not exist")
    if args.resume and not (args.out / "train_state.pt").is_file():
        raise UsageError(f"--resume: {args.out / 'train_state.pt'} does not exist")
    if args.init and not (args.init / "config.json").is_file():
        raise UsageError(f"--init: {args.init / 'config.json'} does not exist")
    from models.train import run as train

    return train(args)


def _run_embedder(args: argparse.Namespace) -> int:
    if not (args.corpus / "train.jsonl").is_file():
        raise UsageError(f"{args.corpus / 'train.jsonl'} does not exist")
    if args.backbone is not None and not (args.backbone / "config.json").is_file():
        raise UsageError(f"--backbone: {args.backbone / 'config.json'} does not exist")
    from models.train_embedder import run as train_embedder

    return train_embedder(args)


def _run_reader(args: argparse.Namespace) -> int:
    for name in ("train.jsonl", "heldout.jsonl"):
        if not (args.corpus / name).is_file():
            raise UsageError(f"{args.corpus / name} does not exist")
    if args.backbone is not None and not (args.backbone / "tokenizer.json").is_file():
        raise UsageError(f"--backbone: {args.backbone / 'tokenizer.json'} does not exist")
    if args.resume and not (args.out / "train_state.pt").is_file():
        raise UsageError(f"--resume: {args.out / 'train_state.pt'} does not exist")
    from models.cgm.train import run as train_reader

    return train_reader(args)
