"""The one waiting helper: returns what it waited for, and fails in bounded time saying what and what it last saw."""

from __future__ import annotations

import time

import pytest

from tests.waiting import eventually


async def test_returns_the_first_truthy_value():
    seen = iter([0, [], {"pods": 3}])
    assert await eventually(lambda: next(seen), interval=0) == {"pods": 3}


async def test_awaits_an_async_condition():
    calls = []

    async def ready():
        calls.append(1)
        return len(calls) >= 2

    assert await eventually(ready, interval=0) is True
    assert len(calls) == 2


async def test_fails_within_the_timeout_naming_what_and_the_last_value():
    started = time.monotonic()
    with pytest.raises(AssertionError) as failed:
        await eventually(lambda: [], timeout=0.1, interval=0.01, message="web rolled out")
    assert time.monotonic() - started < 2
    assert str(failed.value) == "waited 0.1s for web rolled out; last seen: []"


async def test_a_failing_check_is_not_yet_and_its_text_is_the_last_value():
    def same():
        raise AssertionError("web-1: phase Pending != Running")

    with pytest.raises(AssertionError) as failed:
        await eventually(same, timeout=0.05, interval=0.01)
    assert "same" in str(failed.value)  # named by the condition when no message is given
    assert str(failed.value).endswith("last seen: web-1: phase Pending != Running")
