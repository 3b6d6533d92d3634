"""Every fault of the demo cluster's list, injected under a running LiveSource.

Real HTTP on 127.0.0.1 through kubernetes_asyncio against stsviz.sim, no mock.
A StatefulSet runs; each test injects one fault, changes the cluster while the
fault lasts (deletes a pod of the set, which the controller recreates under a
new uid, scales the set, creates two bare pods, deletes another and a claim),
and after recovery requires the source to equal a fresh list of the server
(`assert_same_as_server`, the one comparison used everywhere). The bare pods
carry managedFields, one of them with a manager name that defeats the source's
cheap cut of managedFields, so both ways of parsing are compared too.

The cluster is changed in-process, beside the HTTP API: the faults are what
the source sees of the server, not what the controllers see. Timing is fast
(short backoff) and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from kubernetes_asyncio.client import ApiClient, AppsV1Api, Configuration, CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from stsviz.model import ClusterState
from stsviz.sim import SimCluster
from stsviz.sim.resources import PODS, PVCS, RESOURCES, STATEFULSETS
from stsviz.sim.scenarios import statefulset
from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import KINDS, Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.timing import Timing
from tests.realk8s import RECORDS, differences, state_records
from tests.running import Running
from tests.waiting import eventually

SPEED = 40.0  # cluster seconds per real second: a 10 s grace period takes 0.25 s
NAMESPACE = "default"
# The contract is the defaults'; only the waits are short.
FAST = dict(backoff_initial=0.05, backoff_cap=0.3, probe_interval=None)  # the probe's test asks for it
SIM_KINDS = {res.plural: res for res in RESOURCES}


# -- the one comparison -----------------------------------------------------------------------


class ListFailed(Exception):
    pass


async def server_records(api: ApiClient) -> dict[str, dict[tuple[str, str], Any]]:
    """A fresh list of the server over HTTP, every namespace, as the slim records stsviz keeps."""
    core, apps = CoreV1Api(api), AppsV1Api(api)
    lists = {
        "StatefulSet": apps.list_stateful_set_for_all_namespaces,
        "Pod": core.list_pod_for_all_namespaces,
        "PersistentVolumeClaim": core.list_persistent_volume_claim_for_all_namespaces,
        "Event": core.list_event_for_all_namespaces,
    }
    result: dict[str, dict[tuple[str, str], Any]] = {}
    for kind, call in lists.items():
        response = await call(_preload_content=False)
        try:
            if response.status != 200:
                raise ListFailed(f"{kind} list answered HTTP {response.status}")
            items = orjson.loads(await response.read())["items"]
        finally:
            response.release()
        records = (RECORDS[kind].from_dict(item) for item in items)
        result[kind] = {record.key: record for record in records}
    return result


def freshness_problems(run: Running, cluster: SimCluster) -> list[str]:
    """Every kind watching again, its resourceVersion at or past the server's newest change of that kind."""
    problems = []
    for informer in run.source.informers:
        resource = informer.kind.resource
        if informer.phase != phases.WATCHING:
            problems.append(f"{resource} is {informer.phase}: {informer.message}")
        newest = cluster.store.last_resource_version_of(SIM_KINDS[resource])
        if int(informer.resource_version or 0) < newest:
            problems.append(f"{resource} at resourceVersion {informer.resource_version}, the server at {newest}")
    return problems


async def assert_same_as_server(
    run: Running, cluster: SimCluster, api: ApiClient, step: str, timeout: float = 10.0
) -> None:
    """Poll (bounded) until the source holds exactly what a fresh list of the server holds.

    StatefulSets, pods and claims from the source's ClusterState and Events from
    its informer's store (the fold keeps only each object's recent ones), by
    namespace/name, each record equal field by field (uid, owner, phase,
    conditions, containers, revision, deletion, replicas and status counts,
    claim phase and volume: what the server's resourceVersion moves for and
    stsviz keeps). Nothing missing, nothing extra. A failed list (the fault may
    linger for our own client too) is retried like a difference.
    """

    async def same_as_server() -> bool:
        try:
            truth = await server_records(api)
        except (ListFailed, ApiException, aiohttp.ClientError, OSError) as error:
            problems = [f"listing the server failed: {error}"]
        else:
            ours = state_records(run.state, run.stores())
            problems = differences(ours, truth) + freshness_problems(run, cluster)
        assert not problems, "\n" + "\n".join(problems[:20])
        return True

    await eventually(
        same_as_server, timeout=timeout, interval=0.05, message=f"{step}: the source to hold what the server holds"
    )


# -- the cluster, the source, and what changes during a fault ---------------------------------------


class Sleeps:
    """The source's sleep: real, but every delay it asks for is kept (backoff, Retry-After)."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(seconds)


def bare_pod(name: str, manager: str = "kubectl-create") -> dict:
    """A pod of no set, with the managedFields a real server adds (the source cuts them out unparsed)."""
    fields = {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}, "f:name": {}}}},
    }
    managed = [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-11-25T10:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": fields,
        }
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bare"}, "managedFields": managed},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{"name": "main", "image": "nginx:1.25"}]},
    }


def bare_claim(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "manual",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }


class Changes:
    """What every test does to the cluster while its fault lasts, and what must show afterwards."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.web0_uid: str | None = None

    def make(self) -> None:
        """Synchronous (no await): nothing the source does can come in between."""
        registry, store = self.cluster.registry, self.cluster.store
        self.web0_uid = store.view(PODS, NAMESPACE, "web-0")["metadata"]["uid"]
        registry.delete(PODS, NAMESPACE, "web-0")  # graceful: terminating, gone, recreated under a new uid
        registry.update_scale(STATEFULSETS, NAMESPACE, "web", {"spec": {"replicas": 4}})
        registry.create(PODS, bare_pod("bare-new"), NAMESPACE)
        # A manager name that fools the cheap cut of managedFields: the source must parse this one whole.
        registry.create(PODS, bare_pod("bare-odd", manager='odd}],"x'), NAMESPACE)
        registry.delete(PODS, NAMESPACE, "bare-old", {"gracePeriodSeconds": 0})
        registry.delete(PVCS, NAMESPACE, "claim-old")
        assert store.view(PODS, NAMESPACE, "bare-old") is None  # gone on the server, at once

    def settled(self) -> bool:
        """The controllers have finished: four ready pods, web-0 back under a new uid."""
        store = self.cluster.store
        sts = store.view(STATEFULSETS, NAMESPACE, "web")
        web0 = store.view(PODS, NAMESPACE, "web-0")
        status = sts.get("status") or {}
        return (
            web0 is not None
            and web0["metadata"]["uid"] != self.web0_uid
            and not web0["metadata"].get("deletionTimestamp")
            and status.get("observedGeneration") == sts["metadata"]["generation"]
            and status.get("readyReplicas") == 4
            and status.get("replicas") == 4
            and store.view(PVCS, NAMESPACE, "claim-old") is None
        )

    def check(self, state: ClusterState) -> None:
        """The source shows every change (the comparison already holds; this says which changes it covered)."""
        pods = state.pods
        assert pods[(NAMESPACE, "web-0")].uid != self.web0_uid
        assert state.sets[(NAMESPACE, "web")].replicas == 4 and state.sets[(NAMESPACE, "web")].ready_replicas == 4
        assert sorted(state.pods_of(state.sets[(NAMESPACE, "web")])) == [0, 1, 2, 3]
        assert (NAMESPACE, "bare-new") in pods and (NAMESPACE, "bare-odd") in pods
        assert (NAMESPACE, "bare-old") not in pods
        assert (NAMESPACE, "data-web-3") in state.claims and (NAMESPACE, "claim-old") not in state.claims


class Harness:
    def __init__(self, cluster: SimCluster, api: ApiClient, run: Running, sleeps: Sleeps) -> None:
        self.cluster = cluster
        self.api = api
        self.run = run
        self.sleeps = sleeps
        self.changes = Changes(cluster)

    @property
    def faults(self):
        return self.cluster.faults

    def status(self):
        return self.run.source.status()

    async def same_as_server(self, step: str) -> None:
        await assert_same_as_server(self.run, self.cluster, self.api, step)

    async def recovered(self, step: str) -> None:
        """After the fault: the cluster settles, the source equals the server and shows every change."""
        await eventually(self.changes.settled, timeout=10, message="the controllers finishing the changes")
        await self.same_as_server(step)
        self.changes.check(self.run.state)


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(speed=SPEED, seed=5) as running:
        running.apply(
            statefulset("web", 3, "nginx:1.25", policy="Parallel"), bare_pod("bare-old"), bare_claim("claim-old")
        )
        yield running


@pytest.fixture
async def api(cluster: SimCluster) -> AsyncIterator[ApiClient]:
    """Our own client, for the fresh lists (kubernetes_asyncio, as the source)."""
    config = Configuration(host=cluster.url)
    config.api_key = {"BearerToken": cluster.tokens["admin"]}
    config.api_key_prefix = {"BearerToken": "Bearer"}
    async with ApiClient(config) as client:
        yield client


@pytest.fixture
async def follow(cluster: SimCluster, api: ApiClient, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """follow(**timing): a LiveSource on every namespace, once it equals the server with the set rolled out."""
    runs: list[Running] = []

    async def start(**timing: Any) -> Harness:
        sleeps = Sleeps()
        target = resolve_target(str(cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        source = LiveSource(target, Scope(None), timing=Timing(sleep=sleeps, **{**FAST, **timing}))
        run = Running(source)
        runs.append(run)
        harness = Harness(cluster, api, run, sleeps)
        store = cluster.store
        await eventually(
            lambda: (store.view(STATEFULSETS, NAMESPACE, "web").get("status") or {}).get("readyReplicas") == 3,
            timeout=10,
            message="web rolled out",
        )
        await harness.same_as_server("before the fault")
        return harness

    yield start
    for run in runs:
        await run.stop()


# -- the faults ---------------------------------------------------------------------------------


async def test_close_all_watches_resumes_without_a_relist(follow):
    h = await follow()
    assert h.faults.close_watches() == len(KINDS)
    h.changes.make()  # before any informer could reconnect
    await h.recovered("after close-watches")
    status = h.status()
    assert all(kind.reconnects >= 1 for kind in status.kinds)  # each kind opened a new watch
    assert all(kind.relists == 0 for kind in status.kinds)  # resumed from its resourceVersion: no relist


async def test_compacted_history_makes_the_resume_get_410_and_relist(follow):
    h = await follow()
    h.faults.close_watches()
    h.changes.make()
    h.faults.compact()  # every informer's resourceVersion is now older than the history kept
    await h.recovered("after compaction")
    for kind in h.status().kinds:
        assert kind.relists >= 1, kind
        assert "too old" in (h.run.source.informer(kind.resource).relist_reason or ""), kind


async def test_compaction_that_expires_open_watches_relists(follow):
    h = await follow()
    h.faults.compact(expire_open_watches=True)  # an ERROR event with a 410 Status on each open watch
    h.changes.make()
    await h.recovered("after compaction with expired watches")
    for kind in h.status().kinds:
        assert kind.relists >= 1, kind
        assert "too old" in (h.run.source.informer(kind.resource).relist_reason or ""), kind


async def test_refused_connections_for_a_while(follow):
    h = await follow()
    began = time.monotonic()
    h.faults.refuse_connections(1.5)
    await eventually(
        lambda: all(
            kind.phase == phases.RECONNECTING and "cannot connect" in (kind.message or "") for kind in h.status().kinds
        ),
        timeout=5,
        message="every kind reconnecting after a refused connection",
    )
    assert all(kind.stale_since is not None for kind in h.status().kinds)
    h.changes.make()
    await h.recovered("after refused connections")
    assert time.monotonic() - began >= 1.5  # nothing could have got through before the port listened again
    assert h.sleeps.asked and max(h.sleeps.asked) <= FAST["backoff_cap"]


async def test_unavailable_503_for_a_while(follow):
    h = await follow()
    began = time.monotonic()
    h.faults.unavailable(1.5)
    await eventually(
        lambda: all(kind.phase == phases.RECONNECTING and "503" in (kind.message or "") for kind in h.status().kinds),
        timeout=5,
        message="every kind reconnecting after a 503",
    )
    h.changes.make()
    await h.recovered("after 503s")
    assert time.monotonic() - began >= 1.5
    assert h.sleeps.asked and max(h.sleeps.asked) <= FAST["backoff_cap"]


async def test_a_stalled_watch_is_dropped_by_the_inactivity_timeout(follow, caplog):
    caplog.set_level(logging.INFO, logger="stsviz.live")
    h = await follow(inactivity_timeout=0.5)
    stall = 8.0
    began = time.monotonic()
    # Open watches go silent (no events, no bookmarks, no end) for far longer than the test waits;
    # new ones are not stalled, so only the client's inactivity timeout gets the source out.
    assert h.faults.stall_watches(stall, include_new=False) >= 4
    h.changes.make()
    await h.recovered("after a stalled watch")
    assert time.monotonic() - began < stall  # recovered while the stalled connections were still silent
    assert any("pods: no byte for 0.5s" in record.getMessage() for record in caplog.records)


async def test_watches_that_stay_silent_even_when_reopened(follow):
    h = await follow(inactivity_timeout=0.5)
    began = time.monotonic()
    h.faults.stall_watches(1.5, include_new=True)  # reconnecting does not help until the stall ends
    h.changes.make()
    await h.recovered("after stalled new watches")
    assert time.monotonic() - began >= 1.5


async def test_a_server_that_stops_answering_is_said_in_seconds_and_its_silent_watches_reopened(follow):
    """A stopped apiserver, or a network dropping packets: the watches look open and say nothing. The probe
    tells in under a second (not the 60 s inactivity timeout), and when the server answers again the
    watches that missed the outage are reopened from their resourceVersion, not trusted."""
    h = await follow(probe_interval=0.2, probe_timeout=0.3, inactivity_timeout=60.0)
    began, hung = time.monotonic(), datetime.now(UTC)
    assert h.faults.hang(2.0) >= len(KINDS)
    h.changes.make()  # while it hangs: the stalled watches drop what they would have sent
    await eventually(
        lambda: all(kind.phase == phases.UNANSWERED for kind in h.status().kinds), timeout=1.5, message="no answer"
    )
    status = h.status()
    since = status.stale_since()
    assert since is not None and hung - timedelta(seconds=1) <= since <= hung  # the last answer before it
    assert "no answer to a request in 0.3s" in (status.headline() or ""), status.headline()
    await h.recovered("after the server answered again")
    assert time.monotonic() - began < 15  # not the inactivity timeout's 60 s
    kinds = h.status().kinds
    assert all(kind.reconnects >= 1 and kind.relists == 0 for kind in kinds), kinds  # resumed, not relisted


async def test_429_waits_for_retry_after(follow):
    h = await follow()
    h.faults.throttle(requests=len(KINDS), retry_after=2)
    began = time.monotonic()
    h.faults.close_watches()  # each informer's next request is answered 429 with Retry-After: 2
    await eventually(
        lambda: all(
            kind.retry_at is not None and "Too many requests" in (kind.message or "") for kind in h.status().kinds
        ),
        timeout=5,
        message="every kind waiting for Retry-After",
    )
    status = h.status()
    for kind in status.kinds:
        assert kind.phase == phases.RECONNECTING, kind
        assert FAST["backoff_cap"] < kind.retry_at - status.now <= 2.0, kind  # the server's 2 s, not a backoff
        assert re.search(r"reconnecting in [12]s, stale since", kind.describe(status.now)), kind
    h.changes.make()
    await h.recovered("after 429s")
    assert time.monotonic() - began >= 2.0
    assert h.sleeps.asked.count(2.0) == len(KINDS)  # one Retry-After wait per kind, exactly what the server asked
    assert h.faults.describe()["throttleRequestsLeft"] == 0


async def test_500_on_the_next_requests(follow):
    h = await follow()
    h.faults.fail_requests(6)
    h.faults.close_watches()
    h.changes.make()
    await h.recovered("after 500s")
    assert h.faults.describe()["failRequestsLeft"] == 0  # all six went to the source, which backed off
    assert len(h.sleeps.asked) >= 6 and max(h.sleeps.asked) <= FAST["backoff_cap"]
