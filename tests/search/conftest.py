"""Fixtures for the search tests: a tiny random Rodimus+ with a random search head (real model math, meaningless
weights), the fixture project (a function with an obvious twin, and functions a query names plainly), and a
fresh copy of it per test."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from models.bpe_trainer import train_bpe
from models.checkpoint import save_model
from models.config import RodimusConfig
from models.embedder import CodeEmbedder, EmbedderConfig, EmbeddingKind, SearchHead, save_head, weights_digest
from models.rodimus import RodimusForCausalLM
from models.tokenizer import Tokenizer

FIXTURE_PROJECT = Path(__file__).resolve().parent / "fixture_project"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from a second thread on a busy 2-core machine; restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_backbone(vocab_size: int, seed: int = 0) -> RodimusForCausalLM:
    torch.manual_seed(seed)
    config = RodimusConfig(
        d_model=32, n_layer=2, vocab_size=vocab_size, block_type="rodimus_plus", tie_word_embeddings=True,
        mixer_cfg={"mem_size": 8, "normalize_epsilon": 1e-5},
        attn_cfg={"num_heads": 2, "num_heads_k": 1, "num_heads_v": 2, "window_size": 16},
    )  # fmt: skip
    return RodimusForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder with a tiny random backbone, a tokenizer trained on the fixture project, and a random head
    in embedder/ (its config records the backbone's digest)."""
    return write_tiny_head_model(FIXTURE_PROJECT, tmp_path_factory.mktemp("tiny-embedder-model"))


def write_tiny_head_model(project: Path, folder: Path) -> Path:
    """Write to `folder` a tiny random backbone, a BPE tokenizer trained on `project`'s Python files and a random
    search head in embedder/."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(project.rglob("*.py"))]
    tokenizer = Tokenizer(train_bpe(texts * 4, vocab_size=400))
    backbone = tiny_backbone(tokenizer.vocab_size)
    save_model(backbone, tokenizer, folder)
    torch.manual_seed(1)
    config = EmbedderConfig(hidden_size=32, vocab_size=tokenizer.vocab_size, token_dim=8, embedding_dim=16,
                            num_heads=4, max_query_tokens=64, max_code_tokens=96,
                            backbone_digest=weights_digest(folder))  # fmt: skip
    head = SearchHead(config)
    head.init_tokens(backbone.model.embeddings.weight.detach())
    save_head(head, config, folder / "embedder")
    return folder


@pytest.fixture(scope="session")
def tiny_embedder(tiny_model_dir: Path) -> CodeEmbedder:
    return CodeEmbedder.load(tiny_model_dir)


class OneTextAtATime:
    """The tiny embedder, run on one text per call, so that a vector never depends on which other texts shared
    its batch (batched BLAS may round differently): incremental and fresh indexes then agree bit for bit."""

    def __init__(self, embedder: CodeEmbedder) -> None:
        self.embedder = embedder
        self.fingerprint = embedder.fingerprint

    def embed(self, texts: list[str], kind: EmbeddingKind) -> np.ndarray:
        return self.embedder.embed(texts, kind, batch_size=1)


@pytest.fixture(scope="session")
def exact_embedder(tiny_embedder: CodeEmbedder) -> OneTextAtATime:
    return OneTextAtATime(tiny_embedder)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    return root
