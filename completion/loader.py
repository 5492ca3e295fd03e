"""Load the completion model: a model folder (default: the bundled starter checkpoint) -> RecurrentLM + codec."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from completion.lm import PREFILL_CHUNK, RecurrentLM
from completion.tokens import TokenCodec
from models.checkpoint import load_model
from models.starter import default_model_dir

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return DTYPES[dtype]


def load_completion_model(path: str | Path | None = None, device: str = "auto", dtype: str = "auto",
                          chunk: int = PREFILL_CHUNK) -> tuple[RecurrentLM, TokenCodec]:
    """The model and tokenizer of a model folder, ready for document sessions.

    Raises FileNotFoundError for a folder without a model and ValueError for one without a usable tokenizer.
    """
    folder = Path(path) if path is not None else default_model_dir()
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"no model folder (config.json) at {folder}")
    torch_device = resolve_device(device)
    model, tokenizer = load_model(folder, torch_device, resolve_dtype(dtype, torch_device))
    if tokenizer is None:
        raise ValueError(f"{folder} has no tokenizer.json")
    logger.info("completion model %s: %s, d_model %d, %d layers, on %s", folder, model.config.block_type,
                model.config.d_model, model.config.n_layer, torch_device)
    return RecurrentLM(model, chunk), TokenCodec(tokenizer)
