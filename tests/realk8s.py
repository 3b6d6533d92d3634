"""Driving the e2e cluster: kubectl, the cluster's objects as slim records, and the apiserver process.

The apiserver is stopped and started again by the PID that realk8s recorded in
its run dir, only while that PID's command line still names the run dir (as
realk8s's own `down` does): never by process name.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from stsviz.model import ClusterState
from stsviz.model.records import Claim, Event, Pod, StatefulSet

TYPES = "statefulsets,pods,persistentvolumeclaims,events"
RECORDS: dict[str, Any] = {
    "StatefulSet": StatefulSet,
    "Pod": Pod,
    "PersistentVolumeClaim": Claim,
    "Event": Event,
}
ATTRIBUTES = {"StatefulSet": "sets", "Pod": "pods", "PersistentVolumeClaim": "claims"}


class Kubectl:
    def __init__(self, binary: str, kubeconfig: Path, namespace: str | None = None) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig
        self.namespace = namespace

    def __call__(self, *args: str, input: str | None = None, timeout: float = 60) -> str:
        command = [self.binary, "--kubeconfig", str(self.kubeconfig)]
        if self.namespace:
            command += ["-n", self.namespace]
        result = subprocess.run(command + list(args), input=input, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def records(self) -> dict[str, dict[tuple[str, str], Any]]:
        """What kubectl sees now, as the slim records stsviz keeps, by kind and (namespace, name)."""
        listed = json.loads(self("get", TYPES, "-o", "json"))
        result: dict[str, dict[tuple[str, str], Any]] = {kind: {} for kind in RECORDS}
        for item in listed["items"]:
            record = RECORDS[item["kind"]].from_dict(item)
            result[item["kind"]][record.key] = record
        return result


def state_records(
    state: ClusterState, stores: dict[str, dict] | None = None, namespace: str | None = None
) -> dict[str, dict[tuple[str, str], Any]]:
    """The same view of what stsviz holds: the fold's sets, pods and claims, the informers' events.

    (The fold keeps only each object's 20 most recent events; the informer's store keeps them all.)
    """

    def mine(mapping: dict) -> dict:
        return {key: value for key, value in mapping.items() if namespace is None or key[0] == namespace}

    result = {kind: mine(getattr(state, attribute)) for kind, attribute in ATTRIBUTES.items()}
    result["Event"] = mine(stores.get("events", {})) if stores is not None else {}
    return result


def differences(ours: dict, theirs: dict) -> list[str]:
    problems = []
    for kind in RECORDS:
        mine, truth = ours.get(kind, {}), theirs.get(kind, {})
        for key in sorted(set(mine) | set(truth)):
            if key not in mine:
                problems.append(f"{kind} {key[0]}/{key[1]} missing")
            elif key not in truth:
                problems.append(f"{kind} {key[0]}/{key[1]} should not be there")
            elif mine[key] != truth[key]:
                problems.append(f"{kind} {key[0]}/{key[1]} differs: {mine[key]} != {truth[key]}")
    return problems


class ApiServer:
    """The kube-apiserver process of one realk8s run dir."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir.resolve()
        self.pid_file = self.run_dir / "pids" / "kube-apiserver.pid"
        self.log = self.run_dir / "logs" / "kube-apiserver.log"
        self.argv: list[str] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def pid(self) -> int:
        pid = int(self.pid_file.read_text().strip())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if not any(f"{self.run_dir}/".encode() in part for part in argv):
            raise AssertionError(f"pid {pid} is not the kube-apiserver of {self.run_dir}")
        return pid

    def running(self) -> bool:
        try:
            return _alive(self.pid())
        except (OSError, ValueError, AssertionError):
            return False

    def stop(self, sig: int = signal.SIGKILL, timeout: float = 20) -> None:
        pid = self.pid()
        self.argv = [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() > deadline:
                raise AssertionError(f"kube-apiserver {pid} did not stop")
            time.sleep(0.05)

    def start(self, timeout: float = 20) -> None:
        assert self.argv, "stop() first: it remembers the command line"
        # A killed Go process can show as a zombie while its other threads still
        # hold its files, the listening socket among them: started then, the new
        # apiserver exits with "address already in use" (a CI run did).
        port = int(next(arg for arg in self.argv if arg.startswith("--secure-port=")).split("=", 1)[1])
        deadline = time.monotonic() + timeout
        while not _can_listen(port):
            if time.monotonic() > deadline:
                raise AssertionError(f"127.0.0.1:{port} still in use {timeout}s after the apiserver stopped")
            time.sleep(0.05)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        self.pid_file.write_text(f"{self.process.pid}\n")

    def wait_ready(self, kubeconfig: Path, timeout: float = 60) -> float:
        """Poll /readyz until the apiserver says ok; how long it took."""
        config = yaml.safe_load(kubeconfig.read_text())
        server = config["clusters"][0]["cluster"]["server"]
        token = config["users"][0]["user"]["token"]
        context = ssl.create_default_context(cafile=str(self.run_dir / "pki" / "ca.crt"))
        request = urllib.request.Request(f"{server}/readyz", headers={"Authorization": f"Bearer {token}"})
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), urllib.request.ProxyHandler({})
        )
        started = time.monotonic()
        while True:
            try:
                with opener.open(request, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"kube-apiserver exited ({self.process.returncode}): {self._last_line()}")
            if time.monotonic() - started > timeout:
                raise AssertionError(f"kube-apiserver not ready after {timeout}s; see {self.log}")
            time.sleep(0.1)

    def ensure_running(self, kubeconfig: Path) -> None:
        """Start the apiserver again if a test stopped it and did not get to start it."""
        if self.argv and not self.running():
            self.start()
            self.wait_ready(kubeconfig)

    def _last_line(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"nothing in {self.log}"


def _can_listen(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (as Go does, with SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False
