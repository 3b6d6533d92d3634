"""Where the scheduler places a pod with pod affinity, against 1.20's InterPodAffinity filter (the common
cases, beside the real scheduler, are in test_kubectl_twin)."""

from __future__ import annotations

import pytest
from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from stsviz.sim.resources import PODS
from tests.sim.simtools import web_manifest
from tests.waiting import eventually

HOSTNAME = "kubernetes.io/hostname"


def kept_with(selector: dict | None, topology: str = HOSTNAME) -> dict:
    term: dict = {"topologyKey": topology}
    if selector is not None:
        term["labelSelector"] = selector
    manifest = web_manifest(replicas=2, name="pack")
    del manifest["spec"]["volumeClaimTemplates"]
    del manifest["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]  # it mounted a claim's volume
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    manifest["spec"]["template"]["spec"]["affinity"] = affinity
    return manifest


def scheduled(cluster, name: str) -> tuple[str | None, str | None]:
    pod = cluster.store.view(PODS, "default", name) or {"spec": {}, "status": {}}
    waiting = [c.get("message") for c in pod["status"].get("conditions") or [] if c["type"] == "PodScheduled"]
    return pod["spec"].get("nodeName"), (waiting or [None])[0]


async def test_an_empty_selector_selects_every_pod_so_the_first_pod_is_let_through(cluster):
    """`labelSelector: {}` is Everything in 1.20: the set's first pod selects itself and is placed, the second
    joins it. The demo read `{}` as no selector: both stayed Pending forever."""
    cluster.apply(kept_with({}))
    await eventually(lambda: scheduled(cluster, "pack-0")[0] is not None, message="pack-0 placed")
    await eventually(lambda: scheduled(cluster, "pack-1")[0] is not None, timeout=20, message="pack-1 placed")
    assert scheduled(cluster, "pack-0")[0] == scheduled(cluster, "pack-1")[0]


async def test_a_finished_pod_is_no_one_to_keep_with(cluster):
    """The scheduler's cache holds no Succeeded or Failed pod: affinity to one is unmet, as in 1.20."""
    await cluster.kubelet.stop()  # the finished pod stays as written
    done = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "batch", "labels": {"app": "batch"}}}
    done["spec"] = {"nodeName": "sim-node-1", "restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
    (created,) = cluster.apply(done)
    cluster.registry.update_status(PODS, {"metadata": created["metadata"], "status": {"phase": "Succeeded"}})
    cluster.apply(kept_with({"matchLabels": {"app": "batch"}}))
    await eventually(lambda: scheduled(cluster, "pack-0")[1] is not None, message="pack-0 unschedulable")
    assert scheduled(cluster, "pack-0") == (
        None,
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules, "
        "2 node(s) didn't match pod affinity/anti-affinity.",
    )


@pytest.mark.parametrize(
    ("manifest", "said"),
    [
        (
            kept_with({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}),
            "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
            '.matchExpressions.matchExpressions[0].operator: Invalid value: "Bogus": not a valid selector operator',
        ),
        (
            kept_with({"matchLabels": {"app": "web"}}, topology=""),
            "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
            ".topologyKey: Required value: can not be empty",
        ),
    ],
)
async def test_an_affinity_term_a_real_server_refuses_fails_each_pod_create_of_its_set(api, manifest, said):
    """1.20 does not validate a set's pod spec: the set is created, and each of its pod creates fails, as a
    FailedCreate warning. The demo refused the set (and before that, its scheduler raised a KeyError on every
    attempt at such a pod); no pod exists, so the scheduler never sees one."""
    await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    events = CoreV1Api(api)

    async def failures() -> list[str]:
        listed = await events.list_namespaced_event("default", field_selector="reason=FailedCreate")
        return sorted({f"{e.type} {e.message}" for e in listed.items})

    await eventually(failures, message="no FailedCreate")
    (failure,) = await failures()
    assert failure.startswith('Warning create Pod pack-0 in StatefulSet pack failed error: Pod "pack-0" is invalid: ')
    assert said in failure
    assert (await CoreV1Api(api).list_namespaced_pod("default")).items == []
