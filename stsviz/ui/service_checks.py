"""Whether each set's serviceName names a headless Service, asked of the live cluster as sets are shown.

A StatefulSet's pods get their DNS names (`web-0.web.shop.svc`) only from the
headless Service its `serviceName` names; a missing or non-headless one is a
common misconfiguration nothing else on the screen would show. Services are
not watched (one more kind on the freshness line for one line of the detail
pane): the shown set's Service is fetched, and fetched again after a while.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from stsviz.model.records import Service

Answer = Service | Literal["missing"] | None  # None: not asked yet, or not knowable (forbidden, unreachable)
ASK_AGAIN_AFTER = 30.0  # seconds


class ServiceChecks:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._answers: dict[tuple[str, str], tuple[float, Answer]] = {}
        self._asking: set[tuple[str, str]] = set()

    def answer(self, namespace: str, name: str) -> Answer:
        found = self._answers.get((namespace, name))
        return found[1] if found is not None else None

    def due(self, namespace: str, name: str) -> bool:
        """Not asked, or asked long enough ago, and not being asked now."""
        key = (namespace, name)
        found = self._answers.get(key)
        return key not in self._asking and (found is None or self._clock() - found[0] >= ASK_AGAIN_AFTER)

    async def ask(self, source: Any, namespace: str, name: str) -> Answer:
        """Ask `source` (a LiveSource) and remember the answer; the caller redraws."""
        key = (namespace, name)
        self._asking.add(key)
        try:
            answer: Answer = await source.service_of(namespace, name)
        finally:
            self._asking.discard(key)
        self._answers[key] = (self._clock(), answer)
        return answer

    def forget(self) -> None:
        """Another cluster or namespace: nothing known carries over."""
        self._answers.clear()
