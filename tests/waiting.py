"""The one way tests wait for something to happen: poll a condition, bounded, and fail clearly."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(
    condition: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str | None = None,
) -> Any:
    """Poll `condition()` until its value is truthy, and return that value.

    `condition` may be a plain or an async callable. An AssertionError it raises
    counts as "not yet", with its text as the value seen, so a check can say
    what is still wrong. After `timeout` real seconds, AssertionError naming
    what was awaited (`message`, else the condition's name) and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            last = condition()
            if inspect.isawaitable(last):
                last = await last
        except AssertionError as failed:
            last = failed
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            what = message or getattr(condition, "__qualname__", repr(condition))
            seen = str(last) if isinstance(last, AssertionError) else repr(last)
            raise AssertionError(f"waited {timeout}s for {what}; last seen: {seen}")
        await asyncio.sleep(interval)
