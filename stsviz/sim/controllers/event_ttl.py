"""Event expiry: Events are deleted `ttl` cluster seconds after their last
write, as etcd leases expire them on a real cluster (--event-ttl, 1 h by
default). Without it a long demo of thousands of pods would grow without
bound.
"""

from __future__ import annotations

import asyncio
from collections import deque

from ..clock import SimClock
from ..resources import EVENTS
from ..store import Store, Write


class EventReaper:
    def __init__(self, store: Store, clock: SimClock, ttl: float = 3600.0, period: float = 10.0) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.period = period
        self._expiry: deque[tuple[float, str, str]] = deque()
        self._last_write: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task | None = None

    def on_change(self, change: Write) -> None:
        if change.resource is not EVENTS:
            return
        key = (change.object["metadata"]["namespace"], change.object["metadata"]["name"])
        if change.type == "DELETED":
            self._last_write.pop(key, None)
            return
        now = self.clock.elapsed()
        self._last_write[key] = now
        self._expiry.append((now + self.ttl, *key))

    def reap(self) -> int:
        """Delete every Event whose lease ran out; returns how many went."""
        now, removed = self.clock.elapsed(), 0
        while self._expiry and self._expiry[0][0] <= now:
            _, namespace, name = self._expiry.popleft()
            written = self._last_write.get((namespace, name))
            if written is None or written + self.ttl > now:
                continue  # gone already, or written again since: a later entry covers it
            if self.store.view(EVENTS, namespace, name) is not None:
                self.store.remove(EVENTS, namespace, name)
                removed += 1
        return removed

    def start(self) -> None:
        self.store.add_listener(self.on_change)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sim-event-ttl")

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(self.period)
            self.reap()

    async def stop(self) -> None:
        self.store.remove_listener(self.on_change)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
