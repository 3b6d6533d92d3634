"""Each demo scenario shows what its name promises, seen through kubernetes_asyncio."""

from __future__ import annotations

from contextlib import asynccontextmanager

from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

from stsviz.sim import SCENARIOS, start_demo
from tests.sim.simtools import api_client
from tests.waiting import eventually

FAST = 40.0


@asynccontextmanager
async def demo(name: str, speed: float = FAST):
    async with start_demo(name, speed=speed) as running, api_client(running.cluster) as api:
        yield running, CoreV1Api(api), AppsV1Api(api)


def revision(pod) -> str:
    return pod.metadata.labels["controller-revision-hash"]


def waiting_reason(pod) -> str | None:
    statuses = pod.status.container_statuses or []
    return statuses[0].state.waiting.reason if statuses and statuses[0].state.waiting else None


async def test_every_scenario_is_named_and_described():
    assert set(SCENARIOS) == {
        "rolling-update",
        "stuck-rollout",
        "scale-up-down",
        "canary-partition",
        "parallel",
        "pvc-pending",
        "ondelete",
        "many",
    }
    assert all(s.description for s in SCENARIOS.values())


async def test_rolling_update_rolls_a_new_image_out(tmp_path):
    async with demo("rolling-update") as (_, _core, apps):

        async def rolled_to_1_20():
            sts = await apps.read_namespaced_stateful_set("web", "default")
            image = sts.spec.template.spec.containers[0].image
            return (
                image == "nginx:1.20"
                and sts.status.current_revision == sts.status.update_revision
                and sts.status.ready_replicas == 3
            )

        await eventually(rolled_to_1_20, timeout=15, message="web rolled out to nginx:1.20")


async def test_stuck_rollout_leaves_web_2_crash_looping_and_the_rest_old():
    async with demo("stuck-rollout") as (_, core, apps):

        async def stuck():
            pods = {p.metadata.name: p for p in (await core.list_namespaced_pod("default")).items}
            return "web-2" in pods and waiting_reason(pods["web-2"]) == "CrashLoopBackOff" and pods

        pods = await eventually(stuck, timeout=15)
        sts = await apps.read_namespaced_stateful_set("web", "default")
        assert revision(pods["web-2"]) == sts.status.update_revision
        assert revision(pods["web-1"]) == revision(pods["web-0"]) == sts.status.current_revision


async def test_scale_up_down_reaches_five_ready_replicas():
    async with demo("scale-up-down") as (_, _core, apps):

        async def five_ready():
            sts = await apps.read_namespaced_stateful_set("web", "default")
            return sts.spec.replicas == 5 and sts.status.ready_replicas == 5

        await eventually(five_ready, timeout=15)


async def test_canary_partition_updates_the_highest_ordinal_first():
    async with demo("canary-partition") as (_, core, apps):

        async def canary():
            sts = await apps.read_namespaced_stateful_set("web", "default")
            pods = (await core.list_namespaced_pod("default")).items
            on_update = sorted(p.metadata.name for p in pods if revision(p) == sts.status.update_revision)
            return (
                sts.spec.update_strategy.rolling_update.partition == 3
                and on_update == ["web-3"]
                and sts.status.current_revision != sts.status.update_revision
            )

        await eventually(canary, timeout=15, message="only web-3 on the new revision")


async def test_parallel_creates_all_pods_at_once():
    async with demo("parallel") as (_, core, _apps):

        async def five_pods():
            pods = (await core.list_namespaced_pod("default")).items
            return len(pods) == 5 and pods

        pods = await eventually(five_pods, timeout=5)
        # Created together: none was Ready when the fifth appeared.
        assert not any(c.type == "Ready" and c.status == "True" for p in pods for c in p.status.conditions or [])


async def test_pvc_pending_shows_failed_provisioning_and_a_late_bound_claim():
    async with demo("pvc-pending") as (_, core, apps):

        async def cache_ready():
            return (await apps.read_namespaced_stateful_set("cache", "default")).status.ready_replicas == 2

        await eventually(cache_ready, timeout=15)
        db_0 = await core.read_namespaced_pod("db-0", "default")
        assert {c.type: c.reason for c in db_0.status.conditions}["PodScheduled"] == "Unschedulable"
        assert (await core.read_namespaced_persistent_volume_claim("data-db-0", "default")).status.phase == "Pending"
        failed = (await core.list_namespaced_event("default", field_selector="reason=ProvisioningFailed")).items
        assert failed and failed[0].involved_object.name == "data-db-0"


async def test_ondelete_updates_pods_only_as_they_are_deleted():
    async with demo("ondelete") as (_, core, apps):

        async def web_2_updated_alone():
            sts = await apps.read_namespaced_stateful_set("web", "default")
            pods = {p.metadata.name: p for p in (await core.list_namespaced_pod("default")).items}
            return (
                sts.status.current_revision != sts.status.update_revision
                and "web-2" in pods
                and revision(pods["web-2"]) == sts.status.update_revision
                and revision(pods["web-0"]) == sts.status.current_revision
            )

        await eventually(web_2_updated_alone, timeout=20)


async def test_many_runs_hundreds_of_sets_and_thousands_of_pods():
    async with demo("many", speed=10) as (_running, core, apps):
        # 3000 pods, less those a rolling set is recreating at any moment.
        async def populated():
            page = await core.list_pod_for_all_namespaces(limit=500)
            return len(page.items) == 500 and page.metadata.remaining_item_count >= 2000

        await eventually(populated, timeout=60, interval=0.2)
        sets = await apps.list_stateful_set_for_all_namespaces()
        assert len(sets.items) == 300
        assert len({s.metadata.namespace for s in sets.items}) == 10


async def test_each_scenarios_set_has_the_headless_service_its_service_name_names():
    # As a user's manifest would: without it stsviz rightly says the pods get no DNS names.
    for name in ("rolling-update", "parallel", "pvc-pending"):
        async with demo(name) as (_, core, apps):
            await eventually(lambda: apps.list_stateful_set_for_all_namespaces(), message="sets")
            sets = (await apps.list_stateful_set_for_all_namespaces()).items
            assert sets, name
            for sts in sets:
                service = await core.read_namespaced_service(sts.spec.service_name, sts.metadata.namespace)
                assert service.spec.cluster_ip == "None", (name, sts.metadata.name)
