"""minReadySeconds and rollingUpdate.maxUnavailable on the demo cluster.

Both fields are newer than 1.20, so there is no recording to compare with;
the behaviour is upstream's current controller (isRunningAndAvailable,
status.availableReplicas, updateStatefulSetAfterInvariantEstablished). Times
are cluster times taken at the moment each write is committed, so the bounds
hold whatever the speed factor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from kubernetes_asyncio.client import AppsV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from stsviz.sim.clock import parse_time
from stsviz.sim.controllers.statefulset_pods import max_unavailable
from stsviz.sim.resources import PODS, STATEFULSETS
from tests.sim.simtools import rolled_out, status_body, web_manifest
from tests.waiting import eventually

MIN_READY = 10  # cluster seconds; the fake kubelet takes about 4 s from creation to Ready
# How late a wake-up may land in cluster time: event-loop latency × the speed factor.
LATENESS = timedelta(seconds=2)


class Commits:
    """Every committed write of pods and the set, with the cluster time it was committed at."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.log: list[tuple[datetime, str, str, dict]] = []  # (when, type, kind, object)
        self.initial_pods = {p["metadata"]["name"]: p for p in cluster.store.items(PODS, "default")}
        cluster.store.add_listener(self._on_change)

    def _on_change(self, change) -> None:
        if change.resource in (PODS, STATEFULSETS):
            self.log.append((self.cluster.clock.now(), change.type, change.object["kind"], change.object))

    def stop(self) -> None:
        self.cluster.store.remove_listener(self._on_change)

    def pods(self) -> list[tuple[datetime, str, dict]]:
        return [(when, type_, obj) for when, type_, kind, obj in self.log if kind == "Pod"]

    def statuses(self) -> list[tuple[datetime, dict]]:
        return [(when, obj.get("status") or {}) for when, _, kind, obj in self.log if kind == "StatefulSet"]


def ready_time(pod: dict) -> datetime:
    return parse_time(
        next(
            c["lastTransitionTime"]
            for c in pod["status"]["conditions"]
            if c["type"] == "Ready" and c["status"] == "True"
        )
    )


def just_after_min_ready(ready: datetime, when: datetime) -> bool:
    """`when` is strictly after ready + minReadySeconds (IsPodAvailable's test), and not late."""
    return ready + timedelta(seconds=MIN_READY) < when <= ready + timedelta(seconds=MIN_READY) + LATENESS


def is_up(type_: str, pod: dict) -> bool:
    return (
        type_ != "DELETED"
        and not pod["metadata"].get("deletionTimestamp")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or [])
    )


def first_ready(commits: Commits, name: str) -> dict:
    return next(obj for _, type_, obj in commits.pods() if obj["metadata"]["name"] == name and is_up(type_, obj))


def unavailable_over_time(commits: Commits, names: list[str]) -> list[int]:
    """After each pod write: how many of `names` are missing, terminating or not Ready."""
    state = {name: name in commits.initial_pods and is_up("ADDED", commits.initial_pods[name]) for name in names}
    counts = []
    for _, type_, pod in commits.pods():
        name = pod["metadata"]["name"]
        if name in state:
            state[name] = is_up(type_, pod)
            counts.append(sum(1 for up in state.values() if not up))
    return counts


async def test_min_ready_seconds_delays_available_replicas_and_the_next_ordinal(api, cluster):
    commits = Commits(cluster)
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=2, minReadySeconds=MIN_READY))
    await eventually(
        lambda: (
            rolled_out(cluster)
            and cluster.store.view(STATEFULSETS, "default", "web")["status"].get("availableReplicas") == 2
        ),
        message="2 replicas available",
    )
    commits.stop()
    web_0_ready = ready_time(first_ready(commits, "web-0"))
    # web-1 is created only once web-0 has been Ready for more than minReadySeconds (strictly, as IsPodAvailable).
    created_1 = next(
        when for when, type_, obj in commits.pods() if type_ == "ADDED" and obj["metadata"]["name"] == "web-1"
    )
    assert just_after_min_ready(web_0_ready, created_1)
    # Until then the status says Ready but not available; availableReplicas moves in the same reconcile.
    statuses = commits.statuses()
    waiting = [s for when, s in statuses if s.get("readyReplicas") == 1 and s.get("availableReplicas") == 0]
    assert waiting, "web-0 was never reported Ready and not yet available"
    available_1 = next(when for when, s in statuses if s.get("availableReplicas") == 1)
    assert just_after_min_ready(web_0_ready, available_1)
    assert all(s.get("availableReplicas", 0) <= s.get("readyReplicas", 0) for _, s in statuses)
    web_1_ready = ready_time(first_ready(commits, "web-1"))
    available_2 = next(when for when, s in statuses if s.get("availableReplicas") == 2)
    assert just_after_min_ready(web_1_ready, available_2)


async def test_min_ready_seconds_paces_the_rolling_update(api, cluster):
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=2, minReadySeconds=MIN_READY))
    await eventually(
        lambda: (
            rolled_out(cluster)
            and cluster.store.view(STATEFULSETS, "default", "web")["status"].get("availableReplicas") == 2
        ),
        message="2 replicas available",
    )
    commits = Commits(cluster)
    await apps.patch_namespaced_stateful_set(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.20"}]}}}}
    )
    await eventually(lambda: rolled_out(cluster) and len([p for p in commits.pods() if p[1] == "DELETED"]) == 2)
    commits.stop()
    # web-0 is deleted only after the new web-1 has been Ready for minReadySeconds.
    new_web_1 = next(obj for _, type_, obj in commits.pods() if type_ == "ADDED" and obj["metadata"]["name"] == "web-1")
    ready_1 = ready_time(
        next(
            obj
            for _, type_, obj in commits.pods()
            if obj["metadata"]["uid"] == new_web_1["metadata"]["uid"] and is_up(type_, obj)
        )
    )
    terminating_0 = next(
        when
        for when, _, obj in commits.pods()
        if obj["metadata"]["name"] == "web-0" and obj["metadata"].get("deletionTimestamp")
    )
    assert just_after_min_ready(ready_1, terminating_0)


async def test_a_set_without_the_new_fields_reports_no_available_replicas(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster))
    assert "availableReplicas" not in cluster.store.view(STATEFULSETS, "default", "web")["status"]  # 1.20's shape


async def rolled_with_max_unavailable(api, cluster, replicas: int, rolling: dict) -> Commits:
    """Create, roll out, change the image, and record every write until the update is done."""
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set(
        "default", web_manifest(replicas=replicas, updateStrategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    )
    await eventually(lambda: rolled_out(cluster), message="initial rollout")
    commits = Commits(cluster)
    await apps.patch_namespaced_stateful_set(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.20"}]}}}}
    )

    def updated_down_to_partition() -> bool:
        sts = cluster.store.view(STATEFULSETS, "default", "web")
        status = sts["status"]
        return (
            status.get("observedGeneration") == sts["metadata"]["generation"]
            and status.get("updatedReplicas") == replicas - rolling.get("partition", 0)
            and status.get("readyReplicas") == replicas
        )

    await eventually(updated_down_to_partition, message="update down to the partition")
    await cluster.settle(5)
    commits.stop()
    return commits


def deleted_in_batches(commits: Commits) -> list[set[str]]:
    """Pod deletions (deletionTimestamp set) grouped by the run of writes between two re-creations."""
    batches: list[set[str]] = [set()]
    for _, type_, pod in commits.pods():
        if type_ == "MODIFIED" and pod["metadata"].get("deletionTimestamp"):
            batches[-1].add(pod["metadata"]["name"])
        elif type_ == "ADDED" and batches[-1]:
            batches.append(set())
    return [b for b in batches if b]


async def test_max_unavailable_two_updates_two_pods_at_a_time_down_to_the_partition(api, cluster):
    names = [f"web-{i}" for i in range(5)]
    commits = await rolled_with_max_unavailable(api, cluster, 5, {"partition": 1, "maxUnavailable": 2})
    assert deleted_in_batches(commits) == [{"web-4", "web-3"}, {"web-2", "web-1"}]
    counts = unavailable_over_time(commits, names)
    assert max(counts) == 2 and counts.count(2) > 1  # two down at once, never three
    pods = {p["metadata"]["name"]: p for p in cluster.store.items(PODS, "default")}
    revisions = {name: pods[name]["metadata"]["labels"]["controller-revision-hash"] for name in names}
    status = cluster.store.view(STATEFULSETS, "default", "web")["status"]
    assert revisions["web-0"] == status["currentRevision"] != status["updateRevision"]
    assert all(revisions[name] == status["updateRevision"] for name in names[1:])
    assert (status["updatedReplicas"], status["currentReplicas"], status["availableReplicas"]) == (4, 1, 5)


async def test_max_unavailable_as_a_percentage_rounds_down(api, cluster):
    names = [f"web-{i}" for i in range(4)]
    # 50% of 4 is 2: two at a time, all the way down with no partition.
    commits = await rolled_with_max_unavailable(api, cluster, 4, {"partition": 0, "maxUnavailable": "50%"})
    assert deleted_in_batches(commits) == [{"web-3", "web-2"}, {"web-1", "web-0"}]
    assert max(unavailable_over_time(commits, names)) == 2
    assert rolled_out(cluster)


@pytest.mark.parametrize(
    "value, replicas, expected",
    [(None, 5, 1), (2, 5, 2), ("50%", 4, 2), ("50%", 5, 2), ("99%", 3, 2), ("10%", 4, 1), ("100%", 3, 3)],
)
def test_max_unavailable_scales_percentages_down_but_never_below_one(value, replicas, expected):
    rolling = {} if value is None else {"maxUnavailable": value}
    sts = {"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}}
    assert max_unavailable(sts, replicas) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "Invalid value: 0: must be greater than 0"),
        (-1, "Invalid value: -1: must be greater than or equal to 0"),
        ("0%", 'Invalid value: "0%": must be greater than 0'),
        ("150%", 'Invalid value: "150%": must not be greater than 100%'),
        ("two", "Invalid value: \"two\": must be an integer or percentage (e.g '5%')"),
    ],
)
async def test_max_unavailable_must_be_positive(api, value, message):
    with pytest.raises(ApiException) as invalid:
        await AppsV1Api(api).create_namespaced_stateful_set(
            "default",
            web_manifest(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": value}}),
        )
    body = status_body(invalid.value)
    assert invalid.value.status == 422
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": message, "field": "spec.updateStrategy.rollingUpdate.maxUnavailable"}
    ]


async def test_min_ready_seconds_must_not_be_negative_and_may_change(api, cluster):
    apps = AppsV1Api(api)
    with pytest.raises(ApiException) as invalid:
        await apps.create_namespaced_stateful_set("default", web_manifest(minReadySeconds=-1))
    assert status_body(invalid.value)["details"]["causes"][0]["field"] == "spec.minReadySeconds"
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=1))
    await apps.patch_namespaced_stateful_set("web", "default", {"spec": {"minReadySeconds": 5}})
    assert (await apps.read_namespaced_stateful_set("web", "default")).spec.min_ready_seconds == 5
