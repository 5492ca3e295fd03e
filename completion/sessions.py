"""Sessions: one DocumentSession per open document, model state kept under a memory budget.

Every session reports its bytes; when the total of model state passes `budget_bytes`, the least recently
used sessions drop their states (text and token log stay, so the next request rebuilds them). Each session
sizes its checkpoint grid to a share of the budget (`share_bytes`, 1 / SESSIONS_PER_BUDGET of it), so that
much at most of a document's state stays resident however long it is. Closing a document frees its session.
Used by the model worker thread only.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from completion.options import SESSIONS_PER_BUDGET

if TYPE_CHECKING:
    from completion.session import DocumentSession

logger = logging.getLogger(__name__)


class Sessions:
    def __init__(self, make: Callable[[str], DocumentSession], budget_bytes: int) -> None:
        self._make = make
        self.budget_bytes = budget_bytes
        self._by_uri: OrderedDict[str, DocumentSession] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._by_uri)

    def __contains__(self, uri: str) -> bool:
        return uri in self._by_uri

    def __iter__(self) -> Iterator[tuple[str, DocumentSession]]:
        return iter(list(self._by_uri.items()))

    @property
    def share_bytes(self) -> int:
        """The model state one session may keep (its checkpoint grid is sized to it)."""
        return self.budget_bytes // SESSIONS_PER_BUDGET

    def open(self, uri: str, text: str) -> DocumentSession:
        session = self._by_uri[uri] = self._make(text)
        session.fit_checkpoints(self.share_bytes)
        self._by_uri.move_to_end(uri)
        return session

    def set_budget(self, budget_bytes: int) -> None:
        """A new budget: every session's checkpoints are refitted to its share, then the total enforced."""
        self.budget_bytes = budget_bytes
        for session in self._by_uri.values():
            session.fit_checkpoints(self.share_bytes)
        self.enforce_budget()

    def get(self, uri: str) -> DocumentSession | None:
        session = self._by_uri.get(uri)
        if session is not None:
            self._by_uri.move_to_end(uri)
        return session

    def close(self, uri: str) -> None:
        session = self._by_uri.pop(uri, None)
        if session is not None:
            session.drop_states()

    @property
    def state_bytes(self) -> int:
        return sum(s.state_nbytes for s in self._by_uri.values())

    def enforce_budget(self) -> None:
        """Drop the states of least recently used sessions until the total fits (the newest one is kept)."""
        total = self.state_bytes
        for uri, session in list(self._by_uri.items())[:-1]:
            if total <= self.budget_bytes:
                break
            freed = session.state_nbytes
            if freed:
                session.drop_states()
                total -= freed
                logger.info("evicted the model state of %s (%.1f MB) to stay under %.0f MB",
                            uri, freed / 2**20, self.budget_bytes / 2**20)
