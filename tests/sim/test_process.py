"""DemoProcess: the demo cluster in a child process, gone whenever its parent is.

`stsviz demo` runs its cluster this way so the controllers never compete with
the screen for the interpreter; the user must never find it still running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from stsviz.sim.process import DemoProcess


def answers(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


def gone(pid: int, timeout: float = 10.0) -> bool:
    """The process ended (and is not a zombie left unreaped) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_the_child_serves_the_scenario_in_cluster_time_and_stop_ends_it(tmp_path):
    ticks = iter([100.0, 103.0])  # our monotonic at the handshake, then 3 s later
    demo = DemoProcess("rolling-update", speed=10, monotonic=lambda: next(ticks)).start()
    try:
        assert demo.pid != os.getpid()
        assert answers(demo.url)
        request = urllib.request.Request(
            f"{demo.url}/apis/apps/v1/namespaces/default/statefulsets",
            headers={"Authorization": f"Bearer {demo.tokens['admin']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["kind"] == "StatefulSetList"
        started = demo._anchor[0]  # type: ignore[index]
        assert demo.now() - started == timedelta(seconds=30)  # 3 s of ours at 10x
        assert json.loads(demo.write_kubeconfig(tmp_path / "k").read_text())["clusters"][0]["cluster"]["server"] == (
            demo.url
        )
    finally:
        began = time.monotonic()
        demo.stop()
    assert time.monotonic() - began < 1.0  # nothing to save: it exits at once
    assert gone(demo.pid)  # type: ignore[arg-type]
    assert not answers(demo.url)
    demo.stop()  # idempotent


def test_a_child_that_cannot_start_is_an_error_naming_why_and_leaves_nothing():
    demo = DemoProcess("no-such-scenario")
    with pytest.raises(RuntimeError, match=r"the demo cluster did not start: .*no-such-scenario"):
        demo.start()
    assert gone(demo.pid)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_child_goes_when_its_parent_dies_without_stopping_it(how):
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from stsviz.sim.process import DemoProcess; import time\n"
            "demo = DemoProcess('rolling-update').start()\n"
            "print(demo.pid, demo.url, flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid, url = parent.stdout.readline().split()  # type: ignore[union-attr]
        assert answers(url)
        parent.send_signal(how)  # no finally, no stop(): only the closed pipe tells the child
        parent.wait(10)
        assert gone(int(pid))
        assert not answers(url)
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()  # type: ignore[union-attr]
