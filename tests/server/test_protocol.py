"""The JSON-RPC layer in-process: what malformed messages become, and what goes back on the wire."""
from __future__ import annotations

import json
from typing import Any

import cattrs
import pytest
from lsprotocol import types

from lsp_server.protocol import MalformedMessage, choose_position_encoding, make_converter
from lsp_server.server import build_server


class Capture:
    """A pygls writer that keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def close(self) -> None:
        pass


def decode(message: dict[str, Any], server: Any = None) -> Any:
    """`message` as the server's reader decodes it (pygls structures while parsing the JSON)."""
    server = server or build_server()
    return json.loads(json.dumps(message), object_hook=server.protocol.structure_message)


def receive(message: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """Decode a malformed `message`, hand it to the protocol, return it and the replies."""
    server = build_server()
    capture = Capture()
    server.protocol.set_writer(capture, include_headers=False)
    decoded = decode(message, server)
    server.protocol.handle_message(decoded)
    return decoded, capture.sent


HOVER = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 0, "character": 0}}


def test_well_formed_params_structure_as_usual() -> None:
    decoded = decode({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": HOVER})
    assert isinstance(decoded, types.HoverRequest) and decoded.params.position == types.Position(0, 0)


@pytest.mark.parametrize(
    "params",
    [
        {**HOVER, "position": {"line": "0", "character": 0}},
        {**HOVER, "position": {"line": True, "character": 0}},
        {**HOVER, "position": {"line": 0.5, "character": 0}},
        {"position": HOVER["position"]},
    ],
)
def test_malformed_request_params_are_answered_with_invalid_params(params: dict[str, Any]) -> None:
    decoded, sent = receive({"jsonrpc": "2.0", "id": "h1", "method": "textDocument/hover", "params": params})
    assert isinstance(decoded, MalformedMessage)
    (reply,) = sent
    assert reply["id"] == "h1" and reply["error"]["code"] == -32602
    assert "$.params" in reply["error"]["message"]


def test_an_unreadable_id_is_answered_with_a_null_id() -> None:
    _, sent = receive({"jsonrpc": "2.0", "id": {"x": 1}, "method": "textDocument/hover", "params": {}})
    (reply,) = sent
    assert reply["id"] is None and reply["error"]["code"] == -32600


def test_a_malformed_notification_is_dropped_silently() -> None:
    decoded, sent = receive({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"contentChanges": 1}})
    assert isinstance(decoded, MalformedMessage) and decoded.id is None
    assert sent == []


def test_utf8_is_chosen_only_when_offered() -> None:
    def caps(*offered: str) -> types.ClientCapabilities:
        return types.ClientCapabilities(general=types.GeneralClientCapabilities(position_encodings=list(offered)))

    assert choose_position_encoding(caps("utf-32", "utf-8", "utf-16")) == "utf-8"
    assert choose_position_encoding(caps("utf-32", "utf-16")) == "utf-16"
    assert choose_position_encoding(types.ClientCapabilities()) == "utf-16"


def test_lsp_enums_are_structured_as_enums_strictly_and_written_back() -> None:
    """lsprotocol's enums subclass int or str: the strict int/str hooks must not turn them into plain values."""
    converter = make_converter()
    raw = {"label": "x", "insertTextFormat": 1, "documentation": {"kind": "markdown", "value": "v"}}
    item = converter.structure(raw, types.CompletionItem)
    assert item.insert_text_format is types.InsertTextFormat.PlainText
    assert item.documentation.kind is types.MarkupKind.Markdown
    assert json.loads(json.dumps(converter.unstructure(item))) == raw
    for wrong in ("1", True, 7):  # a string, a bool, no member
        with pytest.raises(cattrs.ClassValidationError):
            converter.structure({**raw, "insertTextFormat": wrong}, types.CompletionItem)
