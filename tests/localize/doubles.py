"""Test doubles at the designed seams (named as such): a chat endpoint that answers with a fixed text."""
from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def canned_chat_endpoint(answer: str, stream: bool = False, chunk: int = 7) -> Iterator[str]:
    """An OpenAI-compatible chat endpoint on a loopback port that always answers `answer`; yields its /v1 URL.

    With `stream`, the answer goes out as server-sent events of `chunk` characters each.
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            if stream:
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for start in range(0, len(answer), chunk):
                    delta = {"choices": [{"index": 0, "delta": {"content": answer[start : start + chunk]}}]}
                    self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                return
            body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]})
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
