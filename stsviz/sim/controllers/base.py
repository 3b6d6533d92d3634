"""A controller's skeleton: a de-duplicating work queue fed by store changes
and one worker that reconciles a key at a time, as client-go's workqueue.

A key added while it is being reconciled is reconciled again afterwards, and a
failed reconcile is retried after a back-off, so a controller converges the
way the real ones do after conflicts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from ..clock import SimClock
from ..errors import StatusError
from ..registry import Registry
from ..store import Write

log = logging.getLogger(__name__)

# What a controller queues: usually (namespace, name), as client-go's MetaNamespaceKeyFunc.
KeyT = TypeVar("KeyT", bound=Hashable)


class Controller(Generic[KeyT]):
    name = "controller"

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store = registry.store
        self.clock: SimClock = registry.clock
        self._queue: OrderedDict[KeyT, None] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._failures: dict[KeyT, int] = {}
        self._task: asyncio.Task | None = None
        self.store.add_listener(self.on_change)

    # feeding ---------------------------------------------------------------------------

    def on_change(self, change: Write) -> None:
        """Map a store change to the keys to reconcile. Must not write."""

    def enqueue(self, key: KeyT) -> None:
        self._queue[key] = None
        self._wakeup.set()

    def enqueue_after(self, key: KeyT, cluster_seconds: float) -> None:
        self.clock.call_later(cluster_seconds, self.enqueue, key)

    # running ---------------------------------------------------------------------------

    def reconcile(self, key: KeyT) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"sim-{self.name}")

    async def stop(self) -> None:
        self.store.remove_listener(self.on_change)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                key, _ = self._queue.popitem(last=False)
                try:
                    self.reconcile(key)
                    self._failures.pop(key, None)
                except StatusError as exc:
                    # Conflicts and races with other writers: retry with back-off.
                    failures = self._failures[key] = self._failures.get(key, 0) + 1
                    log.debug("%s: %s failed (%s), retry %d", self.name, key, exc.message, failures)
                    self.enqueue_after(key, min(0.005 * 2**failures, 10.0))
                except Exception:
                    log.exception("%s: reconciling %s failed", self.name, key)
                # Yield between keys so HTTP requests interleave with reconciles.
                await asyncio.sleep(0)
