"""A chat model behind any OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, Ollama, `rodimus-lsp serve-model`).

Requests stream (server-sent events) so that a cancelled code action stops reading at the next chunk and closes
the connection; a server that ignores `"stream": true` and answers with one JSON body is read as well. Only the
standard library is used, and nothing here imports torch.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from analysis.readers.base import ChatMessage, ReaderError


def chat_url(endpoint: str) -> str:
    """`http://h:8000`, `http://h:8000/v1` and `.../v1/chat/completions` all name the same chat route."""
    endpoint = endpoint.rstrip("/")
    if endpoint.endswith("/chat/completions"):
        return endpoint
    if endpoint.endswith("/v1"):
        return endpoint + "/chat/completions"
    return endpoint + "/v1/chat/completions"


@dataclass(frozen=True)
class OpenAIChat:
    """`ChatModel` over HTTP. `api_key_env` names the environment variable holding the key, read per request;
    when it is unset no key is sent."""

    endpoint: str
    model: str
    api_key_env: str | None = None
    timeout_s: float = 300.0
    stream: bool = True

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        cancelled: Callable[[], bool] | None = None,
    ) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": self.stream,
        }
        request = urllib.request.Request(
            chat_url(self.endpoint), data=json.dumps(body).encode("utf-8"), headers=self._headers(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                if "text/event-stream" in response.headers.get("Content-Type", ""):
                    return "".join(_stream_deltas(response, cancelled))
                return _message_content(json.loads(response.read().decode("utf-8")))
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:300]
            hint = ""
            if error.code in (401, 403):
                variable = self.api_key_env or "cgm.apiKeyEnv"
                hint = f" (is the API key in {variable} set and valid?)"
            raise ReaderError(f"{chat_url(self.endpoint)} answered HTTP {error.code}{hint}: {detail}") from error
        except (urllib.error.URLError, OSError) as error:
            raise ReaderError(f"cannot reach {chat_url(self.endpoint)}: {error}") from error
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise ReaderError(f"malformed reply from {chat_url(self.endpoint)}: {error}") from error

    def _headers(self) -> dict[str, str]:
        """JSON headers, with the key when its variable is set (local servers usually need none)."""
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream, application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers


def _message_content(payload: dict) -> str:
    if "error" in payload:
        raise ReaderError(f"the endpoint reported an error: {payload['error']}")
    return payload["choices"][0]["message"]["content"] or ""


def _stream_deltas(response: IO[bytes], cancelled: Callable[[], bool] | None) -> Iterator[str]:
    """The content deltas of an SSE chat stream, until `data: [DONE]` or the end of the body."""
    for raw in response:
        if cancelled is not None and cancelled():
            raise ReaderError("cancelled")
        line = raw.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        event = json.loads(data)
        if "error" in event:
            raise ReaderError(f"the endpoint reported an error: {event['error']}")
        for choice in event.get("choices", []):
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield content
