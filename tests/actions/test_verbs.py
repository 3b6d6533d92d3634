"""The verbs against the demo cluster over real HTTP: what they send when someone else writes at the same moment.

A teammate's write (or the controller's status update) between the verb's read
and its write is made to happen there, through the demo cluster's API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes_asyncio.client import AppsV1Api

from stsviz.actions.errors import kubectl_error
from stsviz.actions.gate import _Transport
from stsviz.actions.verbs import (
    GRACE_FORCE,
    RESTARTED_AT,
    SCALE_TRIES,
    DeletePod,
    PreconditionFailed,
    Restart,
    Scale,
    SetPartition,
    Target,
)
from stsviz.sim import SimCluster
from stsviz.sim.resources import PODS, STATEFULSETS
from stsviz.sources.live.wire import ApiError
from tests.sim.simtools import api_client, web_manifest
from tests.waiting import eventually


class Meddled:
    """The gate's transport, with someone else's write just before each of the first `times` writes."""

    def __init__(self, inner: _Transport, meddle: Callable[[], Awaitable[Any]], times: int) -> None:
        self.inner, self.meddle, self.left = inner, meddle, times
        self.requests: list[str] = []

    async def get(self, path: str, query: list[tuple[str, str]] | None = None) -> Any:
        self.requests.append("GET")
        return await self.inner.get(path, query)

    async def send(self, method: str, path: str, **options: Any) -> Any:
        if self.left:
            self.left -= 1
            await self.meddle()
        self.requests.append(method)
        return await self.inner.send(method, path, **options)


def replicas(cluster: SimCluster) -> int:
    found = cluster.store.view(STATEFULSETS, "default", "web")
    assert found is not None
    return found["spec"]["replicas"]


@pytest.mark.parametrize("conflicts", [1, 3])
async def test_a_scale_meeting_a_conflict_reads_again_and_retries_as_kubectl_does(conflicts):
    async with SimCluster(speed=20, seed=1) as cluster, api_client(cluster) as client:
        cluster.apply(web_manifest(replicas=2))
        bumps = iter(range(100))

        async def annotate() -> None:  # moves the resourceVersion, not the replicas
            body = {"metadata": {"annotations": {"bump": str(next(bumps))}}}
            await AppsV1Api(client).patch_namespaced_stateful_set("web", "default", body)

        transport = Meddled(_Transport(client), annotate, times=conflicts)
        done = await Scale(Target(None, "default", "web"), seen=2, replicas=3).perform(transport)
        assert done == "statefulset.apps/web scaled" and replicas(cluster) == 3
        assert transport.requests == ["GET", "PUT"] * (conflicts + 1)


async def test_a_scale_stops_retrying_when_the_replicas_moved_or_after_its_tries():
    async with SimCluster(speed=20, seed=1) as cluster, api_client(cluster) as client:
        cluster.apply(web_manifest(replicas=2))
        apps = AppsV1Api(client)

        async def rescale() -> None:
            await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 4}})

        transport = Meddled(_Transport(client), rescale, times=1)
        with pytest.raises(PreconditionFailed, match="Expected replicas to be 2, was 4"):
            await Scale(Target(None, "default", "web"), seen=2, replicas=3).perform(transport)
        assert replicas(cluster) == 4

        bumps = iter(range(100))

        async def annotate() -> None:
            body = {"metadata": {"labels": {"b": str(next(bumps))}}}
            await apps.patch_namespaced_stateful_set("web", "default", body)

        transport = Meddled(_Transport(client), annotate, times=SCALE_TRIES)
        with pytest.raises(ApiError) as conflict:
            await Scale(Target(None, "default", "web"), seen=4, replicas=5).perform(transport)
        assert conflict.value.status == 409 and replicas(cluster) == 4


async def test_the_partition_moves_only_from_the_one_the_user_saw():
    held = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    async with SimCluster(speed=20, seed=1) as cluster, api_client(cluster) as client:
        cluster.apply(web_manifest(replicas=3, updateStrategy=held))
        apps = AppsV1Api(client)
        hold_back = SetPartition(Target(None, "default", "web"), seen=2, partition=3)

        async def promote_all() -> None:  # a teammate, while the dialog was open
            patch = {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}
            await apps.patch_namespaced_stateful_set("web", "default", patch)

        await promote_all()
        with pytest.raises(PreconditionFailed) as moved:
            await hold_back.perform(_Transport(client))
        said = kubectl_error(hold_back, moved.value)
        assert said == "error: Expected the partition to be 2, was 0; nothing was changed"

        # Between the read and the write: the patch's own test makes the server refuse it.
        transport = Meddled(_Transport(client), promote_all, times=1)
        await apps.patch_namespaced_stateful_set("web", "default", {"spec": {"updateStrategy": held}})
        with pytest.raises(ApiError) as raced:
            await hold_back.perform(transport)
        assert kubectl_error(hold_back, raced.value) == (
            "error: the partition of statefulset web moved while it was being changed; nothing was changed"
        )
        strategy = cluster.store.view(STATEFULSETS, "default", "web")["spec"]["updateStrategy"]
        assert strategy["rollingUpdate"]["partition"] == 0

        # As on a real server, OnDelete with a rollingUpdate left in is refused: it goes with it.
        on_delete = {"spec": {"updateStrategy": {"type": "OnDelete", "rollingUpdate": None}}}
        await apps.patch_namespaced_stateful_set("web", "default", on_delete)
        with pytest.raises(PreconditionFailed, match="statefulset web now uses OnDelete: there is no partition"):
            await SetPartition(Target(None, "default", "web"), seen=0, partition=1).perform(_Transport(client))


def test_the_kubectl_line_is_the_patch_that_is_sent():
    action = SetPartition(Target("prod", "default", "web"), seen=2, partition=1)
    assert action.kubectl() == (
        "kubectl --context prod -n default patch statefulset web --type=json -p "
        '\'[{"op":"test","path":"/spec/updateStrategy/rollingUpdate/partition","value":2},'
        '{"op":"replace","path":"/spec/updateStrategy/rollingUpdate/partition","value":1}]\''
    )


async def test_a_second_restart_within_the_same_second_is_refused_as_kubectl_refuses_it():
    moments = iter([datetime(2026, 12, 1, 18, 0, 0, 100000, UTC), datetime(2026, 12, 1, 18, 0, 0, 900000, UTC)])
    async with SimCluster(speed=20, seed=1) as cluster, api_client(cluster) as client:
        cluster.apply(web_manifest(replicas=2))
        restart = Restart(Target(None, "default", "web"), now=lambda: next(moments))
        assert await restart.perform(_Transport(client)) == "statefulset.apps/web restarted"
        template = cluster.store.view(STATEFULSETS, "default", "web")["spec"]["template"]
        assert template["metadata"]["annotations"][RESTARTED_AT] == "2026-12-01T18:00:00Z"
        transport = Meddled(_Transport(client), meddle=lambda: None, times=0)
        with pytest.raises(PreconditionFailed) as again:
            await restart.perform(transport)  # 0.8 s later: the same stamp, a change of nothing
        assert kubectl_error(restart, again.value) == (
            "error: failed to create patch for web: if restart has already been triggered within the past second,"
            " please wait before attempting to trigger another; nothing was changed"
        )
        assert transport.requests == ["GET"]  # nothing was sent


async def test_a_force_delete_says_force_deleted_and_that_the_kubelet_was_not_waited_for():
    async with SimCluster(speed=20, seed=1) as cluster, api_client(cluster) as client:
        cluster.apply(web_manifest(replicas=1))
        await eventually(lambda: cluster.store.view(PODS, "default", "web-0") is not None)
        uid = cluster.store.view(PODS, "default", "web-0")["metadata"]["uid"]
        done = await DeletePod(Target(None, "default", "web-0"), uid=uid, grace=GRACE_FORCE).perform(_Transport(client))
        assert done == 'pod "web-0" force deleted; the kubelet was not waited for: it may still run there'
        after = cluster.store.view(PODS, "default", "web-0")
        assert after is None or after["metadata"]["uid"] != uid  # gone at once, not terminating
