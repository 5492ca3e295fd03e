"""Tiny fixtures for the completion tests: a small byte-level BPE and random Rodimus / Rodimus+ models.

The tokenizer is trained here (well under a second) on a fixed sample of Python with the starter's
trainer, so it has the same pre-tokenizer and special tokens as the starter checkpoint, and the tiny
models' outputs do not change when other files do.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from completion.lm import RecurrentLM
from completion.tokens import TokenCodec
from models.bpe_trainer import train_bpe
from models.checkpoint import save_model
from models.config import RodimusConfig
from models.rodimus import RodimusForCausalLM
from models.tokenizer import Tokenizer

CORPUS = Path(__file__).resolve().parent / "data" / "corpus.py"


def tiny_model(vocab_size: int, block_type: str, seed: int = 0) -> RodimusForCausalLM:
    """d=32, 2 layers, mem 8; Rodimus+ with a window of 12 (each token sees 6 previous ones)."""
    torch.manual_seed(seed)
    config = RodimusConfig(
        d_model=32, n_layer=2, vocab_size=vocab_size, block_type=block_type, tie_word_embeddings=True,
        mixer_cfg={"mem_size": 8, "normalize_epsilon": 1e-5},
        attn_cfg={"num_heads": 2, "num_heads_k": 1, "num_heads_v": 2, "window_size": 12},
    )
    model = RodimusForCausalLM(config).eval()
    with torch.no_grad():  # livelier gates than the init, so that decay and the window matter
        for layer in model.model.layers:
            layer.mixer.inner_mixer.mem_gate_proj.bias.normal_(0.0, 1.0)
    return model


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from a second thread, and on a busy 2-core machine OpenMP's spinning
    threads made them 75x slower; restored afterwards for the other test packages."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    return Tokenizer(train_bpe([CORPUS.read_text(encoding="utf-8")], vocab_size=600))


@pytest.fixture(scope="session")
def codec(tokenizer: Tokenizer) -> TokenCodec:
    return TokenCodec(tokenizer)


@pytest.fixture(scope="session", params=["rodimus", "rodimus_plus"])
def lm(request: pytest.FixtureRequest, codec: TokenCodec) -> RecurrentLM:
    return RecurrentLM(tiny_model(codec.vocab_size, request.param), chunk=16)


@pytest.fixture(scope="session")
def plus_lm(codec: TokenCodec) -> RecurrentLM:
    return RecurrentLM(tiny_model(codec.vocab_size, "rodimus_plus"), chunk=16)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer: Tokenizer) -> Path:
    """A model folder (official layout) holding a tiny random Rodimus+ and the test tokenizer."""
    path = tmp_path_factory.mktemp("tiny-model")
    save_model(tiny_model(tokenizer.vocab_size, "rodimus_plus"), tokenizer, path)
    return path
