"""The demo cluster against the real 1.20 control plane's recordings.

For each recorded scenario (tests/data/recordings/rolling, scale and
web-lifecycle), the same steps are run against the demo cluster through kubernetes_asyncio, and
every pod's sequence of (cell state, revision) transitions must equal the
real one, read from merged.jsonl. Timing is ignored; order is not. The
revision names match too, since the hash is upstream's.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from tests.sim.simtools import WatchRecorder, rolled_out, transitions
from tests.waiting import eventually


def real_transitions(recording: Path) -> dict[str, list[tuple[str, str]]]:
    events = [json.loads(line) for line in (recording / "merged.jsonl").read_text().splitlines() if line.strip()]
    return transitions([e for e in events if e["object"]["kind"] == "Pod"])


def manifest(recording: Path) -> dict:
    return next(
        d for d in yaml.safe_load_all((recording / "manifest-web.yaml").read_text()) if d["kind"] == "StatefulSet"
    )


async def settled(recorder: WatchRecorder, cluster, expected: dict) -> None:
    await recorder.stop(cluster)
    assert transitions(recorder.events) == expected


async def ready_pods(api) -> list[str]:
    pods = (await CoreV1Api(api).list_namespaced_pod("default")).items
    return sorted(
        p.metadata.name
        for p in pods
        if not p.metadata.deletion_timestamp
        and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
    )


async def test_rolling_update_matches_the_real_controller(api, cluster, recordings):
    recorder = await WatchRecorder(api).start("pods")
    apps = AppsV1Api(api)
    # steps.log: apply; rollout status; set image nginx=nginx:1.20; rollout status.
    await apps.create_namespaced_stateful_set("default", manifest(recordings / "rolling"))
    await eventually(lambda: rolled_out(cluster), message="initial rollout")
    await apps.patch_namespaced_stateful_set(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.20"}]}}}}
    )
    await eventually(lambda: rolled_out(cluster), message="rolling update")
    await settled(recorder, cluster, real_transitions(recordings / "rolling"))


async def test_scale_and_pod_deletion_match_the_real_controller(api, cluster, recordings):
    recorder = await WatchRecorder(api).start("pods")
    apps, core = AppsV1Api(api), CoreV1Api(api)
    names = [f"web-{i}" for i in range(5)]
    # steps.log: apply (2 replicas); rollout status; scale to 5; rollout status; delete pod web-2 --wait=false;
    # wait for 5 Ready; scale to 1; wait for exactly 1 Ready pod.
    await apps.create_namespaced_stateful_set("default", manifest(recordings / "scale"))
    await eventually(lambda: rolled_out(cluster))
    await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 5}})
    await eventually(lambda: rolled_out(cluster))
    await core.delete_namespaced_pod("web-2", "default")

    async def five_ready():
        return await ready_pods(api) == names

    await eventually(five_ready, message="web-2 back")
    await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})

    async def one_left():
        return [p.metadata.name for p in (await core.list_namespaced_pod("default")).items] == ["web-0"]

    await eventually(one_left, message="scaled down to web-0")
    await settled(recorder, cluster, real_transitions(recordings / "scale"))


def applied_manifest(recording: Path) -> dict:
    """The manifest kubectl applied, from the first StatefulSet's last-applied-configuration."""
    first = next(
        json.loads(line)
        for line in (recording / "merged.jsonl").read_text().splitlines()
        if '"kind":"StatefulSet"' in line
    )
    applied = json.loads(first["object"]["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    applied["metadata"].pop("namespace", None)
    return applied


async def test_partition_crash_loop_and_stuck_revert_match_the_real_controller(api, cluster, recordings):
    """web-lifecycle: roll, scale 5 → 2, canary with partition 1, a crash-looping image on web-1, the image
    reverted (web-1 stays on the bad revision, kubernetes#67250) until deleted, then partition 0."""
    recorder = await WatchRecorder(api).start("pods")
    apps, core = AppsV1Api(api), CoreV1Api(api)

    async def set_image(image: str) -> None:
        await apps.patch_namespaced_stateful_set(
            "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
        )

    async def partition(value: int) -> None:
        await apps.patch_namespaced_stateful_set(
            "web",
            "default",
            {"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": value}}}},
        )

    async def web_1():
        return await core.read_namespaced_pod("web-1", "default")

    await apps.create_namespaced_stateful_set("default", applied_manifest(recordings / "web-lifecycle"))
    await eventually(lambda: rolled_out(cluster))
    await set_image("nginx:1.20")
    await eventually(lambda: rolled_out(cluster))
    for replicas in (5, 2):
        await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": replicas}})
        await eventually(
            lambda replicas=replicas: (
                rolled_out(cluster)
                and len(cluster.store.items(cluster.resource_of({"kind": "Pod"}), "default")) == replicas
            )
        )
    await partition(1)
    await set_image("nginx:1.21")

    async def canary_ready():
        sts = await apps.read_namespaced_stateful_set("web", "default")
        pod = await web_1()
        return (
            pod.metadata.labels["controller-revision-hash"] == sts.status.update_revision
            and sts.status.ready_replicas == 2
        )

    await eventually(canary_ready, message="web-1 on nginx:1.21")
    await set_image("nginx:bad-1.0")

    async def third_crash():
        statuses = (await web_1()).status.container_statuses or []
        return statuses and statuses[0].restart_count == 3 and statuses[0].state.waiting

    await eventually(third_crash, timeout=20, message="web-1 crashed three times")
    await cluster.settle(2)
    await set_image("nginx:1.21")  # the revert: web-1 is not Ready, so OrderedReady never replaces it
    await cluster.settle(15)
    await core.delete_namespaced_pod("web-1", "default")
    await eventually(canary_ready, message="web-1 back on nginx:1.21 after the manual delete")
    await partition(0)
    await eventually(lambda: rolled_out(cluster), message="rollout complete")
    await settled(recorder, cluster, real_transitions(recordings / "web-lifecycle"))
