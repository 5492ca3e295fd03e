"""ModelWorker: the one thread that owns the model and every document session.

Document updates (open, edit, close) run in the order they were sent; completion requests run after the
updates queued before them, newest request first (an older one still queued is usually stale, and its
ticket may already be revoked, which makes it return at once). With nothing queued, the worker brings
the most recently edited session's state up to its cursor, a chunk at a time, yielding as soon as a job
arrives, then builds the prompt at that cursor (`DocumentSession.prepare`), so that the next request there
finds state and prompt ready and goes straight to generation. torch releases the GIL while it computes,
so the event loop (and pygls' reader) keeps running.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from completion.sessions import Sessions

logger = logging.getLogger(__name__)

T = TypeVar("T")

SessionsFactory = Callable[[], Sessions]


class ModelUnavailable(RuntimeError):
    """The model could not be loaded; completions are off until the server restarts."""


class ModelWorker:
    def __init__(self, make_sessions: SessionsFactory, name: str = "rodimus-model",
                 torch_threads: int | None = 1) -> None:
        self._make_sessions = make_sessions
        self._torch_threads = torch_threads
        self._updates: deque[Callable[[Sessions], None]] = deque()
        self._requests: deque[tuple[Callable[[Sessions], Any], Future[Any]]] = deque()
        self._dirty: list[str] = []  # uris whose state lags their text, most recent last
        self._wake = threading.Condition()
        self._closed = False
        self.sessions: Sessions | None = None
        self.load_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------------------------- any thread
    def update(self, action: Callable[[Sessions], str | None]) -> None:
        """Queue a document update; `action` returns the uri whose state it left behind (or None)."""
        def run(sessions: Sessions) -> None:
            uri = action(sessions)
            if uri is not None:
                if uri in self._dirty:
                    self._dirty.remove(uri)
                self._dirty.append(uri)

        with self._wake:
            self._updates.append(run)
            self._wake.notify()

    def request(self, job: Callable[[Sessions], T]) -> Future[T]:
        """Queue a request; its future gets the result (or ModelUnavailable / the job's exception)."""
        future: Future[T] = Future()
        with self._wake:
            self._requests.append((job, future))
            self._wake.notify()
        return future

    def pending(self) -> bool:
        """Whether the state work under way should yield: a job arrived, or the worker is shutting down."""
        return bool(self._updates or self._requests or self._closed)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the worker and wait (at most `timeout` seconds) until its thread has left the model.

        Waiting matters: a process that exits while this thread is inside a torch operation is aborted by the
        C++ runtime ("terminate called without an active exception", exit status 134). State work checks
        `pending` between chunks and model steps, and a generation ends within its time budget.
        """
        with self._wake:
            self._closed = True
            self._wake.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # ---------------------------------------------------------------------------------- worker thread
    def _run(self) -> None:
        import torch  # here, not at import: the event loop that creates the worker never waits for torch

        if self._torch_threads is not None:
            # Process-wide. A small model's per-token matmuls gain nothing from a second thread, and on a
            # busy 2-core machine OpenMP's spinning threads made them up to 75x slower (bench/completion.py).
            torch.set_num_threads(self._torch_threads)
        with torch.inference_mode():  # thread-local: every job below runs without autograd
            self._loop()

    def _loop(self) -> None:
        try:
            self.sessions = self._make_sessions()
        except BaseException as exc:  # noqa: BLE001 - reported to every request
            self.load_error = exc
            logger.error("could not load the completion model: %s", exc)
        while True:
            with self._wake:
                while not (self._closed or self._updates or self._requests or (self._dirty and self.sessions)):
                    self._wake.wait()
                if self._closed:
                    break
                update = self._updates.popleft() if self._updates else None
                request = self._requests.pop() if update is None and self._requests else None
            if update is not None:
                self._guard(update)
            elif request is not None:
                self._serve(*request)
            else:
                self._catch_up()
        for _, future in self._requests:
            future.cancel()

    def _guard(self, update: Callable[[Sessions], None]) -> None:
        if self.sessions is None:
            return
        try:
            update(self.sessions)
        except Exception:
            logger.exception("document update failed")

    def _serve(self, job: Callable[[Sessions], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        if self.sessions is None:
            future.set_exception(ModelUnavailable(f"the completion model is not loaded: {self.load_error}"))
            return
        try:
            result = job(self.sessions)
            self.sessions.enforce_budget()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _catch_up(self) -> None:
        """Advance the most recently edited session's state and prepare its prompt while nothing else is queued."""
        assert self.sessions is not None
        uri = self._dirty[-1]
        session = self.sessions.get(uri)
        if session is None:
            self._dirty.remove(uri)
            return
        try:
            prepared = session.prepare(should_stop=self.pending)
        except Exception:
            logger.exception("state update of %s failed", uri)
            self._dirty.remove(uri)
            return
        if prepared and uri in self._dirty:
            self._dirty.remove(uri)
        self.sessions.enforce_budget()
