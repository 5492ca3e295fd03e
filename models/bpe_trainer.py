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

from models.special_tokens import BOS, EOS, PAD, SPECIAL_TOKENS

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


def tokenizer_config(model_max_length: int) -> dict[str, object]:
    """tokenizer_config.json in the official checkpoints' spirit: nothing is added to encoded text."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "add_bos_token": False,
        "add_eos_token": False,
        "padding_side": "left",
        "model_max_length": model_max_length,
        "additional_special_tokens": [t for t in SPECIAL_TOKENS if t not in {BOS, EOS}],
    }


def save_tokenizer(tokenizer: Tokenizer, out_dir: Path, model_max_length: int = 4096) -> None:
    """Write tokenizer.json and tokenizer_config.json into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    config = tokenizer_config(model_max_length)
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


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
