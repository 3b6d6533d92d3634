"""How other code starts the demo cluster: the kubeconfig it writes, the
`serve` loop behind `stsviz sim`, and a clean stop."""

from __future__ import annotations

import asyncio
import json

import pytest
from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient, AppsV1Api, Configuration, CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from stsviz.sim import SimCluster, serve
from tests.waiting import eventually


async def test_written_kubeconfig_loads_in_kubernetes_asyncio_with_the_users_token(cluster, tmp_path):
    path = cluster.write_kubeconfig(tmp_path / "kube" / "config", user="viewer")
    assert path.stat().st_mode & 0o777 == 0o600
    document = json.loads(path.read_text())
    assert document["current-context"] == "viewer@stsviz-sim"
    client_config = Configuration()
    await config.load_kube_config(config_file=str(path), client_configuration=client_config)
    async with ApiClient(client_config) as api:
        assert (await CoreV1Api(api).list_namespaced_pod("default")).items == []
        with pytest.raises(ApiException) as refused:
            await CoreV1Api(api).delete_namespaced_pod("x", "default")
        assert refused.value.status == 403  # the viewer's token was sent and honoured


async def test_serve_writes_a_kubeconfig_runs_a_scenario_and_stops_on_cancel(tmp_path):
    kubeconfig = tmp_path / "sim.kubeconfig"
    started: list[SimCluster] = []
    task = asyncio.get_running_loop().create_task(
        serve(port=0, kubeconfig_out=str(kubeconfig), scenario="rolling-update", speed=40, ready=started.append)
    )
    await eventually(lambda: started, message="cluster up")
    client_config = Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=client_config)
    async with ApiClient(client_config) as api:

        async def web_exists():
            return [s.metadata.name for s in (await AppsV1Api(api).list_namespaced_stateful_set("default")).items]

        assert await eventually(web_exists) == ["web"]
    url = started[0].url
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Stopped: the port no longer answers.
    reader_writer = asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
    with pytest.raises(OSError):
        await asyncio.wait_for(reader_writer, 2)


async def test_background_demo_serves_from_its_own_thread_while_this_loop_stays_free(tmp_path):
    from stsviz.sim import BackgroundDemo

    demo = await asyncio.to_thread(lambda: BackgroundDemo("parallel", speed=40).start())
    try:
        client_config = Configuration()
        await config.load_kube_config(
            config_file=str(demo.write_kubeconfig(tmp_path / "k")), client_configuration=client_config
        )
        async with ApiClient(client_config) as api:

            async def five_pods():
                return len((await CoreV1Api(api).list_namespaced_pod("default")).items) == 5

            await eventually(five_pods)
    finally:
        await asyncio.to_thread(demo.stop)
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", int(demo.url.rsplit(":", 1)[1])), 2)
