"""`v` on a live cluster: the bound PersistentVolume where volumes may be listed, and why not where they may not."""

from __future__ import annotations

from stsviz.sim import SimCluster
from stsviz.sim.resources import BY_KIND, PVCS
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.live import LiveFrameSource
from tests.fake_api import obj, pod, status
from tests.sim.simtools import rolled_out, web_manifest
from tests.waiting import eventually

SIZE = (120, 30)
SPEED = 40.0


def live_app(cluster: SimCluster, tmp_path, user: str) -> StsvizApp:
    kubeconfig = cluster.write_kubeconfig(tmp_path / f"{user}.kubeconfig", user=user)
    live = LiveFrameSource(LiveSource(resolve_target(str(kubeconfig)), Scope("default")), batch_interval=0.02)
    return StsvizApp(live_setup(live, description="demo"))


async def test_v_shows_the_bound_volume_as_the_cluster_has_it(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = live_app(cluster, tmp_path, "admin")
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda: rolled_out(cluster), timeout=20)
            screen = app.screen
            await eventually(lambda: screen.grid.selected_row is not None)
            await pilot.press("v")
            claim = cluster.store.view(PVCS, "default", "www-web-0")
            assert claim is not None and claim["spec"]["volumeName"]
            volume = cluster.store.view(BY_KIND["PersistentVolume"], "", claim["spec"]["volumeName"])
            assert volume is not None
            expected = (
                f"pv        {volume['status']['phase']}, reclaim {volume['spec']['persistentVolumeReclaimPolicy']}"
            )
            await eventually(lambda: expected in screen.detail.text, message=f"{expected!r} in the volumes panel")
            assert "PersistentVolumes:" not in screen.detail.text
            assert "pv ●" in screen.freshness.text


async def test_where_volumes_are_forbidden_the_panel_says_so_and_the_rows_stay_current(api, tmp_path, fake_time):
    # The built-in view role reads claims, not the cluster-scoped volumes (the demo cluster serves plain
    # http, where no token is sent: its viewer would be anonymous, so the refusal is scripted here).
    api.objects["statefulsets"] = [
        obj(
            "StatefulSet",
            "web",
            spec={"replicas": 1, "volumeClaimTemplates": [{"metadata": {"name": "www"}}]},
            status={"observedGeneration": 1, "replicas": 1, "updateRevision": "web-1"},
        )
    ]
    api.objects["pods"] = [pod("web-0")]
    api.objects["persistentvolumeclaims"] = [
        obj("PersistentVolumeClaim", "www-web-0", spec={"volumeName": "pv-3"}, status={"phase": "Bound"})
    ]
    forbidden = (
        'persistentvolumes is forbidden: User "viewer" cannot list resource "persistentvolumes" at the cluster scope'
    )
    api.script("persistentvolumes", "list", status(403, "Forbidden", forbidden))
    fake_time.hold = True  # the minute before a forbidden kind is asked again never ends
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing())
    app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="fake"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: screen.grid.selected_row is not None)
        await pilot.press("v")
        await eventually(lambda: "PersistentVolumes: pv forbidden" in screen.detail.text, message="said why")
        assert "volume    pv-3" in screen.detail.text
        assert "pv ✗ forbidden" in screen.freshness.text
        assert not screen.live.stale()  # a side kind the user may not read does not make the rows stale
    assert [seen.query.get("labelSelector") for seen in api.seen("persistentvolumes")] == [None]
