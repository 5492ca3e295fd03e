"""Latest wins: one live completion request per (document, surface); a newer one supersedes the older.

Keyed by surface as well as document, so the inline request and the completion-popup request of the same
keystroke do not cancel each other. Superseding sets the older ticket's `cancel` flag, which the model
worker checks before every token, so its generation stops within one token; the older request then
answers with no items. Call from the event loop only.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field

_ids = itertools.count(1)


@dataclass(eq=False)
class Ticket:
    key: tuple[str, str]
    id: int = field(default_factory=lambda: next(_ids))
    cancel: threading.Event = field(default_factory=threading.Event)  # read by the worker thread
    _gone: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def revoke(self) -> None:
        self.cancel.set()
        self._gone.set()

    async def sleep(self, seconds: float) -> bool:
        """Wait `seconds` (the debounce); False if the ticket was revoked meanwhile."""
        if seconds > 0 and not self.cancelled:
            try:
                await asyncio.wait_for(self._gone.wait(), seconds)
            except asyncio.TimeoutError:
                pass
        return not self.cancelled


class LatestWins:
    def __init__(self) -> None:
        self._live: dict[tuple[str, str], Ticket] = {}

    def claim(self, uri: str, surface: str) -> Ticket:
        key = (uri, surface)
        older = self._live.get(key)
        if older is not None:
            older.revoke()
        ticket = self._live[key] = Ticket(key)
        return ticket

    def release(self, ticket: Ticket) -> None:
        if self._live.get(ticket.key) is ticket:
            del self._live[ticket.key]

    def revoke_document(self, uri: str) -> None:
        """Close: every live request on the document stops."""
        for key in [k for k in self._live if k[0] == uri]:
            self._live.pop(key).revoke()
