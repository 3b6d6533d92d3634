"""Fixtures for tests of live mode (source, screen, command): the scripted API server, a fake clock, running sources."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import KINDS, Scope
from stsviz.sources.live.source import LiveSource
from tests.fake_api import FakeApiServer, FakeTime
from tests.running import Running


@pytest.fixture
async def api() -> AsyncIterator[FakeApiServer]:
    server = FakeApiServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def run_source(api: FakeApiServer, fake_time: FakeTime, tmp_path: Path) -> AsyncIterator[Callable[..., Running]]:
    """Start a LiveSource against the scripted server: run_source(kinds=..., scope=..., **timing)."""
    running: list[Running] = []

    def start(*, kinds: Any = KINDS, scope: Scope | None = None, **timing: Any) -> Running:
        target = resolve_target(str(api.kubeconfig(tmp_path)))
        source = LiveSource(target, scope or Scope("ns"), timing=fake_time.timing(**timing), kinds=kinds)
        run = Running(source)
        running.append(run)
        return run

    yield start
    fake_time.hold = False
    fake_time.release()
    for run in running:
        await run.stop()
