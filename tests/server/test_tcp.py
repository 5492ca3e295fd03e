"""`serve --tcp`: the same server on a TCP port (one initialize round trip over a raw socket)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

from tests.server.harness import frame, read_message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_tcp_answers_initialize() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve", "--tcp", "--port", str(port), "--log-level", "warning"]
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        with connection, connection.makefile("rb") as stream:
            params = {"processId": None, "rootUri": None, "capabilities": {}}
            connection.sendall(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}))
            reply = read_message(stream)
            assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "rodimus-lsp"
            assert reply["result"]["capabilities"]["positionEncoding"] == "utf-16"
            connection.sendall(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert read_message(stream)["id"] == 2
            connection.sendall(frame({"jsonrpc": "2.0", "method": "exit"}))
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
