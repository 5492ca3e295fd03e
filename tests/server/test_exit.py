"""`shutdown` + `exit` while the completion model or the search embedding is busy, or a client that goes away:
the server process exits with status 0, and writes nothing to a client that reads no more.

A thread still inside torch when the interpreter finalizes makes the C++ runtime abort the process (SIGABRT);
the server stops its model threads first. The busy moment is made on purpose: a completion request near the
start of a long document (which also proves the model is loaded), after which the model worker goes back to
feeding the rest of the document, thousands of tokens, in the background.
"""
from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

from tests.server.harness import frame, read_message

LONG_DOCUMENT = Path(inspect.getsourcefile(typing) or "").read_text(encoding="utf-8")  # about 30K tokens


def request(server: subprocess.Popen, message_id: int, method: str, params: object) -> dict:
    """Send a request and read messages until its answer (notifications and server requests are skipped)."""
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(frame({"jsonrpc": "2.0", "id": message_id, "method": method, "params": params}))
    server.stdin.flush()
    while True:
        message = read_message(server.stdout)
        if message.get("id") == message_id and "method" not in message:
            return message


def notify(server: subprocess.Popen, method: str, params: object) -> None:
    assert server.stdin is not None
    server.stdin.write(frame({"jsonrpc": "2.0", "method": method, "params": params}))
    server.stdin.flush()


def test_exit_while_the_model_works_is_clean() -> None:
    server = subprocess.Popen([sys.executable, "-m", "lsp_server", "serve", "--log-level", "warning"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        request(server, 1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        notify(server, "initialized", {})
        uri = "file:///long.py"
        notify(server, "textDocument/didOpen",
               {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": LONG_DOCUMENT}})
        answer = request(server, 2, "textDocument/inlineCompletion",
                         {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 0},
                          "context": {"triggerKind": 1}})
        assert "result" in answer
        assert "error" not in request(server, 3, "shutdown", None)
        notify(server, "exit", None)
        _, stderr = server.communicate(timeout=60)
        assert server.returncode == 0, stderr.decode(errors="replace")[-2000:]
    finally:
        server.kill()


def server_embedding(tmp_path: Path) -> subprocess.Popen:
    """A server on a project of 1,500 functions, once its search embedding (reported as progress) has begun."""
    root = tmp_path / "project"
    root.mkdir()
    for module in range(30):
        functions = (f"def step_{module}_{n}(value):\n    return value * {n} + {module}\n\n\n" for n in range(50))
        (root / f"module_{module}.py").write_text("".join(functions), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "lsp_server", "serve", "--log-level", "warning"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    request(server, 1, "initialize", {
        "processId": None, "rootUri": root.as_uri(), "capabilities": {"window": {"workDoneProgress": True}},
        "initializationOptions": {"index": {"cacheDir": str(tmp_path / "cache")}}})
    notify(server, "initialized", {})
    assert server.stdin is not None and server.stdout is not None
    while True:
        message = read_message(server.stdout)
        if message.get("method") == "window/workDoneProgress/create":
            server.stdin.write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
            server.stdin.flush()
        value = message.get("params", {}).get("value", {}) if message.get("method") == "$/progress" else {}
        if value.get("kind") == "begin" and value.get("title") == "Embedding":
            return server


def test_exit_while_the_search_embedding_runs_sends_nothing_more(tmp_path: Path) -> None:
    """The embedding's progress and log records that end after `exit` are not written to the closed stdout: each
    failed write used to be logged and reported to the client, nested until the recursion limit (18.7 MB of stderr
    for one project), and a client that no longer read stderr waited forever for the process to end."""
    server = server_embedding(tmp_path)
    try:
        assert "error" not in request(server, 2, "shutdown", None)
        notify(server, "exit", None)
        _, stderr = server.communicate(timeout=60)
        assert server.returncode == 0, stderr.decode(errors="replace")[-2000:]
        assert b"Error sending data" not in stderr, stderr.decode(errors="replace")[:2000]
    finally:
        server.kill()


def test_a_client_that_goes_away_gets_one_failed_write(tmp_path: Path) -> None:
    """Without shutdown or exit, the client closes both pipes: the first write that fails stops all writing (a log
    record about it was forwarded to the client in turn, and failed again)."""
    server = server_embedding(tmp_path)
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.close()
        server.stdout.close()
        server.wait(timeout=60)
        assert server.stderr is not None
        stderr = server.stderr.read()
        assert server.returncode == 0, stderr.decode(errors="replace")[-2000:]
        assert stderr.count(b"Error sending data") <= 1 and stderr.count(b"BrokenPipeError: ") <= 1, stderr.decode()
    finally:
        server.kill()
