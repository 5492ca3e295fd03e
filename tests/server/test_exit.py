"""`shutdown` + `exit` while the completion model is busy: the server process exits with status 0.

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
