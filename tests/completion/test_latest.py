"""Latest wins per (document, surface); the debounce waits only for Automatic triggers."""
from __future__ import annotations

import asyncio

from completion.context import Trigger
from completion.debounce import Debouncer
from completion.latest import LatestWins


async def test_newer_request_revokes_the_older_on_the_same_surface() -> None:
    latest = LatestWins()
    first = latest.claim("a", "inline")
    other_surface = latest.claim("a", "completion")
    sleeping = asyncio.ensure_future(first.sleep(5))
    await asyncio.sleep(0)
    second = latest.claim("a", "inline")
    assert await asyncio.wait_for(sleeping, 1) is False  # woken at once, not after 5 s
    assert first.cancelled and first.cancel.is_set()
    assert not second.cancelled and not other_surface.cancelled
    latest.release(first)  # releasing a superseded ticket leaves the newer one in place
    latest.revoke_document("a")
    assert second.cancelled and other_surface.cancelled


async def test_sleep_runs_out_when_nothing_newer_comes() -> None:
    ticket = LatestWins().claim("a", "inline")
    assert await ticket.sleep(0.01) is True


def test_debounce_delays() -> None:
    debouncer = Debouncer(75)
    assert debouncer.delay_s(Trigger.INVOKED, now=0.0) == 0.0
    assert debouncer.delay_s(Trigger.AUTOMATIC, now=0.0) == 0.075
    # typing every 100 ms: the delay stretches past the typing interval, up to twice the setting
    delays = [debouncer.delay_s(Trigger.AUTOMATIC, now=0.1 * i) for i in range(1, 6)]
    assert delays[-1] == 0.12
    assert all(0.075 <= d <= 0.15 for d in delays)
