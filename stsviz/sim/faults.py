"""Fault injection: the ways a real API server or the network lets a client down.

Each fault is a method on `Faults` (for tests, in Python) and a POST under
`/sim/faults/` (for the demo and for other processes). Windows are in real
seconds, because the client experiences them on the real clock.

- close_watches: every open watch ends cleanly, as at an apiserver restart
- compact: the event history is dropped; resuming from an older
  resourceVersion now gets 410 Gone (and, optionally, open watches get an
  ERROR event with a 410 Status and end, as after etcd compaction)
- unavailable: every API request answers 503 for N seconds
- refuse_connections: the port stops listening for N seconds
- stall_watches: open (and, for the window, new) watches send nothing at all,
  not even bookmarks, and never end on their own: a dead connection
- hang: the server stops answering for N seconds, as over a network that
  drops packets: every request waits for the window's end before it is
  served, and the watches open when it began never speak again (their
  connections died with the outage, as when a NAT forgets them), though
  they stay open
- throttle: the next N requests answer 429 with Retry-After
- fail_requests: the next N requests answer 500
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .api.watch import WatchHub
    from .store import Store


class Faults:
    def __init__(
        self, store: Store, watches: WatchHub, pause_listening: Callable[[float], Coroutine[Any, Any, None]]
    ) -> None:
        self._store = store
        self._watches = watches
        self._pause_listening = pause_listening
        self._unavailable_until = 0.0
        self._hung_until = 0.0
        self._throttle_left = 0
        self._retry_after = 1
        self._fail_left = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # the faults ----------------------------------------------------------------------

    def close_watches(self) -> int:
        """End every open watch stream; returns how many were open."""
        return self._watches.close_all()

    def compact(self, expire_open_watches: bool = False) -> int:
        """Drop the history; returns the resourceVersion below which resumes now fail."""
        self._store.compact()
        if expire_open_watches:
            self._watches.expire_all()
        return self._store.resource_version

    def unavailable(self, seconds: float) -> None:
        self._unavailable_until = max(self._unavailable_until, time.monotonic() + seconds)
        self._watches.close_all()

    def refuse_connections(self, seconds: float) -> None:
        """Stop listening now, listen again after `seconds` (runs in the background)."""
        self._watches.close_all()
        task = asyncio.get_running_loop().create_task(self._pause_listening(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stall_watches(self, seconds: float, include_new: bool = True) -> int:
        return self._watches.stall(seconds, include_new)

    def hang(self, seconds: float) -> int:
        """Answer nothing for `seconds`: requests wait, open watches go silent for good; returns how many."""
        self._hung_until = max(self._hung_until, time.monotonic() + seconds)
        return self._watches.stall(math.inf, include_new=False)

    def throttle(self, requests: int = 1, retry_after: int = 1) -> None:
        self._throttle_left = requests
        self._retry_after = retry_after

    def fail_requests(self, requests: int = 1) -> None:
        self._fail_left = requests

    def clear(self) -> None:
        self._unavailable_until = 0.0
        self._hung_until = 0.0
        self._throttle_left = 0
        self._fail_left = 0
        self._watches.unstall()

    # consulted per request ----------------------------------------------------------------

    async def hold(self) -> None:
        """While the server hangs, a request waits until it answers again (a client's timeout may end it first)."""
        while (left := self._hung_until - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.1))

    def check_request(self) -> None:
        """Raise the injected error for this request, if any (order: 503, 429, 500)."""
        if time.monotonic() < self._unavailable_until:
            raise errors.service_unavailable()
        if self._throttle_left > 0:
            self._throttle_left -= 1
            raise errors.too_many_requests(self._retry_after)
        if self._fail_left > 0:
            self._fail_left -= 1
            raise errors.internal_error("injected fault")

    def describe(self) -> dict[str, Any]:
        return {
            "unavailableForSeconds": max(0.0, round(self._unavailable_until - time.monotonic(), 3)),
            "hungForSeconds": max(0.0, round(self._hung_until - time.monotonic(), 3)),
            "throttleRequestsLeft": self._throttle_left,
            "failRequestsLeft": self._fail_left,
            "openWatches": self._watches.open_count(),
            "stalledWatches": self._watches.stalled_count(),
            "oldestResourceVersion": self._store.oldest_resource_version,
            "resourceVersion": self._store.resource_version,
        }

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# name in /sim/faults/<name> → (method, allowed keyword arguments with their types)
HTTP_FAULTS: dict[str, tuple[str, dict[str, type]]] = {
    "close-watches": ("close_watches", {}),
    "compact": ("compact", {"expireOpenWatches": bool}),
    "unavailable": ("unavailable", {"seconds": float}),
    "refuse-connections": ("refuse_connections", {"seconds": float}),
    "stall-watches": ("stall_watches", {"seconds": float, "includeNew": bool}),
    "hang": ("hang", {"seconds": float}),
    "throttle": ("throttle", {"requests": int, "retryAfter": int}),
    "fail-requests": ("fail_requests", {"requests": int}),
    "clear": ("clear", {}),
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def invoke(faults: Faults, name: str, params: dict[str, Any]) -> Any:
    """Run the fault named in a /sim/faults/<name> request with its JSON params."""
    if name not in HTTP_FAULTS:
        raise errors.StatusError(404, "NotFound", f'fault "{name}" not found; known: {", ".join(HTTP_FAULTS)}', {})
    method, allowed = HTTP_FAULTS[name]
    kwargs = {}
    for key, value in params.items():
        if key not in allowed:
            raise errors.bad_request(
                f'fault "{name}" takes no parameter "{key}"; it takes: {", ".join(allowed) or "none"}'
            )
        try:
            kwargs[_snake(key)] = allowed[key](value)
        except (TypeError, ValueError):
            raise errors.bad_request(f'parameter "{key}" of fault "{name}" must be {allowed[key].__name__}') from None
    return getattr(faults, method)(**kwargs)
