"""Shared fixtures: where the real recordings are, and a real Kubernetes control plane for e2e tests."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.locations import KUBECTL, RECORDINGS, REPO
from tests.realk8s import ApiServer

# The scripted API server and running live sources, for every folder that tests live mode.
pytest_plugins = ["tests.live_fixtures"]


@pytest.fixture
def recordings() -> Path:
    """The real Kubernetes 1.20 recordings in tests/data/recordings."""
    return RECORDINGS


# -- a real Kubernetes control plane for e2e tests -------------------------------------------------

REALK8S = Path(os.environ.get("REALK8S_DIR", REPO.parent / "shared" / "realk8s"))
# Fast fake kubelet: pods go Pending -> Running -> Ready in half a second.
FAST_KUBELET = "--ready-delay 0.3 --running-delay 0.2 --delete-delay 0.2"


def _free_port_base() -> int:
    """A port base N with N+257, +259, +379, +380 and +443 free on 127.0.0.1.

    realk8s's own `REALK8S_PORT_BASE=auto` holds a lock file that the daemons of
    an already running instance inherit, so it waits for as long as any other
    realk8s cluster on the machine lives. Picking the ports here avoids that.
    """

    def free(port: int) -> bool:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    start = 20000 + 100 * (os.getpid() % 120)
    for offset in range(120):
        base = 20000 + (start - 20000 + 100 * offset) % 12000
        if all(free(base + port) for port in (257, 259, 379, 380, 443)):
            return base
    raise RuntimeError("no free port range for realk8s in 20000-31999")


@pytest.fixture(scope="session")
def kubectl() -> str:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH: e2e tests drive the cluster with it")
    return KUBECTL


@pytest.fixture(scope="session")
def realk8s_kubeconfig(tmp_path_factory, kubectl):
    """Admin kubeconfig of the e2e cluster: $STSVIZ_E2E_KUBECONFIG if set, else a fresh realk8s.

    With STSVIZ_E2E_KUBECONFIG (kind, minikube, anything) nothing is started or
    stopped; tests that need realk8s's processes (restarting the apiserver)
    skip, saying so.
    """
    given = os.environ.get("STSVIZ_E2E_KUBECONFIG")
    if given:
        if not Path(given).is_file():
            pytest.fail(f"STSVIZ_E2E_KUBECONFIG={given} is not a file", pytrace=False)
        yield Path(given)
        return
    if not (REALK8S / "up").is_file():
        pytest.skip(f"realk8s not available: {REALK8S} is missing")
    build = subprocess.run([REALK8S / "build"], capture_output=True, text=True)
    if build.returncode != 0:
        lines = (build.stderr + build.stdout).strip().splitlines()
        pytest.skip("realk8s build failed: " + (lines[-1] if lines else f"exit {build.returncode}"))
    run_dir = tmp_path_factory.mktemp("realk8s")
    env = {
        **os.environ,
        "REALK8S_RUN": str(run_dir),
        "REALK8S_PORT_BASE": str(_free_port_base()),
        "REALK8S_KUBELET_ARGS": os.environ.get("REALK8S_KUBELET_ARGS", FAST_KUBELET),
        "REALK8S_PVS": os.environ.get("REALK8S_PVS", "40"),
        "REALK8S_KUBECTL": kubectl,
    }
    up = subprocess.run([REALK8S / "up"], env=env, capture_output=True, text=True, timeout=300)
    if up.returncode != 0:
        pytest.fail(f"realk8s up failed:\n{up.stderr[-4000:]}", pytrace=False)
    try:
        yield Path(up.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([REALK8S / "down", run_dir], capture_output=True)


@pytest.fixture
def realk8s_run_dir(realk8s_kubeconfig) -> Path:
    """The realk8s run dir (pids, logs, PKI): only when the session started realk8s itself."""
    if os.environ.get("STSVIZ_E2E_KUBECONFIG"):
        pytest.skip("needs realk8s's processes; STSVIZ_E2E_KUBECONFIG points at another cluster")
    return realk8s_kubeconfig.parent


@pytest.fixture
def apiserver(realk8s_run_dir, realk8s_kubeconfig) -> Iterator[ApiServer]:
    """The realk8s kube-apiserver, for a test to stop and start: running again afterwards whatever happened,
    so one failed restart does not fail every test after it."""
    server = ApiServer(realk8s_run_dir)
    yield server
    server.ensure_running(realk8s_kubeconfig)


@pytest.fixture
def namespace(realk8s_kubeconfig, kubectl, request):
    """A namespace of its own for one test, deleted afterwards (without waiting)."""
    name = "t-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50].strip("-")
    command = [kubectl, "--kubeconfig", str(realk8s_kubeconfig)]
    subprocess.run(command + ["create", "namespace", name], check=True, capture_output=True)
    yield name
    subprocess.run(command + ["delete", "namespace", name, "--wait=false"], capture_output=True)
