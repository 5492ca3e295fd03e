"""Which reader to use, from the `cgm` settings (`{"backend", "endpoint", "model", "apiKeyEnv"}`)."""
from __future__ import annotations

from dataclasses import dataclass

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
    'The "local" CGM reader is not available in this build, so no patch is proposed. '
    'Use cgm.backend "openai" with cgm.endpoint and cgm.model instead.'
)


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


def build_reader(config: ReaderConfig) -> Reader | None:
    chat = build_chat(config)
    return None if chat is None else ChatReader(chat, name=config.backend or "openai")


def missing_reader_hint(config: ReaderConfig) -> str:
    """What to tell the user when `build_reader(config)` is None."""
    if config.backend == "local":
        return LOCAL_HINT
    if config.backend == "openai" and not config.endpoint:
        return 'cgm.backend is "openai" but cgm.endpoint is not set. ' + SETUP_HINT
    return SETUP_HINT
