"""Live mode end to end against a real Kubernetes control plane (realk8s, or $STSVIZ_E2E_KUBECONFIG).

kubectl changes the cluster while stsviz's live source watches; after each step
the source's state is compared with what `kubectl get -o json` shows, polling
until they agree (bounded). Faults are real: a 410 from the apiserver's watch
cache after a restart, and the apiserver killed and started again under a
running screen.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from stsviz.model import build_frame
from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.timing import Timing
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.live import LiveFrameSource
from tests.realk8s import Kubectl, differences, state_records
from tests.running import Running
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

# Quick to recover in tests; the contract is the same as the defaults'.
FAST = dict(backoff_initial=0.3, backoff_cap=2.0)


def statefulset(replicas: int, image: str = "nginx:1.25", name: str = "web") -> str:
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {{clusterIP: None, selector: {{app: {name}}}, ports: [{{port: 80}}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}, labels: {{app: {name}}}}}
spec:
  serviceName: {name}
  replicas: {replicas}
  podManagementPolicy: Parallel
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{{name: app, image: "{image}"}}]
  volumeClaimTemplates:
  - metadata: {{name: www}}
    spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""


async def converge(kubectl: Kubectl, state, stores, namespace: str, timeout: float = 30.0, step: str = "") -> None:
    """Poll until stsviz holds exactly what kubectl lists in the namespace."""

    async def same_as_kubectl() -> bool:
        truth = await asyncio.to_thread(kubectl.records)
        problems = differences(state_records(state, stores(), namespace), truth)
        assert not problems, "\n" + "\n".join(problems[:20])
        return True

    await eventually(
        same_as_kubectl, timeout=timeout, interval=0.2, message=f"{step}: stsviz to hold what kubectl lists"
    )


async def rollout_status(kubectl: Kubectl, name: str = "web") -> None:
    await asyncio.to_thread(kubectl, "rollout", "status", f"statefulset/{name}", "--timeout=90s", timeout=100)


def start(kubeconfig: Path, namespace: str, **timing) -> Running:
    source = LiveSource(resolve_target(str(kubeconfig)), Scope(namespace), timing=Timing(**{**FAST, **timing}))
    return Running(source)


async def test_follows_create_roll_scale_and_pod_delete(realk8s_kubeconfig, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    run = start(realk8s_kubeconfig, namespace)
    try:
        await eventually(lambda: run.source.status().current, timeout=15, message="every kind watching")

        async def same(step: str) -> None:
            await converge(k, run.state, run.stores, namespace, step=step)

        await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(3))
        await same("created")
        await rollout_status(k)
        await same("ready")
        [row] = build_frame(run.state).rows
        assert [cell.state for cell in row.cells] == ["ready"] * 3 and row.verdict.done
        first_revision = row.set.update_revision

        await asyncio.to_thread(k, "set", "image", "statefulset/web", "app=nginx:1.26")
        await same("rolling")
        await rollout_status(k)
        await same("rolled")
        [row] = build_frame(run.state).rows
        assert row.set.update_revision != first_revision
        assert [cell.revision for cell in row.cells] == ["updated"] * 3

        await asyncio.to_thread(k, "scale", "statefulset/web", "--replicas=5")
        await same("scaling up")
        await rollout_status(k)
        await same("scaled up")
        assert len(build_frame(run.state).rows[0].cells) == 5

        await asyncio.to_thread(k, "scale", "statefulset/web", "--replicas=2")
        await same("scaling down")

        uid = run.state.pods[(namespace, "web-0")].uid
        await asyncio.to_thread(k, "delete", "pod", "web-0", "--wait=false")
        await same("pod deleted")
        await eventually(
            lambda: (
                run.state.pods.get((namespace, "web-0")) is not None and run.state.pods[(namespace, "web-0")].uid != uid
            ),
            timeout=30,
            message="web-0 recreated",
        )
        await rollout_status(k)
        await same("pod recreated")
        [row] = build_frame(run.state).rows
        assert [cell.pod.name for cell in row.cells if cell.pod] == ["web-0", "web-1"]
        assert all(kind.current for kind in run.source.status().kinds)
    finally:
        await run.stop()


async def test_one_shot_json_and_plain_agree_with_kubectl(realk8s_kubeconfig, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(2))
    await rollout_status(k)

    def stsviz(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "stsviz", "--kubeconfig", str(realk8s_kubeconfig), "-n", namespace, *args],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    result = await asyncio.to_thread(stsviz, "--json")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    frame = json.loads(result.stdout)
    sts = json.loads(k("get", "statefulset", "web", "-o", "json"))
    pods = {p["metadata"]["name"]: p for p in json.loads(k("get", "pods", "-o", "json"))["items"]}
    claims = {c["metadata"]["name"]: c for c in json.loads(k("get", "pvc", "-o", "json"))["items"]}
    [row] = frame["sets"]
    assert (row["namespace"], row["name"], row["replicas"]) == (namespace, "web", sts["spec"]["replicas"])
    assert row["ready"] == sts["status"]["readyReplicas"]
    assert row["update_revision"] == sts["status"]["updateRevision"]
    assert row["current_revision"] == sts["status"]["currentRevision"]
    assert row["verdict"]["done"] is True
    assert [cell["pod"] for cell in row["cells"]] == sorted(pods)
    for cell in row["cells"]:
        pod = pods[cell["pod"]]
        assert cell["uid"] == pod["metadata"]["uid"]
        assert cell["state"] == "ready"
        revision = pod["metadata"]["labels"]["controller-revision-hash"]
        assert cell["revision"] == ("updated" if revision == sts["status"]["updateRevision"] else "old")
        [claim] = cell["claims"]
        truth = claims[claim["name"]]
        assert (claim["phase"], claim["volume"]) == (truth["status"]["phase"], truth["spec"]["volumeName"])

    plain = await asyncio.to_thread(stsviz, "--plain")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0].startswith("time ") and lines[1].startswith("STATEFULSET")
    name, *columns = lines[2].split()
    assert f"{namespace}/web".startswith(name.rstrip("…")) and columns[:3] == ["2/2", "2/2", "done"]

    selected = await asyncio.to_thread(stsviz, "-l", "app=nothing", "--json")
    assert json.loads(selected.stdout)["sets"] == []


async def test_a_stale_resource_version_gets_410_and_the_relist_replaces(
    realk8s_kubeconfig, apiserver, kubectl, namespace
):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(3))
    run = start(realk8s_kubeconfig, namespace)
    try:
        await rollout_status(k)
        await converge(k, run.state, run.stores, namespace, step="before")
        await run.stop()  # stsviz is away (a suspended laptop) while things change ...
        await asyncio.to_thread(k, "scale", "statefulset/web", "--replicas=1")
        await rollout_status(k)
        # ... and the apiserver restarts: its watch cache begins after every version stsviz knows.
        apiserver.stop()
        apiserver.start()
        await asyncio.to_thread(apiserver.wait_ready, realk8s_kubeconfig)
        pods = run.source.informer("pods")
        known = pods.resource_version
        run.resume()
        await eventually(lambda: pods.relists >= 1, timeout=30, message="pods relisted")
        assert pods.relist_reason.startswith(f"too old resource version: {known} (")
        await converge(k, run.state, run.stores, namespace, step="after the relist")
        assert sorted(name for ns, name in run.state.pods) == ["web-0"]  # web-1 and web-2 vanished while away
    finally:
        await run.stop()


async def test_the_apiserver_killed_and_restarted_under_the_live_screen(
    realk8s_kubeconfig, apiserver, kubectl, namespace
):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    source = LiveSource(resolve_target(str(realk8s_kubeconfig)), Scope(namespace), timing=Timing(**FAST))
    live = LiveFrameSource(source)
    app = StsvizApp(live_setup(live, description=f"realk8s {namespace}"))

    def stores() -> dict:
        return {informer.kind.resource: informer.store for informer in source.informers}

    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        await eventually(lambda: screen.sub_title.startswith("watching"), timeout=15)
        await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(2))
        await rollout_status(k)
        await converge(k, live.state, stores, namespace, step="before")

        apiserver.stop()  # SIGKILL: every watch breaks at once
        await eventually(
            lambda: "⟳" in screen.freshness.text and screen.sub_title.startswith("stale since"),
            timeout=10,
            message="the freshness line says reconnecting and the header stale since",
        )
        assert not live.status.current
        await pilot.pause(1.0)
        assert "⟳" in screen.freshness.text  # nothing is called current while the server is away
        assert "cannot reach https://127.0.0.1:" in screen.freshness.text  # and why, as --plain says it

        apiserver.start()
        await asyncio.to_thread(apiserver.wait_ready, realk8s_kubeconfig)
        await asyncio.to_thread(k, "scale", "statefulset/web", "--replicas=3")
        await asyncio.to_thread(k, "delete", "pod", "web-0", "--wait=false")
        await eventually(
            lambda: screen.sub_title.startswith("watching"),
            timeout=20,
            message=f"header says watching again (it says {screen.sub_title!r})",
        )
        await rollout_status(k)
        await converge(k, live.state, stores, namespace, step="after the restart")
        # The restart emptied the watch cache: resuming got a real 410 and relisted.
        assert any(informer.relists for informer in source.informers)


def limited_kubeconfig(k: Kubectl, admin: Path, namespace: str, tmp_path: Path) -> Path:
    """A ServiceAccount that may read sets, pods and claims in the namespace, but not events."""
    k("create", "serviceaccount", "limited")
    k(
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: limited, namespace: {namespace}}}
rules:
- {{apiGroups: [apps], resources: [statefulsets, controllerrevisions], verbs: [get, list, watch]}}
- {{apiGroups: [""], resources: [pods, persistentvolumeclaims], verbs: [get, list, watch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: limited, namespace: {namespace}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: limited}}
subjects: [{{kind: ServiceAccount, name: limited, namespace: {namespace}}}]
""",
    )
    try:
        token = k("create", "token", "limited").strip()
    except AssertionError:  # no TokenRequest: the 1.20 way, the token controller's secret
        deadline = time.monotonic() + 30
        while not (secret := k("get", "serviceaccount", "limited", "-o", "jsonpath={.secrets[0].name}").strip()):
            assert time.monotonic() < deadline, "no token secret for the ServiceAccount"
            time.sleep(0.2)
        token = base64.b64decode(k("get", "secret", secret, "-o", "jsonpath={.data.token}")).decode()
    config = yaml.safe_load(admin.read_text())
    config["users"] = [{"name": "limited", "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "limited"
    path = tmp_path / "limited.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


async def test_forbidden_events_degrade_only_events(realk8s_kubeconfig, kubectl, namespace, tmp_path):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    limited = await asyncio.to_thread(limited_kubeconfig, k, realk8s_kubeconfig, namespace, tmp_path)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(1))
    run = start(limited, namespace, forbidden_retry=600.0)
    try:
        await eventually(
            lambda: (
                run.phase("events") == phases.FORBIDDEN
                and all(run.phase(r) == phases.WATCHING for r in ("statefulsets", "pods", "persistentvolumeclaims"))
            ),
            timeout=15,
        )
        status = run.source.status()
        assert "events forbidden" in status.describe() and "pods" not in status.describe()
        assert 'cannot list resource "events"' in status.kind("events").message
        await eventually(lambda: (namespace, "web") in run.state.sets, timeout=10)
    finally:
        await run.stop()
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "stsviz", "--kubeconfig", str(limited), "-n", namespace, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert [row["name"] for row in json.loads(result.stdout)["sets"]] == ["web"]
    # A namespaced Role cannot grant the cluster-scoped PersistentVolumes: those are left out too, and said.
    warnings = sorted(result.stderr.splitlines())
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("stsviz: warning: events left out: events is forbidden")
    assert warnings[1].startswith("stsviz: warning: persistentvolumes left out: persistentvolumes is forbidden")


async def test_a_refused_exec_credential_is_refreshed_once(realk8s_kubeconfig, namespace, tmp_path):
    """A real 401 from the apiserver, then the exec plugin's next token works."""
    config = yaml.safe_load(realk8s_kubeconfig.read_text())
    good = config["users"][0]["user"]["token"]
    count = tmp_path / "count"
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, pathlib, sys\n"
        f"count = pathlib.Path({str(count)!r})\n"
        "n = int(count.read_text()) if count.exists() else 0\n"
        "count.write_text(str(n + 1))\n"
        f"token = 'expired-token-0000' if n == 0 else {good!r}\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        " 'status': {'token': token}}))\n"
    )
    config["users"][0]["user"] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable, "args": [str(plugin)]}
    }
    path = tmp_path / "exec.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    run = start(path, namespace)
    try:
        await eventually(lambda: run.source.status().current, timeout=15)
        assert count.read_text() == "2"  # one refresh, shared by the four kinds
    finally:
        await run.stop()


async def test_a_frozen_apiserver_shows_stale_within_the_inactivity_timeout(
    realk8s_kubeconfig, apiserver, kubectl, namespace
):
    """SIGSTOP: connections stay open and silent. Only the inactivity timeout can tell; then the header must."""
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    inactivity = 3.0
    timing = Timing(**{**FAST, "inactivity_timeout": inactivity})
    source = LiveSource(resolve_target(str(realk8s_kubeconfig)), Scope(namespace), timing=timing)
    live = LiveFrameSource(source)
    app = StsvizApp(live_setup(live, description=f"realk8s {namespace}"))
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(1))
    async with app.run_test(size=(120, 30)):
        screen = app.screen
        await eventually(lambda: screen.sub_title.startswith("watching"), timeout=15)
        pid = apiserver.pid()
        os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        try:
            await eventually(
                lambda: screen.sub_title.startswith("stale since") and "stale since" in screen.freshness.text,
                timeout=inactivity + 5,
                message="header and freshness line say stale",
            )
            noticed = time.monotonic() - frozen_at
            assert not live.status.current
        finally:
            os.kill(pid, signal.SIGCONT)
        assert noticed <= inactivity + 5
        await eventually(
            lambda: screen.sub_title.startswith("watching"),
            timeout=30,
            message=f"header says watching again (it says {screen.sub_title!r})",
        )
