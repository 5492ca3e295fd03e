"""Train the starter model's byte-level BPE tokenizer with `tokenizers`.

The pre-tokenizer is GPT-2's byte-level split, which keeps a run of whitespace together (``"\\n        "`` before
an indented statement is one pre-token), so BPE learns single tokens for common newline+indentation runs. The
official Rodimus special tokens get the first ids, in the order of ``SPECIAL_TOKENS``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from models.special_tokens import SPECIAL_TOKENS
from models.tokenizer import Tokenizer as RodimusTokenizer

DEFAULT_VOCAB_SIZE = 16384


def train_bpe(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE) -> Tokenizer:
    """A byte-level BPE tokenizer trained on texts, with the special tokens as ids 0..len(SPECIAL_TOKENS)-1."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def save_tokenizer(backend: Tokenizer, out_dir: Path) -> None:
    """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json (the model folder's format)."""
    RodimusTokenizer(backend).save(out_dir)


def sample_texts(jsonl: Path, max_bytes: int, seed: int = 0) -> Iterator[str]:
    """A seeded random subset of a corpus split's file texts, about max_bytes in total."""
    with jsonl.open(encoding="utf-8") as handle:
        rows = [json.loads(line)["text"] for line in handle]
    random.Random(seed).shuffle(rows)
    total = 0
    for text in rows:
        if total >= max_bytes:
            return
        total += len(text)
        yield text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the byte-level BPE tokenizer on the corpus.")
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--out", type=Path, default=Path("data/tokenizer"))
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--sample-mb", type=int, default=40)
    args = parser.parse_args(argv)
    texts = sample_texts(args.corpus / "train.jsonl", args.sample_mb * 1_000_000)
    tokenizer = train_bpe(texts, args.vocab_size)
    save_tokenizer(tokenizer, args.out)
    print(f"vocab {tokenizer.get_vocab_size()} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
