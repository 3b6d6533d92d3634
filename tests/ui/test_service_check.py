"""The detail pane says whether the set's serviceName names a headless Service (live, on the demo cluster)."""

from __future__ import annotations

import pytest

from stsviz.sim import SimCluster
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.live import LiveFrameSource
from tests.sim.simtools import web_manifest
from tests.waiting import eventually

SIZE = (120, 30)


def service(cluster_ip: str | None) -> dict:
    spec: dict = {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


@pytest.mark.parametrize(
    ("services", "said"),
    [
        ([service("None")], "service   web (headless)"),
        ([service(None)], "service   web is not headless (clusterIP 10."),
        ([], "service   web: no such Service in default; the pods get no DNS names of their own"),
    ],
    ids=["headless", "cluster-ip", "missing"],
)
async def test_the_sets_service_is_checked(tmp_path, services, said):
    async with SimCluster(speed=40.0, seed=1) as cluster:
        cluster.apply(*services, web_manifest(replicas=1))
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        live = LiveFrameSource(LiveSource(resolve_target(str(kubeconfig)), Scope("default")), batch_interval=0.02)
        app = StsvizApp(live_setup(live, description="demo"))
        async with app.run_test(size=SIZE):
            screen = app.screen
            await eventually(lambda: said in screen.detail.text, message=said)


async def test_in_replay_nothing_is_claimed_about_the_service(replay_app, recordings):
    # A recording holds no Services: the line names the Service and says nothing it cannot know.
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        [line] = [line for line in app.screen.detail.text.splitlines() if line.startswith("service")]
        assert line.split() == ["service", "web"]
