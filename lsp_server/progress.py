"""Server-initiated work-done progress (`$/progress`) for one piece of long work.

`create` is awaited under `asyncio.shield`: in pygls 2.1.1 a task cancelled while it awaits a
server->client request crashes on the late reply (pygls issue #621). Without client support, or if the
client refuses the token, progress is silent and the work runs the same.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from lsp_server.server import RodimusServer

logger = logging.getLogger(__name__)


class WorkDone:
    """`async with WorkDone(ls, "Indexing") as progress:` sends begin, then `report`s, then end.

    Build it on the event loop; `report_threadsafe` may then be handed to a worker before `async with`.
    """

    def __init__(self, ls: RodimusServer, title: str, *, cancellable: bool = False) -> None:
        self._ls = ls
        self._title = title
        self._cancellable = cancellable
        self._token: str | None = None
        self._percentage = -1
        self._loop = asyncio.get_running_loop()
        self._started = threading.Event()
        self.end_message = ""

    async def __aenter__(self) -> WorkDone:
        try:
            await self._begin()
        finally:
            self._started.set()
        return self

    def wait_started(self, timeout: float = 5.0) -> None:
        """Block a worker until `begin` was sent (or progress turned out silent), so no report is lost.

        Gives up after `timeout` seconds (a client that never answers) or when the server stops.
        """
        deadline = time.monotonic() + timeout
        while not self._started.wait(0.05):
            if self._ls.stopping.is_set() or time.monotonic() > deadline:
                return

    async def _begin(self) -> None:
        window = self._ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return
        token = f"rodimus/{self._title.lower()}/{uuid.uuid4().hex[:12]}"
        try:
            await asyncio.shield(self._ls.work_done_progress.create_async(token))
        except Exception as exc:
            logger.info("client refused progress token for %s: %s", self._title, exc)
            return
        self._token = token
        self._ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=self._title, cancellable=self._cancellable, percentage=0)
        )

    def report(self, done: int, total: int, message: str | None = None) -> None:
        """Report `done` of `total` steps (call on the event loop); repeats of a percentage are dropped."""
        if self._token is None:
            return
        percentage = 100 * done // total if total > 0 else 0
        if percentage == self._percentage:
            return
        self._percentage = percentage
        self._ls.work_done_progress.report(
            self._token, types.WorkDoneProgressReport(percentage=percentage, message=message or f"{done}/{total}")
        )

    def report_threadsafe(self, done: int, total: int) -> None:
        """`report` from a worker thread (dropped before `begin`: see `wait_started`)."""
        if self._token is not None:
            self._loop.call_soon_threadsafe(self.report, done, total)

    @property
    def cancelled(self) -> bool:
        """Whether the user cancelled the work in the client (only if `cancellable`)."""
        future = self._ls.work_done_progress.tokens.get(self._token) if self._token else None
        return future is not None and future.cancelled()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is None:
            return
        message = self.end_message or ("failed" if exc is not None else "done")
        self._ls.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        self._ls.work_done_progress.tokens.pop(self._token, None)
