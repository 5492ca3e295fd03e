"""Copy a trained run's model into ``models/starter/`` in fp16, with the corpus licence manifest beside it.

    python -m models.export_starter runs/starter/model [--corpus data/corpus] [--out models/starter]

The model card (README.md) in the target folder is kept as it is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from models.checkpoint import load_model, save_model
from models.starter import STARTER_DIR

MANIFEST_FIELDS = ("name", "version", "license", "included", "reason", "split", "files", "bytes")


def export(run_model: Path, corpus: Path, out: Path) -> int:
    """Write the fp16 model folder and corpus_manifest.json to out; return the folder's size in bytes."""
    model, tokenizer = load_model(run_model)
    save_model(model, tokenizer, out, dtype=torch.float16)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest["packages"] = [{k: p[k] for k in MANIFEST_FIELDS} for p in manifest["packages"]]
    (out / "corpus_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return sum(f.stat().st_size for f in out.iterdir() if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_model", type=Path, help="a run's model/ folder")
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--out", type=Path, default=STARTER_DIR)
    args = parser.parse_args(argv)
    size = export(args.run_model, args.corpus, args.out)
    print(f"{args.out}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
