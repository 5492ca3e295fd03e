"""Shared fixtures: a tiny BPE tokenizer trained on a few Python snippets (well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer

from models.bpe_trainer import save_tokenizer, train_bpe
from models.data import text_tokenizer

SNIPPETS = [
    "import os\n\n\ndef main(argv):\n    for arg in argv:\n        print(os.path.join('a', arg))\n    return 0\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n"
    "    def norm(self):\n        return (self.x ** 2 + self.y ** 2) ** 0.5\n",
    "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n    if a is None:\n        raise ValueError('a')\n"
    "    return a + b\n",
] * 4


@pytest.fixture(scope="session")
def snippets() -> list[str]:
    return SNIPPETS


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tokenizer")
    save_tokenizer(train_bpe(SNIPPETS, vocab_size=400), out)
    return out


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir: Path) -> Tokenizer:
    return text_tokenizer(tokenizer_dir / "tokenizer.json")
