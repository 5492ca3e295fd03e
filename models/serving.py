"""An OpenAI-compatible HTTP server over a local model folder (`rodimus-lsp serve-model`).

Routes: `GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions`; `"stream": true` answers with
server-sent events (`data: {...}` chunks, then `data: [DONE]`) in OpenAI's chunk format. One team machine with a
GPU can then serve many editors, and any OpenAI client (including the `openai` CGM backend) can talk to it.

Requests run one at a time (one model, one device); a client that disconnects mid-stream stops its generation
at the next token. Chat messages are rendered with a plain role-tagged template (`CHAT_TEMPLATE`): the model
folders this project ships have no chat template of their own. Built on the standard library's
`ThreadingHTTPServer`, so serving needs no extra dependency.
"""
from __future__ import annotations

import json
import logging
import os
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import torch

log = logging.getLogger(__name__)

PREFILL_CHUNK = 512
CHAT_ROLES = ("system", "user", "assistant")
CHAT_TEMPLATE = "### {role}:\n{content}\n\n"
CHAT_REPLY_PREFIX = "### assistant:\n"
CHAT_STOPS = ("\n### user:", "\n### system:")


class ServingModel(Protocol):
    """What generation needs from a causal LM: a fresh recurrent state (or cache), prefill and step."""

    def new_state(self, batch_size: int = 1) -> Any: ...

    def prefill(self, input_ids: torch.Tensor, state: Any) -> torch.Tensor: ...

    def step(self, input_ids: torch.Tensor, state: Any) -> torch.Tensor: ...


class ServingTokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...

    @property
    def eos(self) -> int | None: ...

    @property
    def bos(self) -> int | None: ...


class RequestError(ValueError):
    """A request the server rejects with HTTP 400 and an OpenAI-style error body."""


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    @classmethod
    def from_request(
        cls, body: dict[str, Any], default_max_tokens: int, extra_stops: tuple[str, ...] = ()
    ) -> SamplingParams:
        try:
            max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or default_max_tokens)
            temperature = float(body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0)
            top_p = float(body.get("top_p", 1.0) if body.get("top_p") is not None else 1.0)
            seed = None if body.get("seed") is None else int(body["seed"])
        except (TypeError, ValueError) as error:
            raise RequestError(f"bad sampling parameter: {error}") from error
        stop = body.get("stop") or ()
        if isinstance(stop, str):
            stop = (stop,)
        if not all(isinstance(s, str) for s in stop):
            raise RequestError("stop must be a string or a list of strings")
        if max_tokens < 1 or temperature < 0 or not 0 < top_p <= 1:
            raise RequestError("need max_tokens >= 1, temperature >= 0 and 0 < top_p <= 1")
        if int(body.get("n") or 1) != 1:
            raise RequestError("only n = 1 is supported")
        return cls(max_tokens, temperature, top_p, tuple(stop) + extra_stops, seed)


@dataclass
class Generation:
    """Counters of one generation, filled in while its text streams."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "length"


class Generator:
    """Prompt text -> streamed completion text, one request at a time."""

    def __init__(self, model: ServingModel, tokenizer: ServingTokenizer, max_prompt_tokens: int = 16384) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_prompt_tokens = max_prompt_tokens
        self._lock = threading.Lock()

    def stream(
        self, prompt: str, params: SamplingParams, result: Generation, cancelled: Callable[[], bool] = lambda: False
    ) -> Iterator[str]:
        """Yield the completion as text deltas; `result` holds the counts and the finish reason at the end."""
        ids = self.tokenizer.encode(prompt)
        bos = self.tokenizer.bos
        if bos is not None:
            ids = [bos, *ids]
        if len(ids) > self.max_prompt_tokens:  # keep the end of the prompt: it holds the question
            ids = ids[-self.max_prompt_tokens :]
        if not ids:
            raise RequestError("the prompt is empty")
        result.prompt_tokens = len(ids)
        with self._lock, torch.inference_mode():
            yield from self._generate(ids, params, result, cancelled)

    def _generate(
        self, ids: list[int], params: SamplingParams, result: Generation, cancelled: Callable[[], bool]
    ) -> Iterator[str]:
        model = self.model
        device = _device_of(model)
        state = model.new_state(1)
        for start in range(0, len(ids), PREFILL_CHUNK):
            logits = model.prefill(torch.tensor([ids[start : start + PREFILL_CHUNK]], device=device), state)
        next_logits = logits[0, -1]
        rng = torch.Generator().manual_seed(params.seed) if params.seed is not None else None
        out: list[int] = []
        emitted = ""
        eos = self.tokenizer.eos
        for _ in range(params.max_tokens):
            if cancelled():
                result.finish_reason = "cancelled"
                return
            token = _sample(next_logits, params, rng)
            if token == eos:
                result.finish_reason = "stop"
                return
            out.append(token)
            result.completion_tokens = len(out)
            text = self.tokenizer.decode(out)
            if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence: wait for the next token
                next_logits = model.step(torch.tensor([token], device=device), state)[0]
                continue
            cut = _first_stop(text, params.stop)
            if cut is not None:
                if cut > len(emitted):
                    yield text[len(emitted) : cut]
                result.finish_reason = "stop"
                return
            safe = len(text) - _held_back(text, params.stop)
            if safe > len(emitted):
                yield text[len(emitted) : safe]
                emitted = text[:safe]
            next_logits = model.step(torch.tensor([token], device=device), state)[0]
        text = self.tokenizer.decode(out)
        if len(text) > len(emitted):
            yield text[len(emitted) :]
        result.finish_reason = "length"


def _device_of(model: Any) -> torch.device:
    parameter = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return parameter.device if parameter is not None else torch.device("cpu")


def _sample(logits: torch.Tensor, params: SamplingParams, rng: torch.Generator | None) -> int:
    if params.temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits.float().cpu() / params.temperature, dim=-1)
    if params.top_p < 1:
        sorted_probs, order = torch.sort(probs, descending=True)
        above = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
        sorted_probs[above >= params.top_p] = 0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=rng))


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [text.find(s) for s in stops if s and s in text]
    return min(hits) if hits else None


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters could be the start of a stop string (not streamed yet)."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:size]):
                longest = max(longest, size)
                break
    return longest


def render_chat(messages: Any) -> str:
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list")
    parts = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in CHAT_ROLES:
            raise RequestError(f"each message needs a role in {CHAT_ROLES}")
        content = message.get("content")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not isinstance(content, str):
            raise RequestError("message content must be a string")
        parts.append(CHAT_TEMPLATE.format(role=message["role"], content=content))
    return "".join(parts) + CHAT_REPLY_PREFIX


@dataclass(frozen=True)
class ServerConfig:
    model_name: str
    default_max_tokens: int = 256
    api_key_env: str | None = None  # when set, requests must send `Authorization: Bearer $VALUE`


class OpenAIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], generator: Generator, config: ServerConfig) -> None:
        super().__init__(address, _Handler)
        self.generator = generator
        self.config = config

    def server_bind(self) -> None:
        """Bind without `HTTPServer.server_bind`'s reverse DNS lookup (`getfqdn`), which can stall for seconds."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: OpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        log.info("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if not self._authorized():
            return
        if self.path.rstrip("/") in {"/v1/models", "/models"}:
            model = {"id": self.server.config.model_name, "object": "model", "created": 0, "owned_by": "rodimus-lsp"}
            self._json(HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorized():
            return
        route = self.path.rstrip("/")
        if route not in {"/v1/completions", "/v1/chat/completions"}:
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}", "not_found")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise RequestError("the request body must be a JSON object")
            chat = route.endswith("/chat/completions")
            prompt, stops = self._prompt(body, chat)
            params = SamplingParams.from_request(body, self.server.config.default_max_tokens, stops)
        except (ValueError, RequestError) as error:  # json.JSONDecodeError is a ValueError
            self._error(HTTPStatus.BAD_REQUEST, str(error), "invalid_request_error")
            return
        if body.get("stream"):
            self._stream(prompt, params, chat)
        else:
            self._complete(prompt, params, chat)

    def _prompt(self, body: dict[str, Any], chat: bool) -> tuple[str, tuple[str, ...]]:
        if chat:
            return render_chat(body.get("messages")), CHAT_STOPS
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise RequestError("prompt must be a string (one prompt per request)")
        return prompt, ()

    def _complete(self, prompt: str, params: SamplingParams, chat: bool) -> None:
        result = Generation()
        try:
            text = "".join(self.server.generator.stream(prompt, params, result))
        except RequestError as error:
            self._error(HTTPStatus.BAD_REQUEST, str(error), "invalid_request_error")
            return
        choice: dict[str, Any] = {"index": 0, "finish_reason": result.finish_reason, "logprobs": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        self._json(HTTPStatus.OK, {**self._envelope(chat, chunk=False), "choices": [choice], "usage": _usage(result)})

    def _stream(self, prompt: str, params: SamplingParams, chat: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        envelope = self._envelope(chat, chunk=True)
        disconnected = threading.Event()

        def send(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            try:
                self.wfile.write(f"data: {data}\n\n".encode("utf-8"))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                disconnected.set()

        def chunk(delta: str | None, finish: str | None, role: bool = False) -> dict[str, Any]:
            if chat:
                content: dict[str, Any] = {"role": "assistant"} if role else {}
                if delta is not None:
                    content["content"] = delta
                choice = {"index": 0, "delta": content, "finish_reason": finish}
            else:
                choice = {"index": 0, "text": delta or "", "finish_reason": finish, "logprobs": None}
            return {**envelope, "choices": [choice]}

        result = Generation()
        if chat:
            send(chunk(None, None, role=True))
        try:
            for delta in self.server.generator.stream(prompt, params, result, disconnected.is_set):
                send(chunk(delta, None))
        except RequestError as error:
            send({"error": {"message": str(error), "type": "invalid_request_error"}})
            return
        if not disconnected.is_set():
            send(chunk(None if chat else "", result.finish_reason))
            send("[DONE]")

    def _envelope(self, chat: bool, chunk: bool) -> dict[str, Any]:
        kind = ("chat.completion.chunk" if chunk else "chat.completion") if chat else "text_completion"
        prefix = "chatcmpl" if chat else "cmpl"
        return {
            "id": f"{prefix}-{uuid.uuid4().hex[:24]}",
            "object": kind,
            "created": int(time.time()),
            "model": self.server.config.model_name,
        }

    def _authorized(self) -> bool:
        variable = self.server.config.api_key_env
        if not variable:
            return True
        expected = os.environ.get(variable, "")
        if expected and self.headers.get("Authorization", "") == f"Bearer {expected}":
            return True
        self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong API key", "invalid_api_key")
        return False

    def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: HTTPStatus, message: str, kind: str) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": status.value}})


def _usage(result: Generation) -> dict[str, int]:
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }


def make_server(
    model: ServingModel, tokenizer: ServingTokenizer, config: ServerConfig, host: str = "127.0.0.1", port: int = 8000,
    max_prompt_tokens: int = 16384,
) -> OpenAIServer:
    """A bound (not yet serving) server; `port=0` picks a free port (see `.url`)."""
    return OpenAIServer((host, port), Generator(model, tokenizer, max_prompt_tokens), config)
