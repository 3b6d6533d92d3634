"""Object lifecycles the control plane drives: propagation policies, adoption,
namespace deletion, claim protection and volume release, event aggregation."""

from __future__ import annotations

from kubernetes_asyncio.client import AppsV1Api, CoreV1Api, V1DeleteOptions

from tests.sim.simtools import rolled_out, web_manifest
from tests.waiting import eventually


async def started_web(api, cluster, replicas: int = 2, namespace: str = "default") -> None:
    await AppsV1Api(api).create_namespaced_stateful_set(namespace, web_manifest(replicas=replicas))
    await eventually(lambda: rolled_out(cluster, namespace=namespace))


async def pod_owners(api, namespace: str = "default") -> dict[str, list[str]]:
    pods = (await CoreV1Api(api).list_namespaced_pod(namespace)).items
    return {p.metadata.name: [o.name for o in p.metadata.owner_references or []] for p in pods}


async def test_orphan_propagation_keeps_the_pods_without_an_owner(api, cluster):
    await started_web(api, cluster)
    await AppsV1Api(api).delete_namespaced_stateful_set(
        "web", "default", body=V1DeleteOptions(propagation_policy="Orphan")
    )

    async def set_gone():
        return not (await AppsV1Api(api).list_namespaced_stateful_set("default")).items

    await eventually(set_gone)
    assert await pod_owners(api) == {"web-0": [], "web-1": []}


async def test_foreground_propagation_deletes_pods_before_the_set(api, cluster):
    await started_web(api, cluster)
    apps = AppsV1Api(api)
    await apps.delete_namespaced_stateful_set("web", "default", body=V1DeleteOptions(propagation_policy="Foreground"))
    sts = await apps.read_namespaced_stateful_set("web", "default")
    assert sts.metadata.deletion_timestamp and "foregroundDeletion" in sts.metadata.finalizers

    async def all_gone():
        return (
            not (await apps.list_namespaced_stateful_set("default")).items
            and not (await CoreV1Api(api).list_namespaced_pod("default")).items
        )

    await eventually(all_gone, message="pods, then the set, deleted")


async def test_a_matching_orphan_pod_is_adopted_by_the_set(api, cluster):
    core = CoreV1Api(api)
    await core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "web-0", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.19"}]},
        },
    )
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=1))

    async def adopted():
        return (await pod_owners(api)).get("web-0") == ["web"]

    await eventually(adopted)


async def test_delete_collection_by_label_deletes_only_the_selected(api, cluster):
    core = CoreV1Api(api)
    for name, tier in (("a", "db"), ("b", "db"), ("c", "web")):
        await core.create_namespaced_persistent_volume_claim(
            "default",
            {
                "metadata": {"name": name, "labels": {"tier": tier}},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard",
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            },
        )
    await core.delete_collection_namespaced_persistent_volume_claim("default", label_selector="tier=db")

    async def only_c_left():
        return [c.metadata.name for c in (await core.list_namespaced_persistent_volume_claim("default")).items] == ["c"]

    await eventually(only_c_left)


async def test_claim_in_use_waits_for_its_pod_then_releases_its_volume(api, cluster):
    await released_volume_of_web_0(api, cluster)


async def released_volume_of_web_0(api, cluster) -> None:
    """web with one replica, its claim deleted (held while the pod runs), then the set: the volume Released."""
    await started_web(api, cluster, replicas=1)
    core = CoreV1Api(api)
    volume = (await core.read_namespaced_persistent_volume_claim("www-web-0", "default")).spec.volume_name
    await core.delete_namespaced_persistent_volume_claim("www-web-0", "default")
    await cluster.settle(5)
    held = await core.read_namespaced_persistent_volume_claim("www-web-0", "default")
    assert held.metadata.deletion_timestamp and held.metadata.finalizers == ["kubernetes.io/pvc-protection"]
    await AppsV1Api(api).delete_namespaced_stateful_set("web", "default")

    async def released():
        claims = (await core.list_namespaced_persistent_volume_claim("default")).items
        return not claims and (await core.read_persistent_volume(volume)).status.phase == "Released"

    await eventually(released, message="claim gone and volume Released (Retain)")


async def test_a_released_volume_is_not_bound_to_a_new_claim_of_the_same_name(api, cluster):
    """Retain keeps the old claim's data on its volume; a new claim named alike gets another volume, as upstream's
    binder checks the claimRef's UID (the demo bound the Released volume again, bringing the old data back)."""
    await released_volume_of_web_0(api, cluster)
    core = CoreV1Api(api)
    old = (await core.list_persistent_volume()).items
    released = [pv.metadata.name for pv in old if pv.status.phase == "Released"]
    await started_web(api, cluster, replicas=1)  # www-web-0 again, a new claim with a new UID
    bound = (await core.read_namespaced_persistent_volume_claim("www-web-0", "default")).spec.volume_name
    assert bound and bound not in released
    for name in released:
        assert (await core.read_persistent_volume(name)).status.phase == "Released"


async def test_deleting_a_namespace_empties_it_then_removes_it(api, cluster):
    core = CoreV1Api(api)
    await core.create_namespace({"metadata": {"name": "team"}})
    await started_web(api, cluster, replicas=1, namespace="team")
    await core.delete_namespace("team")
    assert (await core.read_namespace("team")).status.phase == "Terminating"

    async def gone():
        return "team" not in [n.metadata.name for n in (await core.list_namespace()).items]

    await eventually(gone, message="namespace team removed")


async def test_repeated_identical_events_aggregate_into_a_count(api, cluster):
    await started_web(api, cluster, replicas=1)
    core = CoreV1Api(api)
    await core.delete_namespaced_pod("web-0", "default")

    async def recreated_twice():
        events = (
            await core.list_namespaced_event(
                "default", field_selector="involvedObject.kind=StatefulSet,reason=SuccessfulCreate"
            )
        ).items
        create = [e for e in events if e.message == "create Pod web-0 in StatefulSet web successful"]
        return len(create) == 1 and create[0].count == 2 and create[0]

    event = await eventually(recreated_twice)
    assert event.last_timestamp >= event.first_timestamp


async def test_events_expire_after_their_ttl_as_with_etcd_leases():
    from stsviz.sim import SimCluster
    from tests.sim.simtools import api_client

    async with SimCluster(speed=40, event_ttl=20) as cluster, api_client(cluster) as api:
        core = CoreV1Api(api)
        await core.create_namespaced_event(
            "default",
            {
                "metadata": {"name": "note.1"},
                "involvedObject": {"kind": "Pod", "name": "x", "namespace": "default"},
                "reason": "Testing",
                "message": "hello",
                "type": "Normal",
            },
        )
        assert [e.metadata.name for e in (await core.list_namespaced_event("default")).items] == ["note.1"]

        async def expired():
            return not (await core.list_namespaced_event("default")).items

        await eventually(expired, timeout=5, message="event deleted after 20 cluster seconds")
