"""The starter checkpoint that ships with the server: the default model when no ``model.path`` is configured.

The folder holds a trained Rodimus+ model in the official layout (config.json, model.safetensors in fp16,
tokenizer.json, tokenizer_config.json); README.md is its model card and corpus_manifest.json the licence list.
"""

from __future__ import annotations

from pathlib import Path

STARTER_DIR = Path(__file__).resolve().parent


def default_model_dir() -> Path:
    """The bundled starter model folder."""
    return STARTER_DIR
