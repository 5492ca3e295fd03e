"""End-to-end harness: the real server over stdio, driven by pytest-lsp, for this and later issues' tests.

- `CLIENTS`: recorded client capabilities to parameterise over: VS Code (UTF-16) and Neovim (offers
  UTF-8, so the session runs in UTF-8). `SERVER` starts `python -m lsp_server serve`.
- `start_session` initializes with a root and initializationOptions; `wait_for_index` waits for the
  background index's work-done progress to end.
- `open_document` returns a `Doc` that finds positions by text in the session's encoding and sends typed
  incremental edits. Its unit conversions are written here independently of `lsp_server.positions`.
- `send_raw_request` sends params that do not type-check, which pygls' client refuses to serialize.
- `frame` and `read_message`: JSON-RPC over a raw stream, for tests that watch the server process itself.

Module-scoped client fixtures need module-scoped test loops: put
`pytestmark = pytest.mark.asyncio(loop_scope="module")` in each test module (else the tests hang).
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities, make_test_lsp_client

CLIENTS = ("visual-studio-code", "neovim")
FIXTURE_PROJECT = Path(__file__).parent / "fixture_project"
TIMEOUT_S = 30.0


def make_client() -> LanguageClient:
    """pytest-lsp's client, which also records `client/registerCapability` requests."""
    client = make_test_lsp_client()
    registrations: list[types.Registration] = []
    _registrations[client] = registrations

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(ls: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "lsp_server", "serve"],
    server_env={**os.environ, "RODIMUS_LSP_LOG": "info", "PYTHONUNBUFFERED": "1"},
    client_factory=make_client,
)

_results: weakref.WeakKeyDictionary[LanguageClient, types.InitializeResult] = weakref.WeakKeyDictionary()
_registrations: weakref.WeakKeyDictionary[LanguageClient, list[types.Registration]] = weakref.WeakKeyDictionary()


async def start_session(
    client: LanguageClient, spec: str, root: Path, options: dict[str, Any] | None = None
) -> types.InitializeResult:
    """`initialize` + `initialized` as the client `spec` ("visual-studio-code", "neovim", ...)."""
    uri = from_fs_path(str(root))
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(spec),
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.name)],
            initialization_options=options,
        )
    )
    _results[client] = result
    return result


def initialize_result(client: LanguageClient) -> types.InitializeResult:
    return _results[client]


def encoding(client: LanguageClient) -> str:
    """The position encoding the server chose for this session."""
    return str(_results[client].capabilities.position_encoding or "utf-16")


def registrations(client: LanguageClient) -> list[types.Registration]:
    return _registrations[client]


def index_runs(client: LanguageClient) -> list[list[Any]]:
    """The progress reports of every indexing run so far (begin, reports..., end), in token order."""
    return [
        reports
        for reports in list(client.progress_reports.values())
        if reports and isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "Indexing"
    ]


async def wait_for_index(client: LanguageClient, runs: int = 1) -> list[Any]:
    """Wait until `runs` indexing runs have ended; returns the reports of the last."""
    async def ended() -> list[Any]:
        while True:
            done = [r for r in index_runs(client) if isinstance(r[-1], types.WorkDoneProgressEnd)]
            if len(done) >= runs:
                return done[-1]
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(ended(), TIMEOUT_S)


def units(text: str, encoding_name: str) -> int:
    """Length of `text` in code units of an LSP position encoding."""
    if encoding_name == "utf-8":
        return len(text.encode("utf-8"))
    if encoding_name == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@dataclass
class Doc:
    """An open document as the test client sees it."""

    client: LanguageClient
    uri: str
    text: str
    version: int = 1

    @property
    def identifier(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    def offset_position(self, offset: int) -> types.Position:
        """The client position of code point `offset`."""
        line = self.text.count("\n", 0, offset)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return types.Position(line, units(self.text[line_start:offset], encoding(self.client)))

    def position(self, needle: str, nth: int = 0, offset: int = 0) -> types.Position:
        """The position of the `nth` occurrence of `needle`, plus `offset` code points."""
        at = -1
        for _ in range(nth + 1):
            at = self.text.index(needle, at + 1)
        return self.offset_position(at + offset)

    def range_of(self, needle: str, nth: int = 0) -> types.Range:
        start = self.position(needle, nth)
        return types.Range(start, self.position(needle, nth, len(needle)))

    def edit(self, range_: types.Range, new_text: str) -> None:
        """Send one incremental change and mirror it here."""
        start, end = self._offset(range_.start), self._offset(range_.end)
        self.text = self.text[:start] + new_text + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangePartial(range=range_, text=new_text)],
            )
        )

    def replace(self, needle: str, new_text: str, nth: int = 0) -> None:
        self.edit(self.range_of(needle, nth), new_text)

    def close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=self.identifier))

    def _offset(self, position: types.Position) -> int:
        line_start = 0
        for _ in range(position.line):
            line_start = self.text.index("\n", line_start) + 1
        line_end = self.text.find("\n", line_start)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        for char in range(len(line) + 1):
            if units(line[:char], encoding(self.client)) >= position.character:
                return line_start + char
        return line_start + len(line)


def text_in(path: Path, range_: types.Range, encoding_name: str) -> str:
    """The text a range covers in a file on disk, read with the session's encoding."""
    lines = path.read_text(encoding="utf-8").split("\n")

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        char = next(c for c in range(len(line) + 1) if units(line[:c], encoding_name) >= position.character)
        return sum(len(text) + 1 for text in lines[: position.line]) + char

    return "\n".join(lines)[offset(range_.start) : offset(range_.end)]


def open_document(client: LanguageClient, path: Path, text: str | None = None, language_id: str = "python") -> Doc:
    """didOpen `path` (with its disk text unless `text` is given)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    uri = from_fs_path(str(path))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        )
    )
    return Doc(client, uri, text)


async def send_raw_request(client: LanguageClient, method: str, params: Any, msg_id: Any = None) -> Any:
    """A request with arbitrary JSON `params`; returns its result or raises the JSON-RPC error.

    Raises TimeoutError if the server never answers (what stock pygls does with malformed params).
    """
    msg_id = msg_id if msg_id is not None else f"raw-{uuid.uuid4().hex[:8]}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future  # pygls' client resolves it when the answer arrives
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), 10)


def send_raw_notification(client: LanguageClient, method: str, params: Any) -> None:
    client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


def frame(message: dict[str, Any]) -> bytes:
    """A JSON-RPC message with its Content-Length header."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: Any) -> dict[str, Any]:
    """The next JSON-RPC message from a binary stream."""
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))
