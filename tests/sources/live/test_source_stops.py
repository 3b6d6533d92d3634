"""When the live source stops for good, nothing of it goes on behind the screen's "live updates stopped".

An informer retries what can be retried; one that fails anyway (a bug) ends
the source. Then the other kinds' watches end too, the connection is closed,
and a recorder still gets its stop mark. The failure is made by replacing one
informer's `run` (stsviz's own code, not the client library).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from stsviz.commands.common import CommandError
from stsviz.commands.record import _record
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.informer import Informer
from stsviz.sources.live.kinds import PODS, Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.live import LiveFrameSource
from tests.fake_api import FakeApiServer, obj

BUG = "a bug in the pods informer"


def watching() -> list[asyncio.Task]:
    """The informers' tasks still running in this loop (their `run`, replaced below)."""
    return [task for task in asyncio.all_tasks() if "failing" in getattr(task.get_coro(), "__qualname__", "")]


def break_the_pods_informer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pods informer fails for good once the other kinds are watching."""
    run = Informer.run

    async def failing(self: Informer) -> None:
        if self.kind is not PODS:
            return await run(self)
        await asyncio.sleep(0.2)
        raise RuntimeError(BUG)

    monkeypatch.setattr(Informer, "run", failing)


def web() -> dict:
    return obj("StatefulSet", "web", spec={"replicas": 1}, status={"observedGeneration": 1, "updateRevision": "w-1"})


async def test_the_other_kinds_stop_watching_and_the_connection_closes(
    api: FakeApiServer, tmp_path: Path, fake_time, monkeypatch
):
    break_the_pods_informer(monkeypatch)
    api.objects["statefulsets"] = [web()]
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing())
    live = LiveFrameSource(source, batch_interval=0.02)
    with pytest.raises(RuntimeError, match=BUG):
        await live.follow(lambda message: None)  # the screen's worker: its error is "live updates stopped"
    assert watching() == []  # the statefulsets, claims, events... informers were cancelled
    assert source.connection is None  # closed, not left to the garbage collector


async def test_a_recording_whose_source_fails_still_ends_with_its_stop_mark(
    api: FakeApiServer, tmp_path: Path, monkeypatch
):
    break_the_pods_informer(monkeypatch)
    api.objects["statefulsets"] = [web()]
    output = tmp_path / "incident.jsonl"
    with pytest.raises((RuntimeError, CommandError)):
        await _record(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), str(output), True, None, 0)
    lines = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    assert lines[-1].get("mark") == "stop", lines[-1]
    assert any(line.get("object", {}).get("metadata", {}).get("name") == "web" for line in lines)
    assert watching() == []
