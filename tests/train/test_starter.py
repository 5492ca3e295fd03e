"""The shipped starter checkpoint: official layout, size limit, special tokens, and it completes code."""

from __future__ import annotations

import json

import torch

from models.checkpoint import load_model
from models.special_tokens import SPECIAL_TOKENS
from models.starter import default_model_dir

OFFICIAL_FILES = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"}


def test_folder_layout_and_size() -> None:
    folder = default_model_dir()
    assert OFFICIAL_FILES <= {f.name for f in folder.iterdir()}
    assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) <= 25 * 2**20
    config = json.loads((folder / "config.json").read_text())
    assert config["block_type"] == "rodimus_plus" and config["torch_dtype"] == "float16"
    assert config["model_type"] == "rodimus" and config["architectures"] == ["RodimusForCausalLM"]


def test_loads_with_official_special_tokens_and_completes() -> None:
    model, tokenizer = load_model(default_model_dir())
    assert tokenizer is not None
    for token in SPECIAL_TOKENS:
        assert len(tokenizer.encode(token)) == 1
    assert model.config.eos_token_id == tokenizer.eos
    prompt = tokenizer.encode("import os\n\n\ndef main():\n    ")
    state = model.new_state(1)
    with torch.no_grad():
        logits = model.prefill(torch.tensor([prompt]), state)[0, -1]
        ids = []
        for _ in range(8):
            ids.append(int(logits.argmax()))
            logits = model.step(torch.tensor([ids[-1]]), state)[0]
    assert torch.isfinite(logits).all()
    assert tokenizer.decode(ids).strip()
