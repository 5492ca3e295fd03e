"""Which reader to use, from the `cgm` settings (`{"backend", "endpoint", "model", "apiKeyEnv"}`).

Backends: "openai" (an OpenAI-compatible chat endpoint) and "local" (the CGM reader model in-process; `model` is
its folder, the shipped starter reader by default). With no backend configured, the shipped reader is used when it
is installed. The local reader is imported lazily, so this module costs no torch import.
"""
from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from analysis.readers.base import ChatModel, Reader
from analysis.readers.chat_reader import ChatReader
from analysis.readers.openai_chat import OpenAIChat

SETUP_HINT = (
    'No CGM reader is configured, so no patch is proposed. To get patches, set cgm.backend to "openai", '
    "cgm.endpoint to an OpenAI-compatible URL (for example http://localhost:8000/v1 from "
    "`rodimus-lsp serve-model MODEL_DIR`, or a vLLM / llama.cpp / Ollama server) and cgm.model to the model name; "
    "if the endpoint needs a key, set cgm.apiKeyEnv to the name of the environment variable that holds it."
)
LOCAL_HINT = (
    'The "local" CGM reader has no model folder here (cgm.model names a reader folder; the starter reader ships '
    'in models/starter/reader/), so no patch is proposed. Use cgm.backend "openai" with cgm.endpoint and '
    "cgm.model instead."
)
READER_SUBDIR = "reader"


@dataclass(frozen=True)
class ReaderConfig:
    backend: str | None = None  # "openai" | "local" | None (not configured)
    endpoint: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    timeout_s: float = 300.0


def build_chat(config: ReaderConfig) -> ChatModel | None:
    """The chat model the settings name, or None when they do not name a usable one."""
    if config.backend != "openai" or not config.endpoint:
        return None
    return OpenAIChat(
        endpoint=config.endpoint,
        model=config.model or "default",
        api_key_env=config.api_key_env or None,
        timeout_s=config.timeout_s,
    )


def shipped_reader_dir() -> Path | None:
    """The starter reader folder when it is installed (found without importing the models package)."""
    spec = importlib.util.find_spec("models.starter")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / READER_SUBDIR
    return folder if (folder / "config.json").is_file() else None


def local_reader_dir(config: ReaderConfig) -> Path | None:
    """The reader folder a "local" (or unset) backend would use, if it exists."""
    if config.backend == "local" and config.model:
        folder = Path(config.model).expanduser()
        return folder if (folder / "config.json").is_file() else None
    return shipped_reader_dir()


@functools.lru_cache(maxsize=2)
def _load_local_reader(folder: Path) -> Reader:
    from models.cgm.reader import LocalReader

    return LocalReader.from_folder(folder)


def build_reader(config: ReaderConfig) -> Reader | None:
    if config.backend in (None, "local"):
        folder = local_reader_dir(config)
        return None if folder is None else _load_local_reader(folder.resolve())
    chat = build_chat(config)
    return None if chat is None else ChatReader(chat, name=config.backend or "openai")


def missing_reader_hint(config: ReaderConfig) -> str:
    """What to tell the user when `build_reader(config)` is None."""
    if config.backend == "local":
        return LOCAL_HINT
    if config.backend == "openai" and not config.endpoint:
        return 'cgm.backend is "openai" but cgm.endpoint is not set. ' + SETUP_HINT
    return SETUP_HINT
