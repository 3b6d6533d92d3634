"""`stsviz demo` and `stsviz sim` from the outside: usage errors, the served
cluster seen by kubectl and by `stsviz --json`, a clean Ctrl+C, strict auth
(refusing kubectl and stsviz alike: neither sends a token over plain http);
and the live screen following the real demo cluster."""

from __future__ import annotations

import json
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stsviz.commands.demo import NO_TERMINAL
from stsviz.sim import SCENARIOS
from tests.locations import KUBECTL, needs_kubectl
from tests.waiting import eventually


def stsviz(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`stsviz ARGS` with no terminal: stdin from /dev/null, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "stsviz", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kubectl(kubeconfig: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def poll(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")
        time.sleep(interval)


# -- usage errors ---------------------------------------------------------------------------------


def test_demo_without_a_terminal_says_so_in_one_line_and_exits_2():
    result = stsviz("demo")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"stsviz: error: {NO_TERMINAL}"]
    assert "needs a terminal" in result.stderr


@pytest.mark.parametrize("command", ["demo", "sim"])
def test_an_unknown_scenario_exits_2_listing_every_scenario(command):
    result = stsviz(command, "--scenario", "rolling-updte")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("stsviz: error: no scenario named 'rolling-updte'; choose one of: ")
    listed = line.split("choose one of: ", 1)[1].split(", ")
    assert listed == list(SCENARIOS)


@pytest.mark.parametrize("speed", ["0", "nan", "-1", "inf", "101"])
@pytest.mark.parametrize("command", ["demo", "sim"])
def test_a_speed_outside_0_to_100_exits_2(command, speed):
    result = stsviz(command, "--speed", speed)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    shown = f"{float(speed):g}"
    assert line == f"stsviz: error: --speed must be above 0 and at most 100, not {shown}"


# -- stsviz sim as a subprocess ---------------------------------------------------------------------


@contextmanager
def sim(*args: str) -> Iterator[tuple[subprocess.Popen, str, str]]:
    """`stsviz sim ARGS` running; yields the process, its URL and its "serving" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stsviz", "sim", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_line(process, timeout=20)
        assert line.startswith("stsviz sim: serving http://127.0.0.1:"), (
            line,
            process.stderr.read() if process.poll() is not None else "",
        )
        assert line.endswith("; Ctrl+C stops\n")
        url = line.split()[3].rstrip(",;")
        yield process, url, line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def read_line(process: subprocess.Popen, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"no line on stdout within {timeout}s")
    return process.stdout.readline()


def stop_with_ctrl_c(process: subprocess.Popen) -> str:
    """SIGINT, as Ctrl+C sends; the process's stderr once it has exited."""
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=15)
    stderr = process.stderr.read()
    assert code == 0, stderr
    return stderr


def port_closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) != 0


def frame(kubeconfig: Path) -> dict:
    result = stsviz("--kubeconfig", str(kubeconfig), "-n", "default", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_kubectl
def test_sim_serves_a_scenario_to_kubectl_and_stsviz_and_stops_cleanly_on_ctrl_c(tmp_path):
    kubeconfig = tmp_path / "sim.kubeconfig"
    with sim("--port", "0", "--kubeconfig-out", str(kubeconfig), "--scenario", "rolling-update", "--speed", "10") as (
        process,
        url,
        line,
    ):
        assert f", kubeconfig in {kubeconfig};" in line
        document = json.loads(kubeconfig.read_text())
        assert document["clusters"][0]["cluster"]["server"] == url

        def web_seen_by_kubectl():
            result = kubectl(kubeconfig, tmp_path / "cache", "get", "sts", "-o", "name")
            assert result.returncode == 0, result.stderr
            return result.stdout.split() == ["statefulset.apps/web"]

        poll(web_seen_by_kubectl, what="kubectl sees statefulset web")

        def all_cells_have_pods():
            sets = frame(kubeconfig)["sets"]
            return sets and all(cell["pod"] for cell in sets[0]["cells"]) and sets

        [web] = poll(all_cells_have_pods, what="web's three pods in `stsviz --json`")
        assert (web["namespace"], web["name"], web["replicas"]) == ("default", "web", 3)
        assert [(c["ordinal"], c["pod"]) for c in web["cells"]] == [(0, "web-0"), (1, "web-1"), (2, "web-2")]
        assert all(c["claims"] and c["claims"][0]["name"] == f"data-web-{c['ordinal']}" for c in web["cells"])
        assert set(web["verdict"]) == {"done", "stalled", "message"}

        stderr = stop_with_ctrl_c(process)
    assert "Traceback" not in stderr, stderr
    assert stderr.strip() == ""
    assert port_closed(url)


def test_sim_prints_where_it_serves_and_where_the_kubeconfig_is(tmp_path):
    kubeconfig = tmp_path / "k"
    with sim("--kubeconfig-out", str(kubeconfig)) as (process, url, line):
        assert line == (
            f"stsviz sim: serving {url}, kubeconfig in {kubeconfig}; the cluster is empty: kubectl apply -f your "
            "manifests, or restart with --scenario NAME (stsviz sim --help lists them); Ctrl+C stops\n"
        )
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        assert json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        assert stop_with_ctrl_c(process) == ""
    assert port_closed(url)


def http_get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@needs_kubectl
def test_strict_auth_refuses_anonymous_kubectl_while_the_kubeconfigs_token_works(tmp_path):
    kubeconfig = tmp_path / "strict.kubeconfig"
    with sim("--kubeconfig-out", str(kubeconfig), "--auth", "strict") as (process, url, _):
        # What write_kubeconfig writes: the current context's user carries a bearer token.
        document = json.loads(kubeconfig.read_text())
        [context] = [c["context"] for c in document["contexts"] if c["name"] == document["current-context"]]
        [user] = [u["user"] for u in document["users"] if u["name"] == context["user"]]
        token = user["token"]
        assert token

        # kubectl sends no bearer token over plain http: anonymous, refused like a real RBAC server refuses it.
        refused = kubectl(kubeconfig, tmp_path / "cache", "get", "sts")
        assert refused.returncode != 0
        assert "Error from server (Forbidden)" in refused.stderr

        # Over HTTP, anonymous gets a Status 403; the kubeconfig's token gets the list.
        code, body = http_get(f"{url}/apis/apps/v1/namespaces/default/statefulsets")
        assert code == 403
        assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
        assert 'User "system:anonymous" cannot list resource "statefulsets"' in body["message"]
        anonymous = body["message"]
        code, body = http_get(f"{url}/apis/apps/v1/namespaces/default/statefulsets", token)
        assert (code, body["kind"], body["items"]) == (200, "StatefulSetList", [])
        code, body = http_get(f"{url}/apis/apps/v1/namespaces/default/statefulsets", "not-a-token")
        assert (code, body["reason"]) == (401, "Unauthorized")

        # stsviz, as kubectl, sends no token over plain http: refused the same way, and it says why in one line.
        result = stsviz("--kubeconfig", str(kubeconfig), "-n", "default", "--json")
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.strip() == (
            f"stsviz: error: {url}: 403 Forbidden: {anonymous}"
            " (credentials are not sent over plain http; kubectl does not send them either)"
        )
        assert token not in result.stderr

        assert "Traceback" not in stop_with_ctrl_c(process)


# -- the live screen on the real demo cluster ----------------------------------------------------------


def moved_to_done(labels: list[str]) -> bool:
    """At least two labels that are not done, then done."""
    if "done" not in labels[1:]:
        return False
    before = labels[: len(labels) - 1 - labels[::-1].index("done")]
    return len({label for label in before if label != "done"}) >= 2


async def test_live_screen_follows_a_rollout_on_the_demo_cluster(tmp_path):
    import asyncio

    from stsviz.sim import DemoProcess
    from stsviz.sources.live.config import resolve_target
    from stsviz.sources.live.kinds import Scope
    from stsviz.sources.live.source import LiveSource
    from stsviz.sources.live.timing import Timing
    from stsviz.ui.app import StsvizApp, live_setup
    from stsviz.ui.grid import StatefulSetGrid
    from stsviz.ui.live import LiveFrameSource
    from tests.ui.helpers import screen_lines

    # As `stsviz demo` wires it: its own process, a kubeconfig, the live source in cluster time.
    demo = await asyncio.to_thread(lambda: DemoProcess("rolling-update", speed=10).start())
    try:
        target = resolve_target(str(demo.write_kubeconfig(tmp_path / "kubeconfig")))
        source = LiveSource(target, Scope(None, None), timing=Timing(wall=demo.now))
        app = StsvizApp(
            live_setup(LiveFrameSource(source), description=f"demo rolling-update ({demo.url})", stall_seconds=60)
        )
        async with app.run_test(size=(120, 24)) as pilot:
            grid = app.query_one(StatefulSetGrid)
            labels: list[str] = []  # the web row's verdict label, each change once

            def verdict_moved_to_done() -> bool:
                row = grid.selected_row
                on_web = row is not None and row.key == ("default", "web")
                if on_web and (not labels or labels[-1] != row.verdict.label):
                    labels.append(row.verdict.label)
                assert moved_to_done(labels), f"labels so far: {labels}"
                return True

            # The verdict moves (pods come up, or are replaced, one by one) and reaches done.
            await eventually(verdict_moved_to_done, timeout=20, interval=0.05, message="web's verdict to move to done")
            await pilot.pause()
            assert grid.visible_keys == [("default", "web")]
            # What the screen draws: the row, with its verdict.
            [line] = [line for line in screen_lines(grid) if line.startswith("default/web ")]
            assert f" {grid.selected_row.verdict.label} " in line
            assert app.screen.sub_title.startswith("watching"), app.screen.sub_title
    finally:
        await asyncio.to_thread(demo.stop)


# -- stsviz demo on a terminal: the cluster's process never outlives the screen ----------------------


def demo_on_a_terminal(
    scenario: str = "rolling-update", tmpdir: Path | None = None, *, ignore_hangups: bool = False
) -> tuple[subprocess.Popen, int, int]:
    """`stsviz demo` on a pseudo-terminal; (process, pty master, the cluster's pid) once its cluster answers."""
    import fcntl
    import os
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "stsviz", "demo", "--scenario", scenario],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={k: v for k, v in os.environ.items() if k != "STSVIZ_LOG"}
        | {"TERM": "xterm-256color"}
        | ({"TMPDIR": str(tmpdir)} if tmpdir else {}),
        start_new_session=True,
        # As `nohup` starts it: SIGHUP ignored, which the child inherits.
        preexec_fn=(lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if ignore_hangups else None,
    )
    os.close(slave)

    def cluster_child() -> int | None:
        for task in Path(f"/proc/{process.pid}/task").glob("*/children"):
            for pid in task.read_text().split():
                if b"stsviz.sim" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return int(pid)
        return None

    return process, master, poll(cluster_child, timeout=30, what="the demo cluster's process")


def drain(master: int, until: Callable[[], bool], timeout: float = 15.0) -> None:
    """Read what the screen writes (so it never blocks on a full pty) until `until()`."""
    import os

    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(master, selectors.EVENT_READ)
        while not until() and time.monotonic() < deadline:
            if selector.select(0.05):
                try:
                    os.read(master, 1 << 16)
                except OSError:
                    time.sleep(0.05)


def process_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("key", [b"q", b"\x03"], ids=["q", "ctrl+c"])
def test_quitting_the_demo_ends_its_cluster_process_too(key):
    import os

    process, master, cluster = demo_on_a_terminal()
    try:
        drain(master, lambda: False, timeout=2)  # the screen is up and following the cluster
        os.write(master, key)
        drain(master, lambda: process.poll() is not None)
        assert process.wait(10) == 0
        assert process_gone(cluster), "the demo cluster's process outlived stsviz demo"
    finally:
        process.kill()
        process.wait()
        os.close(master)


def test_a_killed_demo_leaves_no_cluster_process_behind():
    import os

    process, master, cluster = demo_on_a_terminal()
    try:
        process.kill()  # as a crash that runs no cleanup at all
        process.wait(10)
        poll(lambda: process_gone(cluster), timeout=10, what="the orphaned cluster to exit")
    finally:
        os.close(master)


def test_a_hang_up_leaves_no_kubeconfig_behind_nor_a_cluster(tmp_path):
    """SIGHUP (the terminal closed, an ssh dropped): the demo's kubeconfig folder in TMPDIR is removed and its
    cluster stopped. The default action ended stsviz at once and left the folder, token and all."""
    import os
    import signal

    process, master, cluster = demo_on_a_terminal(tmpdir=tmp_path)
    try:
        drain(master, lambda: any(tmp_path.glob("stsviz-demo-*/kubeconfig")), timeout=15)
        assert any(tmp_path.glob("stsviz-demo-*/kubeconfig"))
        process.send_signal(signal.SIGHUP)
        assert process.wait(10) == 128 + signal.SIGHUP  # as a shell reports a hang-up
        assert not list(tmp_path.glob("stsviz-demo-*"))
        poll(lambda: process_gone(cluster), timeout=10, what="the demo cluster to exit")
    finally:
        process.kill()
        process.wait()
        os.close(master)


def test_under_nohup_a_hang_up_is_still_ignored(tmp_path):
    """The folder's clean-up must not take the place of an `ignore` the user asked for."""
    import os

    process, master, _cluster = demo_on_a_terminal(tmpdir=tmp_path, ignore_hangups=True)
    try:
        drain(master, lambda: any(tmp_path.glob("stsviz-demo-*/kubeconfig")), timeout=15)
        process.send_signal(signal.SIGHUP)
        drain(master, lambda: process.poll() is not None, timeout=2)
        assert process.poll() is None and any(tmp_path.glob("stsviz-demo-*/kubeconfig"))
    finally:
        process.kill()
        process.wait()
        os.close(master)


def test_sim_help_lists_every_scenario():
    from stsviz.cli import SCENARIO_NAMES
    from stsviz.sim.scenarios import SCENARIOS

    assert tuple(SCENARIOS) == SCENARIO_NAMES
    result = stsviz("sim", "--help")
    # argparse wraps the help, hyphenated names included ("scale-\nup-down"): compare without the spaces.
    assert all(name in "".join(result.stdout.split()) for name in SCENARIOS)


def test_sim_without_a_scenario_says_the_cluster_is_empty_on_its_first_line():
    with sim("--port", "0") as (_, _, line):
        assert "the cluster is empty: kubectl apply -f your manifests, or restart with --scenario NAME" in line


def test_the_demo_header_leaves_room_for_the_state_at_80_columns():
    from stsviz.commands.demo import demo_description

    title = f"live {demo_description('stuck-rollout', 2, 'http://127.0.0.1:45793')}"
    assert title == "live demo stuck-rollout 2x 127.0.0.1:45793"
    # The header shows "title — state" in ~60 columns at 80 (its icon and margins take the rest):
    # the state word, the one that says why the screen shows what it shows, must be whole.
    assert len(f"{title} — not connected") <= 60


def test_the_demos_help_names_the_kubeconfig_that_reaches_it():
    """The dialogs' kubectl lines name the demo kubeconfig's context: `?` says where that kubeconfig is."""
    import os
    import re

    process, master, _cluster = demo_on_a_terminal()
    written = bytearray()

    def read_for(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(master, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(0.05):
                    written.extend(os.read(master, 1 << 16))

    try:
        read_for(2)  # the screen is up
        os.write(master, b"?")
        read_for(1)
        os.write(master, b"\x1b[F")  # End: the notes are at the help's end
        read_for(1)
        found = re.search(rb"KUBECONFIG=(/\S+/kubeconfig)", bytes(written))
        assert found, "the help does not name the demo's kubeconfig"
        assert Path(found.group(1).decode()).is_file()  # there while the demo runs: kubectl can use it
        os.write(master, b"q")  # closes the help
        read_for(0.5)
        os.write(master, b"q")
        drain(master, lambda: process.poll() is not None)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.wait()
        os.close(master)
