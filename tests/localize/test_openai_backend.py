"""The `openai` CGM backend against `rodimus-lsp serve-model` over loopback HTTP, with a tiny random model.

These tests check the transport (routes, JSON and streamed shapes, errors, keys) and the parsing of replies,
not the quality of what a random model writes.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from analysis.readers.base import ReaderError, ReaderRequest, SourceFile
from analysis.readers.chat_reader import ChatReader
from analysis.readers.openai_chat import OpenAIChat
from models.bpe_trainer import train_bpe
from models.checkpoint import save_model
from models.config import RodimusConfig
from models.rodimus import RodimusForCausalLM
from models.serving import ServerConfig, make_server
from models.tokenizer import Tokenizer
from tests.localize.doubles import canned_chat_endpoint

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "def add(a, b):"}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Rodimus model with a small byte-level BPE tokenizer, in the model folder format."""
    folder = tmp_path_factory.mktemp("tiny-model")
    texts = ["def add(a, b):\n    return a + b\n", "class Cart:\n    pass\n",
             "<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE\n"]  # fmt: skip
    tokenizer = Tokenizer(train_bpe(texts * 20, vocab_size=320))
    torch.manual_seed(0)
    config = RodimusConfig(d_model=32, n_layer=2, vocab_size=tokenizer.vocab_size, tie_word_embeddings=True,
                           mixer_cfg={"mem_size": 8})  # fmt: skip
    save_model(RodimusForCausalLM(config).eval(), tokenizer, folder)
    return folder


@pytest.fixture(scope="module")
def endpoint(model_dir: Path) -> Iterator[str]:
    """`rodimus-lsp serve-model` on a free loopback port; yields its base URL (`http://127.0.0.1:PORT/v1`)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve-model", "--model", str(model_dir), "--name", "tiny",
         "--port", "0", "--device", "cpu"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("serving tiny at "), process.stderr.read()
        yield line.split(" at ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(url: str, body: dict) -> tuple[int, str, str]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_models_route_lists_the_served_name(endpoint: str) -> None:
    with urllib.request.urlopen(endpoint + "/models", timeout=30) as response:
        listing = json.load(response)
    assert listing["object"] == "list" and [m["id"] for m in listing["data"]] == ["tiny"]


def test_completions_answer_in_openai_shape(endpoint: str) -> None:
    status, kind, body = post(endpoint + "/completions", {"model": "tiny", "prompt": "def add(", "max_tokens": 5,
                                                           "temperature": 0})  # fmt: skip
    assert status == 200 and kind == "application/json"
    reply = json.loads(body)
    assert reply["object"] == "text_completion" and reply["model"] == "tiny"
    (choice,) = reply["choices"]
    assert isinstance(choice["text"], str) and choice["finish_reason"] in {"stop", "length"}
    usage = reply["usage"]
    assert 1 <= usage["completion_tokens"] <= 5 or choice["finish_reason"] == "stop"
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_streamed_chat_is_server_sent_events_ending_with_done(endpoint: str) -> None:
    status, kind, body = post(endpoint + "/chat/completions", {"messages": MESSAGES, "max_tokens": 6,
                                                                "temperature": 0, "stream": True})  # fmt: skip
    assert status == 200 and kind == "text/event-stream"
    events = [line[len("data: "):] for line in body.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert chunks[-1]["choices"][0]["finish_reason"] in {"stop", "length"}
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    _, _, whole = post(endpoint + "/chat/completions", {"messages": MESSAGES, "max_tokens": 6, "temperature": 0})
    assert json.loads(whole)["choices"][0]["message"]["content"] == streamed  # greedy: same text both ways


def test_bad_requests_get_openai_errors(endpoint: str) -> None:
    status, _, body = post(endpoint + "/chat/completions", {"messages": "not a list"})
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error"
    status, _, body = post(endpoint + "/completions", {"prompt": "x", "temperature": -1})
    assert status == 400
    status, _, _ = post(endpoint + "/embeddings", {"input": "x"})
    assert status == 404


@pytest.mark.parametrize("stream", [True, False], ids=["streaming", "one-body"])
def test_the_openai_backend_reads_serve_model_replies(endpoint: str, stream: bool) -> None:
    chat = OpenAIChat(endpoint=endpoint, model="tiny", stream=stream)
    text = chat.complete(MESSAGES, max_tokens=6, temperature=0.0)
    _, _, whole = post(endpoint + "/chat/completions", {"messages": MESSAGES, "max_tokens": 6, "temperature": 0})
    assert text == json.loads(whole)["choices"][0]["message"]["content"]
    reply = ChatReader(chat, max_tokens=8).read(
        ReaderRequest("Fix add.", (SourceFile("calc.py", "def add(a, b):\n    return a - b\n"),), "file calc.py")
    )
    assert isinstance(reply.raw, str) and all(edit.path for edit in reply.edits)


def test_cancelling_stops_reading_the_stream(endpoint: str) -> None:
    chat = OpenAIChat(endpoint=endpoint, model="tiny")
    with pytest.raises(ReaderError, match="cancelled"):
        chat.complete(MESSAGES, max_tokens=50, temperature=0.0, cancelled=lambda: True)


def test_unreachable_endpoint_is_a_reader_error() -> None:
    with pytest.raises(ReaderError, match="cannot reach"):
        OpenAIChat(endpoint="http://127.0.0.1:9", model="x", timeout_s=5).complete(MESSAGES, max_tokens=1,
                                                                                    temperature=0.0)  # fmt: skip


def test_api_key_is_required_when_configured_and_sent_from_the_named_variable(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = RodimusForCausalLM(RodimusConfig.from_json_file(model_dir / "config.json")).eval()
    monkeypatch.setenv("TINY_SERVER_KEY", "s3cret")
    server = make_server(model, Tokenizer.from_dir(model_dir), ServerConfig("tiny", api_key_env="TINY_SERVER_KEY"),
                         port=0)  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(ReaderError, match="401"):
            OpenAIChat(server.url, "tiny").complete(MESSAGES, max_tokens=1, temperature=0.0)
        monkeypatch.setenv("CLIENT_KEY", "s3cret")
        text = OpenAIChat(server.url, "tiny", api_key_env="CLIENT_KEY").complete(MESSAGES, max_tokens=1,
                                                                                 temperature=0.0)  # fmt: skip
        assert isinstance(text, str)
    finally:
        server.shutdown()
        server.server_close()


SPLIT_ANSWER = (
    "Sure.\r\n```python\r\ncalc.py\r\n<<<<<<< SEARCH\r\n    return a - b\r\n=======\r\n    return a + b\r\n"
    ">>>>>>> REPLACE\r\n```\r\n"
)


def test_search_replace_blocks_split_across_stream_chunks_are_parsed() -> None:
    with canned_chat_endpoint(SPLIT_ANSWER, stream=True) as url:
        reader = ChatReader(OpenAIChat(url, "canned"))
        source = SourceFile("calc.py", "def add(a, b):\n    return a - b\n")
        reply = reader.read(ReaderRequest("Fix add.", (source,), ""))
    (edit,) = reply.edits
    assert (edit.path, edit.search, edit.replace) == ("calc.py", "    return a - b\n", "    return a + b\n")
