"""The JSON-RPC layer: pygls' LanguageServerProtocol with four changes.

1. Every request gets an answer. Stock pygls 2.1 structures a message while it is still being decoded
   (`json.loads(object_hook=structure_message)`), and when the params do not fit the method's type (a wrong
   type, a missing field) it raises before the request id is known to anyone, so the request is dropped and
   the client waits forever. Here a request or notification that does not structure becomes a
   `MalformedMessage`, and `handle_message` answers a request with JSON-RPC InvalidParams (-32602) (or
   InvalidRequest with a null id if its id is unreadable) and logs a notification.
2. Leaf values are structured strictly: "3" is not an integer and 3 is not a string (cattrs would coerce).
3. Text synchronisation skips pygls' own `TextDocument` copies: the server keeps its own `DocumentStore`.
   And the position encoding is UTF-8 when the client offers it, else UTF-16.
4. Nothing is sent after `exit`, or once the client's stream is broken. pygls closes stdout at `exit` and then
   exits, and the background work that ends meanwhile (an embedding's progress, a log record for the client)
   would write to the closed stream: each failed write is logged and reported to the client, whose report fails
   the same way, nested until Python's recursion limit. Exiting while the search embedding ran wrote 18.7 MB of
   chained tracebacks to stderr in 4 s, and a client that had stopped reading stderr then waited forever for the
   process to end. A broken pipe (the client went away) made a shorter loop: a log record about the failed write
   was forwarded to the client in turn.
"""
from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol, default_converter, lsp_method

from lsp_server.positions import Encoding
from lsp_server.strict import make_strict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MalformedMessage:
    """A message whose params did not structure into the type its method requires."""

    id: Any  # None for a notification (or an unreadable id)
    method: str
    reason: str
    id_readable: bool = True


def make_converter() -> cattrs.Converter:
    """pygls' lsprotocol converter, with strict int, str and bool, and lsprotocol's enums structured as enums.

    The strict hooks are registered by class, and lsprotocol's enums are subclasses of int or str
    (`InsertTextFormat`, `MarkupKind`): without hooks of their own they would be caught by the int or str hook and
    stay plain values, which the converter cannot write back (an item echoed by `completionItem/resolve` failed
    so). An enum's hook is as strict: a value of the wrong type or no member of the enum is refused."""
    converter = make_strict(default_converter(), (int, str, bool))
    for enum in _LSP_ENUMS:
        converter.register_structure_hook(enum, _enum_hook(enum))
    return converter


_LSP_ENUMS = tuple(value for value in vars(types).values()
                   if isinstance(value, type) and issubclass(value, enum.Enum) and issubclass(value, (int, str)))


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], enum.Enum]:
    base = int if issubclass(cls, int) else str

    def structure(value: Any, _: type) -> enum.Enum:
        if isinstance(value, cls):
            return value
        if not isinstance(value, base) or isinstance(value, bool):
            raise TypeError(f"expected {cls.__name__}, got {type(value).__name__} {value!r:.40}")
        return cls(value)  # ValueError for a value that is no member

    return structure


def choose_position_encoding(capabilities: types.ClientCapabilities) -> Encoding:
    offered = (capabilities.general and capabilities.general.position_encodings) or []
    return "utf-8" if types.PositionEncodingKind.Utf8 in offered else "utf-16"


class RodimusProtocol(LanguageServerProtocol):
    position_encoding: Encoding = "utf-16"
    closed = False  # set by `exit` or a broken pipe: the client reads no more

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method")
        message_type = self.get_message_type(method) if isinstance(method, str) else None
        if "jsonrpc" not in data or message_type is None or "result" in data or "error" in data:
            return super().structure_message(data)
        try:
            return self._converter.structure(data, message_type)
        except Exception as exc:
            msg_id = data.get("id")
            if "id" in data and not _valid_id(msg_id):
                return MalformedMessage(id=None, method=method, reason="unreadable id", id_readable=False)
            return MalformedMessage(id=msg_id, method=method, reason=_reason(exc))

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, MalformedMessage):
            super().handle_message(message)
            return
        if not message.id_readable:
            # JSON-RPC 2.0 answers an id that cannot be read with "id": null, which lsprotocol's response
            # type would leave out, so this one reply is written as a plain dict.
            error = JsonRpcInvalidRequest("invalid request id").to_response_error()
            self._send_data({"jsonrpc": "2.0", "id": None, "error": self._converter.unstructure(error)})
        elif message.id is not None:
            logger.warning("%s request %s: invalid params: %s", message.method, message.id, message.reason)
            error = JsonRpcInvalidParams(f"invalid params for {message.method}: {message.reason}")
            self._send_response(message.id, error=error.to_response_error())
        else:
            logger.warning("%s notification dropped: invalid params: %s", message.method, message.reason)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        self.position_encoding = choose_position_encoding(params.capabilities)
        result = yield from super().lsp_initialize(params)
        result.capabilities.position_encoding = self.position_encoding
        return result

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        self.closed = True
        yield from super().lsp_exit(*args)

    def _send_data(self, data: Any) -> None:
        if self.closed:
            logger.debug("not sent, the client reads no more: %s", getattr(data, "method", None) or type(data).__name__)
            return
        try:
            super()._send_data(data)
        except BrokenPipeError:
            self.closed = True
            logger.warning("the client closed its end of the stream: nothing more is sent to it")

    # pygls keeps a TextDocument per open file and rebuilds its text on every change; the server's own
    # DocumentStore (documents.py) replaces it, so these only hand over to the registered handlers.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


def _valid_id(msg_id: Any) -> bool:
    return isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)


def _reason(exc: BaseException) -> str:
    """The innermost messages of a cattrs error, with the JSON path they occurred at."""
    if isinstance(exc, cattrs.ClassValidationError):
        return "; ".join(cattrs.transform_error(exc, path="$")[:3]) or str(exc)
    return f"{type(exc).__name__}: {exc}"
