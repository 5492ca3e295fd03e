"""Logging: records go to stderr (stdout is the LSP stream) and, once a client is connected, to its
output channel as `window/logMessage`.

pygls logs every message it sends at INFO, so its loggers are held at WARNING, and its records are never
forwarded to the client: a failure to send would otherwise log, send, fail and log again.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

LOG_LEVEL_ENV = "RODIMUS_LSP_LOG"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | None = None) -> None:
    """Root logging to stderr at `level` (else $RODIMUS_LSP_LOG, else INFO); pygls at WARNING at most."""
    name = (level or os.environ.get(LOG_LEVEL_ENV) or "info").upper()
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {name.lower()!r} (expected debug, info, warning or error)")
    logging.basicConfig(level=numeric, format=_FORMAT, force=True)
    logging.getLogger("pygls").setLevel(max(numeric, logging.WARNING))


class ClientLogHandler(logging.Handler):
    """Sends log records to the client as `window/logMessage`, from any thread."""

    _TYPES = (
        (logging.ERROR, types.MessageType.Error),
        (logging.WARNING, types.MessageType.Warning),
        (logging.INFO, types.MessageType.Info),
    )

    def __init__(self, ls: RodimusServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._ls = ls
        self._loop = loop
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.addFilter(lambda record: not record.name.startswith("pygls"))

    def emit(self, record: logging.LogRecord) -> None:
        kind = next((kind for level, kind in self._TYPES if record.levelno >= level), types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=self.format(record))
        try:
            self._loop.call_soon_threadsafe(self._send, params)
        except RuntimeError:
            pass  # the loop is closed: the server is exiting

    def _send(self, params: types.LogMessageParams) -> None:
        if self._ls.protocol.writer is not None:
            self._ls.window_log_message(params)


def attach_client_log(ls: RodimusServer) -> None:
    """Forward log records to the client from now on (call on the server's event loop)."""
    root = logging.getLogger()
    if not any(isinstance(handler, ClientLogHandler) for handler in root.handlers):
        root.addHandler(ClientLogHandler(ls, asyncio.get_running_loop()))
