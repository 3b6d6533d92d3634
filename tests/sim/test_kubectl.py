"""The machine's kubectl against the demo cluster through a generated kubeconfig."""

from __future__ import annotations

import asyncio
import json

import pytest

from stsviz.sim import SimCluster
from stsviz.sim.resources import STATEFULSETS
from tests.locations import KUBECTL, needs_kubectl
from tests.sim.simtools import rolled_out, sts_status, web_manifest
from tests.waiting import eventually

pytestmark = needs_kubectl


@pytest.fixture
def kubeconfig(cluster, tmp_path):
    return cluster.write_kubeconfig(tmp_path / "kubeconfig")


async def kubectl(kubeconfig, *args: str, timeout: float = 30) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        KUBECTL, "--kubeconfig", str(kubeconfig), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    communicate = asyncio.ensure_future(process.communicate())
    done, _ = await asyncio.wait({communicate}, timeout=timeout)
    if not done:
        process.kill()
        out, err = await communicate
        raise AssertionError(
            f"kubectl {' '.join(args)} still running after {timeout}s; "
            f"stdout: {out.decode()[-2000:]!r} stderr: {err.decode()[-2000:]!r}"
        )
    out, err = communicate.result()
    return process.returncode, out.decode(), err.decode()


async def test_kubectl_rollout_status_follows_a_rollout_to_completion(cluster, kubeconfig):
    cluster.apply(web_manifest(replicas=3))
    code, out, err = await kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=60s")
    assert code == 0, err
    assert "Waiting for 1 pods to be ready..." in out
    assert out.strip().endswith("statefulset rolling update complete 3 pods at revision web-847b5bcf4c...")


async def test_kubectl_get_prints_server_side_tables(cluster, kubeconfig):
    cluster.apply(web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    code, out, err = await kubectl(kubeconfig, "get", "sts,pods,pvc")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "AGE"]
    assert lines[1].split()[:2] == ["statefulset.apps/web", "2/2"]
    assert any(line.split()[:3] == ["pod/web-1", "1/1", "Running"] for line in lines)
    assert any(line.split()[:2] == ["persistentvolumeclaim/www-web-0", "Bound"] for line in lines)
    code, out, _ = await kubectl(kubeconfig, "get", "pod", "web-0", "-o", "json")
    assert json.loads(out)["metadata"]["labels"]["controller-revision-hash"] == "web-847b5bcf4c"


async def test_kubectl_scale_and_delete_pod(cluster, kubeconfig):
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster))
    code, out, err = await kubectl(kubeconfig, "scale", "sts/web", "--replicas=2")
    assert (code, out.strip()) == (0, "statefulset.apps/web scaled"), err
    await eventually(lambda: rolled_out(cluster) and sts_status(cluster).get("readyReplicas") == 2)
    # --wait=false, as the recorded steps: kubectl's wait lists by name after its first GET, and when the
    # controller has already recreated web-1 (25 ms at 40x) it waits for the new pod's deletion forever.
    code, out, err = await kubectl(kubeconfig, "delete", "pod", "web-1", "--wait=false")
    assert (code, out.strip()) == (0, 'pod "web-1" deleted'), err
    await eventually(lambda: sts_status(cluster).get("readyReplicas") == 2, message="web-1 recreated")


async def test_kubectl_scale_with_a_precondition_as_the_scale_dialog_shows_it(cluster, kubeconfig):
    """`--current-replicas` (the line stsviz's scale dialog gives to paste) PUTs the Scale with no Content-Type:
    read as JSON, as a real server reads it. The demo answered 415 Unsupported Media Type."""
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster))
    code, out, err = await kubectl(kubeconfig, "scale", "sts/web", "--current-replicas=3", "--replicas=2")
    assert (code, err.strip()) == (1, "error: Expected replicas to be 3, was 1"), out
    code, out, err = await kubectl(kubeconfig, "scale", "sts/web", "--current-replicas=1", "--replicas=2")
    assert (code, out.strip()) == (0, "statefulset.apps/web scaled"), err
    await eventually(lambda: cluster.store.view(STATEFULSETS, "default", "web")["spec"]["replicas"] == 2)


async def test_kubectl_sends_no_token_over_http_so_it_is_admin_unless_auth_is_strict(cluster, tmp_path):
    cluster.apply(web_manifest(replicas=1))
    viewer = cluster.write_kubeconfig(tmp_path / "viewer", user="viewer")
    # kubectl drops the bearer token on plain http: the demo cluster treats it as admin.
    code, out, err = await kubectl(viewer, "scale", "sts/web", "--replicas=0")
    assert (code, out.strip()) == (0, "statefulset.apps/web scaled"), err
    async with SimCluster(strict_auth=True) as strict:
        code, _, err = await kubectl(strict.write_kubeconfig(tmp_path / "strict"), "get", "sts")
        # As on a real server, anonymous may not even read discovery.
        assert code != 0 and "Error from server (Forbidden)" in err


async def test_kubectl_delete_statefulset_leaves_the_claims(cluster, kubeconfig):
    cluster.apply(web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    code, out, err = await kubectl(kubeconfig, "delete", "sts", "web")
    assert (code, out.strip()) == (0, 'statefulset.apps "web" deleted'), err

    async def pods_gone():
        _, out, _ = await kubectl(kubeconfig, "get", "pods", "-o", "name")
        return out.strip() == ""

    await eventually(pods_gone, timeout=15, interval=0.2)
    code, out, _ = await kubectl(kubeconfig, "get", "pvc", "-o", "name")
    assert out.split() == ["persistentvolumeclaim/www-web-0", "persistentvolumeclaim/www-web-1"]


async def test_kubectl_get_pods_shows_crash_loop_back_off_like_a_real_cluster(cluster, kubeconfig):
    cluster.apply(web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    cluster.registry.patch(
        cluster.resource_of({"kind": "StatefulSet"}),
        "default",
        "web",
        "application/strategic-merge-patch+json",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:bad-1.0"}]}}}},
    )

    async def status_column():
        _, out, _ = await kubectl(kubeconfig, "get", "pods", "--no-headers")
        return {line.split()[0]: line.split()[2] for line in out.splitlines() if line.strip()}

    async def web_1_crash_looping():
        statuses = await status_column()
        return statuses.get("web-1") == "CrashLoopBackOff" and statuses

    statuses = await eventually(web_1_crash_looping, timeout=15, interval=0.1)
    assert statuses["web-0"] == "Running"


async def test_kubectl_get_watch_prints_each_change_as_a_table_row(cluster, tmp_path, kubeconfig):
    output = tmp_path / "watch.txt"
    with output.open("w") as sink:
        process = await asyncio.create_subprocess_exec(
            KUBECTL, "--kubeconfig", str(kubeconfig), "get", "pods", "-w", stdout=sink, stderr=sink
        )
        try:
            # Wait until kubectl's watch is open: every change from then on is a watch event.
            await eventually(lambda: cluster.watches.open_count() == 1, timeout=10, interval=0.05)
            cluster.apply(web_manifest(replicas=1))
            await eventually(lambda: "1/1" in output.read_text(), timeout=10, interval=0.05)
        finally:
            process.terminate()
            await process.wait()
    rows = [line.split() for line in output.read_text().splitlines() if line.startswith("web-0")]
    statuses = [row[2] for row in rows]
    assert statuses[0] == "Pending" and "ContainerCreating" in statuses
    assert rows[-1][1:3] == ["1/1", "Running"]


async def test_kubectl_delete_dry_run_server_deletes_nothing(cluster, kubeconfig):
    """kubectl puts dryRun in the delete's body: the demo deleted the pod (and a set) for real."""
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster))
    code, out, _ = await kubectl(kubeconfig, "get", "pod", "web-0", "-o", "json")
    uid = json.loads(out)["metadata"]["uid"]
    for args in (("pod", "web-0"), ("sts", "web")):
        code, out, err = await kubectl(kubeconfig, "delete", *args, "--dry-run=server")
        assert code == 0 and out.strip().endswith("deleted (server dry run)"), err
    await asyncio.sleep(0.5)  # time for a controller to act on a deletion, had there been one
    code, out, err = await kubectl(kubeconfig, "get", "pod", "web-0", "-o", "json")
    assert code == 0 and json.loads(out)["metadata"]["uid"] == uid and "deletionTimestamp" not in out, err
    code, _out, err = await kubectl(kubeconfig, "get", "sts", "web")
    assert code == 0, err
    code, _out, err = await kubectl(kubeconfig, "delete", "pod", "nosuch", "--dry-run=server")
    assert code == 1 and 'pods "nosuch" not found' in err  # checked as a delete


async def test_a_set_without_an_update_strategy_gets_partition_0_as_upstream_defaults_it(cluster, kubeconfig):
    """So `kubectl rollout status` prints what it prints on a real cluster: a partitioned roll out."""
    manifest = web_manifest(replicas=2)
    del manifest["spec"]["updateStrategy"]
    cluster.apply(manifest)
    code, out, err = await kubectl(kubeconfig, "get", "sts", "web", "-o", "json")
    assert json.loads(out)["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    code, out, err = await kubectl(kubeconfig, "rollout", "status", "sts/web", "--timeout=60s")
    assert code == 0, err
    assert out.strip().endswith("partitioned roll out complete: 2 new pods have been updated...")


async def test_a_set_recreated_after_an_orphaning_delete_keeps_its_history(cluster, kubeconfig, tmp_path):
    """How claims are resized: delete the set with --cascade=orphan, apply it again. A real controller adopts the
    orphaned ControllerRevisions (history and undo go on); the demo left them ownerless and started at 1."""
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster))
    code, _out, err = await kubectl(kubeconfig, "set", "image", "sts/web", "nginx=nginx:1.20")
    assert code == 0, err
    await eventually(lambda: rolled_out(cluster) and sts_status(cluster).get("currentRevision") != "web-847b5bcf4c")
    code, _out, err = await kubectl(kubeconfig, "delete", "sts", "web", "--cascade=orphan")
    assert code == 0, err
    await eventually(lambda: not sts_status(cluster), message="web gone")
    manifest = tmp_path / "web.json"
    manifest.write_text(json.dumps(web_manifest(replicas=1, image="nginx:1.20")))
    code, _out, err = await kubectl(kubeconfig, "apply", "-f", str(manifest))
    assert code == 0, err
    await eventually(lambda: rolled_out(cluster))
    code, out, err = await kubectl(kubeconfig, "rollout", "history", "sts/web")
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[2:] if line.strip()] == ["1", "2"], out
    code, out, err = await kubectl(kubeconfig, "rollout", "undo", "sts/web")
    assert (code, out.strip()) == (0, "statefulset.apps/web rolled back"), err
