"""Where the server's long work runs: its own threads, never pygls' pool (which also reads stdin).

Mutations of the code graph (index, open, change, save, close, watched files) go, in the order the client
sent them, through one writer thread. Queries run on a small pool, each after every mutation queued before
it, so a request always sees the edits that preceded it while the event loop stays free.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Work:
    def __init__(self, readers: int = 4) -> None:
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="rodimus-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="rodimus-write")
        self._last_write: Future[Any] | None = None

    def write(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue a mutation behind all earlier ones; awaiting it (`asyncio.wrap_future`) is optional.

        Failures are logged here, because a queued notification has nobody else to report to; the
        returned future still carries the exception for callers that wait for it.
        """
        future = self._writer.submit(_logged(fn), *args)
        self._last_write = future
        return future

    async def settled(self) -> None:
        """Wait until every mutation queued so far has run."""
        if self._last_write is not None and not self._last_write.done():
            # shield: cancelling the waiting request must not cancel the queued mutation
            await asyncio.shield(asyncio.wrap_future(self._last_write))

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a query on the reader pool once earlier mutations have run."""
        try:
            await self.settled()
        except Exception:
            pass  # already logged by the writer; the query still runs on whatever state there is
        return await self.compute(fn, *args)

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """Run work that does not read the code graph on the reader pool now, not after queued mutations."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, functools.partial(fn, *args))

    def shutdown(self) -> None:
        self._readers.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=False, cancel_futures=True)


def _logged(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def run(*args: Any) -> T:
        try:
            return fn(*args)
        except Exception:
            logger.exception("%s failed", getattr(fn, "__qualname__", fn))
            raise

    return run
