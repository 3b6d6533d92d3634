"""`stsviz record` end to end against a real Kubernetes 1.20 control plane (realk8s or $STSVIZ_E2E_KUBECONFIG):
recorded through create, roll, scale, pod delete and set delete, the file replays to what kubectl lists."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from stsviz.model import ClusterState
from stsviz.model.records import Event
from stsviz.sources.replay.formats import load_recording
from tests.locations import REPO
from tests.realk8s import Kubectl, differences, state_records
from tests.sources.live.test_e2e import rollout_status, statefulset
from tests.waiting import eventually

pytestmark = pytest.mark.e2e


def replayed(path) -> dict[str, dict[tuple[str, str], Any]]:
    """The recording folded to its end, as the slim records kubectl's view is compared with."""
    recording = load_recording([path])
    state = ClusterState()
    events: dict = {}
    for change in recording.events:
        state.apply_change(change)
        if isinstance(change.record, Event):
            key = change.record.key
            if change.type == "DELETED":
                if key in events and events[key].uid == change.record.uid:
                    del events[key]
            else:
                events[key] = change.record
    return state_records(state, {"events": events})


async def test_a_recording_replays_to_what_kubectl_lists(realk8s_kubeconfig, kubectl, namespace, tmp_path):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    path = tmp_path / "rec.jsonl"
    recorder = subprocess.Popen(
        [sys.executable, "-m", "stsviz", "record", "-o", str(path), "--kubeconfig", str(realk8s_kubeconfig)]
        + ["-n", namespace],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )

    async def agrees(step: str) -> None:
        async def same() -> bool:
            truth = await asyncio.to_thread(k.records)
            problems = differences(replayed(path), truth)
            assert not problems, "\n" + "\n".join(problems[:20])
            return True

        await eventually(same, timeout=30, interval=0.5, message=f"{step}: the recording to replay to kubectl's view")

    try:
        await eventually(lambda: path.exists() and b'"mark":"list"' in path.read_bytes(), timeout=30)
        await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(3))
        await rollout_status(k)
        await asyncio.to_thread(k, "set", "image", "statefulset/web", "app=nginx:1.26")
        await rollout_status(k)
        await asyncio.to_thread(k, "scale", "statefulset/web", "--replicas=4")
        await rollout_status(k)
        await asyncio.to_thread(k, "delete", "pod", "web-1", "--wait=false")
        await rollout_status(k)
        await agrees("rolled, scaled, pod recreated")
        await asyncio.to_thread(k, "delete", "statefulset", "web", "--wait=true", timeout=120)
        # The garbage collector deletes the pods after the set: the recording must see them go.
        await eventually(lambda: not k.records()["Pod"], timeout=60, interval=0.5, message="the pods gone")
        await agrees("set and pods deleted")
    finally:
        recorder.send_signal(signal.SIGINT)
        _, stderr = recorder.communicate(timeout=30)
    assert recorder.returncode == 0, stderr
    assert b"Traceback" not in stderr
    recording = load_recording([path])
    assert not recording.warnings
    assert recording.header["serverVersion"]["gitVersion"].startswith("v1.20")
    await agrees("after the recorder stopped")
