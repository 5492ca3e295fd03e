"""Tiny random Rodimus / Rodimus+ models shared by the model tests."""

from __future__ import annotations

import pytest
import torch

from models.config import RodimusConfig
from models.rodimus import RodimusForCausalLM

VOCAB = 61


def tiny_config(block_type: str, **overrides: object) -> RodimusConfig:
    """d=32, 2 layers, mem 8, 2 heads of 16 with one shared key head, window 12 (each token sees 6 previous)."""
    fields = dict(
        d_model=32, n_layer=2, vocab_size=VOCAB, block_type=block_type, tie_word_embeddings=True,
        mixer_cfg={"mem_size": 8, "normalize_epsilon": 1e-5},
        attn_cfg={"num_heads": 2, "num_heads_k": 1, "num_heads_v": 2, "window_size": 12},
    )
    fields.update(overrides)
    return RodimusConfig(**fields)  # type: ignore[arg-type]


def tiny_model(block_type: str, seed: int = 0, **overrides: object) -> RodimusForCausalLM:
    torch.manual_seed(seed)
    model = RodimusForCausalLM(tiny_config(block_type, **overrides)).eval()
    with torch.no_grad():  # livelier gates than the init, so decay and the window matter
        for layer in model.model.layers:
            layer.mixer.inner_mixer.mem_gate_proj.bias.normal_(0.0, 1.0)
    return model


@pytest.fixture(params=["rodimus", "rodimus_plus"])
def model(request: pytest.FixtureRequest) -> RodimusForCausalLM:
    return tiny_model(request.param)


def token_ids(batch: int, length: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, VOCAB, (batch, length), generator=torch.Generator().manual_seed(seed))
