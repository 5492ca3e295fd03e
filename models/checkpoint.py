"""Model folders in the official Hugging Face layout: config.json + model.safetensors (or shards with
model.safetensors.index.json) + tokenizer.json. Safetensors only, never pickle.

State-dict names are the official ones (research/rodimus.md 9.3) and are the module names of
``models.rodimus``, so no renaming table is needed; every key is accounted for and every shape checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from models.config import RodimusConfig
from models.rodimus import RodimusForCausalLM
from models.tokenizer import Tokenizer

# persistent decode-cache buffers the official model registers during generation; not weights
_OFFICIAL_CACHE_KEY = re.compile(r"\.(conv_state|ssm_state|key_cache|value_cache)_\d+$")
_FP32_KEYS = re.compile(r"\.residual_weight$")  # the official D-skip parameter is float32 by design
_DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """All tensors of a folder: model.safetensors, or the shards named by model.safetensors.index.json."""
    single, index = path / "model.safetensors", path / "model.safetensors.index.json"
    if single.is_file():
        return load_file(str(single))
    if index.is_file():
        weight_map: dict[str, str] = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        tensors: dict[str, torch.Tensor] = {}
        for shard in sorted(set(weight_map.values())):
            tensors.update(load_file(str(path / shard)))
        return tensors
    raise FileNotFoundError(f"{path} has neither model.safetensors nor model.safetensors.index.json")


def load_model(path: str | Path, device: str | torch.device = "cpu",
               dtype: torch.dtype = torch.float32) -> tuple[RodimusForCausalLM, Tokenizer | None]:
    """Load a model folder; the tokenizer is None when the folder has no tokenizer.json."""
    path = Path(path)
    config = RodimusConfig.from_json_file(path / "config.json")
    tensors = {k: v for k, v in read_safetensors(path).items() if not _OFFICIAL_CACHE_KEY.search(k)}
    with torch.device("meta"):
        model = RodimusForCausalLM(config)
    expected = set(model.state_dict())
    if config.tie_word_embeddings:
        tensors.pop("lm_head.weight", None)  # some tied checkpoints store it twice
        expected.discard("lm_head.weight")
    missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
    if missing or unexpected:
        raise ValueError(f"checkpoint {path} does not match its config: missing {missing}, unexpected {unexpected}")
    state = {k: v.to(torch.float32 if _FP32_KEYS.search(k) else dtype) for k, v in tensors.items()}
    if config.tie_word_embeddings:
        state["lm_head.weight"] = state["model.embeddings.weight"]
    model.load_state_dict(state, strict=True, assign=True)
    if config.tie_word_embeddings:
        model.lm_head.weight = model.model.embeddings.weight
    model = model.to(device).eval()
    tokenizer = Tokenizer.from_dir(path) if (path / "tokenizer.json").is_file() else None
    return model, tokenizer


def save_model(model: RodimusForCausalLM, tokenizer: Tokenizer | None, path: str | Path,
               dtype: torch.dtype | None = None) -> None:
    """Write config.json + model.safetensors (+ tokenizer files) so that ``load_model`` and the official code read
    them. Tied checkpoints omit lm_head.weight. ``dtype`` defaults to the model's."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    dtype = dtype or model.model.embeddings.weight.dtype
    config = model.config.to_dict()
    config["torch_dtype"] = _DTYPE_NAMES[dtype]
    (path / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    state = model.state_dict()
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight")
    tensors = {k: v.detach().to("cpu", torch.float32 if _FP32_KEYS.search(k) else dtype).contiguous()
               for k, v in state.items()}
    save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})
    if tokenizer is not None:
        tokenizer.save(path)
