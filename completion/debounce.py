"""How long an Automatic trigger waits for the user to stop typing before it costs a model call.

Editors add their own delay (VS Code 50 ms, Neovim 0.12 200 ms); the server's default of 75 ms sits on
top. Invoked triggers (an explicit gesture) are served at once. When the user types faster than the
delay, tabby-agent stretches it to the recent typing interval so bursts do not start generations that
the next keystroke cancels; this does the same, up to twice the configured delay.
"""
from __future__ import annotations

import time
from collections import deque

from completion.context import Trigger


class Debouncer:
    def __init__(self, delay_ms: float = 75.0, history: int = 8) -> None:
        self.delay_ms = delay_ms
        self._arrivals: deque[float] = deque(maxlen=history)

    def delay_s(self, trigger: Trigger, now: float | None = None) -> float:
        """Seconds to wait before serving a request of this trigger kind that arrived at `now`."""
        now = time.monotonic() if now is None else now
        if trigger is Trigger.INVOKED:
            return 0.0
        self._arrivals.append(now)
        delay = self.delay_ms
        if len(self._arrivals) >= 3:
            times = list(self._arrivals)
            gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
            typical_ms = 1000 * gaps[len(gaps) // 2]
            if typical_ms < 2 * self.delay_ms:
                delay = min(2 * self.delay_ms, max(delay, 1.2 * typical_ms))
        return delay / 1000
