"""Screens as SVG snapshots: real recordings paused at moments that matter, and live screens on a held clock.

Each replay is seeked to a fixed event and paused, on a frozen clock, at an
explicit terminal size. `screenshots/` holds copies of these SVGs.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual.widgets import Input

from stsviz.actions.verbs import DeletePod, Target, Undo
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.replay.formats import RecordingLoad, load_recording
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, live_setup, replay_setup
from stsviz.ui.dialogs import ConfirmDialog, NumberDialog
from stsviz.ui.live import LiveFrameSource
from tests import k8s_objects
from tests.fake_api import FakeApiServer, event, items, obj, pod, status, stream
from tests.sources.replay.test_progress import write_recording
from tests.ui.helpers import event_index
from tests.waiting import eventually

SIZE = (120, 32)


def lines(recordings: Path, scenario: str) -> list[dict]:
    return [json.loads(line) for line in (recordings / scenario / "merged.jsonl").read_text().splitlines()]


def crash_loop_after_revert(recordings: Path) -> int:
    """web-lifecycle: the image was reverted, yet web-1 still crash-loops on nginx:bad-1.0 (kubernetes#67250).

    The moment just before `kubectl delete pod web-1` unsticks it.
    """
    for index, line in enumerate(lines(recordings, "web-lifecycle")):
        obj = line["object"]
        if (
            obj["kind"] == "Pod"
            and obj["metadata"]["name"] == "web-1"
            and obj["metadata"].get("deletionTimestamp")
            and obj["spec"]["containers"][0]["image"] == "nginx:bad-1.0"
        ):
            return index
    raise AssertionError("web-lifecycle has no deletion of the crash-looping web-1")


def canary_done(recordings: Path) -> int:
    """web-lifecycle: partition=1, web-1 updated to nginx:1.21 and Ready, web-0 left on the old revision."""
    for index, line in enumerate(lines(recordings, "web-lifecycle")):
        obj = line["object"]
        if obj["kind"] != "StatefulSet":
            continue
        spec, status = obj["spec"], obj["status"]
        if (
            (spec["updateStrategy"].get("rollingUpdate") or {}).get("partition") == 1
            and spec["template"]["spec"]["containers"][0]["image"] == "nginx:1.21"
            and status.get("readyReplicas") == 2
            and status.get("updatedReplicas") == 1
        ):
            return index + 1
    raise AssertionError("web-lifecycle never shows the finished canary")


def test_rolling_update_mid_way(snap_compare, replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    assert snap_compare(app, terminal_size=SIZE)


def test_stuck_rollout_crash_loop_survives_the_revert(snap_compare, replay_app, recordings):
    app = replay_app("web-lifecycle", crash_loop_after_revert(recordings))
    assert snap_compare(app, terminal_size=SIZE, press=["right"])  # select web-1


def test_scale_down_with_terminating_pods(snap_compare, replay_app, recordings):
    app = replay_app("scale", event_index(recordings, "scale", "scaling-down"))
    assert snap_compare(app, terminal_size=SIZE, press=["end"])  # select the condemned, terminating pod


def test_partitioned_canary(snap_compare, replay_app, recordings):
    app = replay_app("web-lifecycle", canary_done(recordings))
    assert snap_compare(app, terminal_size=SIZE, press=["right"])  # select the canary, web-1


def test_detail_of_a_recreated_pod_with_events(snap_compare, replay_app, recordings):
    app = replay_app("scale", event_index(recordings, "scale", "web-2-recreated"))
    assert snap_compare(app, terminal_size=SIZE, press=["right", "right"])  # select web-2


def test_narrow_terminal_stacks_the_detail_under_the_grid_while_filtering(snap_compare, replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    assert snap_compare(app, terminal_size=(80, 24), press=["slash", *"roll"])


def test_help_screen_at_80x24(snap_compare, replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


def test_unreachable_cluster_at_80x24(snap_compare, tmp_path, fake_time):
    # Port 9 (discard) has no listener here; the first retry never comes: time stands still.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: not-a-real-token-0123}}]\n"
        "contexts: [{name: prod, context: {cluster: c, user: u, namespace: shop}}]\n"
    )
    fake_time.hold = True
    source = LiveSource(resolve_target(str(kubeconfig)), Scope("shop"), timing=fake_time.timing())
    app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="prod namespace shop"))

    async def until_said(pilot) -> None:
        await eventually(lambda: "cannot reach" in app.screen.freshness.text)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=until_said)


def test_volumes_panel_follows_a_pending_claim(snap_compare, replay_app, recordings):
    # rolling: www-web-2 was created and waits for its volume (events 30-38); web-2 is selected.
    app = replay_app("rolling", 35)
    assert snap_compare(app, terminal_size=SIZE, press=["v", "right", "right"])


def test_volumes_panel_shows_the_claim_bound_with_its_timeline(snap_compare, replay_app, recordings):
    app = replay_app("rolling", 40)
    assert snap_compare(app, terminal_size=SIZE, press=["v", "right", "right"])


# A fixed port: the server's URL is on the screen. Below the ephemeral range and realk8s's 20000-31900.
STALE_PORT = 19443


@contextmanager
def served_from_a_thread(server: FakeApiServer, port: int) -> Iterator[FakeApiServer]:
    """Run the fake API server on its own loop, so a synchronous snapshot test can point the app at it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-api", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(port), loop).result(10)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def ready_pod(name: str) -> dict:
    body = pod(name, rv="10")
    body["metadata"]["labels"] = {"controller-revision-hash": "web-2"}
    body["metadata"]["creationTimestamp"] = "2026-11-25T13:57:00Z"
    body["spec"] = {"nodeName": "node-1", "containers": [{"name": "main", "image": "nginx:1.25"}]}
    body["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-25T13:58:00Z"}],
        "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "state": {"running": {}}}],
    }
    return body


def fake_web(api: FakeApiServer) -> None:
    """A rolled-out StatefulSet web with three ready pods, as the fake server lists them."""
    api.objects["statefulsets"] = [
        obj(
            "StatefulSet",
            "web",
            rv="5",
            spec={"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}},
            status={
                "observedGeneration": 1,
                "replicas": 3,
                "readyReplicas": 3,
                "updatedReplicas": 3,
                "currentReplicas": 3,
                "currentRevision": "web-2",
                "updateRevision": "web-2",
            },
        )
    ]
    api.script("pods", "list", items([ready_pod(f"web-{n}") for n in range(3)], rv="10"))


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test: the screen prints "stale since" in local time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_stale_screen_dims_the_rows_a_reconnecting_kind_feeds(snap_compare, tmp_path, fake_time, utc):
    # The pods watch closed and its re-watch failed: the backoff wait is held, so the screen stays stale.
    api = FakeApiServer()
    fake_web(api)
    api.script(
        "pods",
        "watch",
        stream(event("MODIFIED", ready_pod("web-2"))),
        status(500, "InternalError", "etcd leader changed"),
    )
    fake_time.hold = True
    with served_from_a_thread(api, STALE_PORT):
        source = LiveSource(
            resolve_target(str(api.kubeconfig(tmp_path, name="prod"))),
            Scope("ns"),
            timing=fake_time.timing(backoff_initial=4.0),
        )
        app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="prod namespace ns"))

        async def until_stale(pilot) -> None:
            await eventually(lambda: "stale since" in app.screen.freshness.text, message="pods stale")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 24), run_before=until_stale)


def test_a_forbidden_restart_says_so_in_kubectls_words(snap_compare, tmp_path, fake_time):
    api = FakeApiServer()
    fake_web(api)
    message = 'statefulsets.apps "web" is forbidden: User "viewer" cannot patch resource "statefulsets" in "ns"'
    api.write_answer = (403, "Forbidden", message)
    with served_from_a_thread(api, STALE_PORT + 1):
        source = LiveSource(
            resolve_target(str(api.kubeconfig(tmp_path, name="prod"))), Scope("ns"), timing=fake_time.timing()
        )
        app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="prod namespace ns"))

        async def restart_refused(pilot) -> None:
            await eventually(lambda: (app.screen.sub_title or "").startswith("watching"), message="watching")
            await pilot.press("r")
            await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="confirm dialog")
            await pilot.press("y")
            await eventually(lambda: any("Forbidden" in str(n.message) for n in app._notifications), message="403 said")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 24), run_before=restart_refused)


def test_a_viewer_sees_why_the_change_keys_are_dimmed_at_80x24(snap_compare, tmp_path, fake_time):
    """A user bound to `view`: the header ends in "(read-only: RBAC)", the change keys are dimmed, and `s`
    says which permission is missing."""
    api = FakeApiServer()
    fake_web(api)
    api.rules = [{"verbs": ["get", "list", "watch"], "apiGroups": ["*"], "resources": ["*"]}]
    with served_from_a_thread(api, STALE_PORT + 2):
        source = LiveSource(
            resolve_target(str(api.kubeconfig(tmp_path, name="prod"))), Scope("ns"), timing=fake_time.timing()
        )
        app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="prod namespace ns"))

        async def scale_refused(pilot) -> None:
            await eventually(lambda: app.title.endswith("(read-only: RBAC)"), message="the header says why")
            await pilot.press("s")
            await eventually(lambda: any("(RBAC)" in str(n.message) for n in app._notifications), message="said")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=scale_refused)


def test_confirm_dialog_names_the_object_and_the_kubectl_command(snap_compare, replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    action = DeletePod(Target("prod-eu", "rolling", "web-1"), uid="uid-1")

    async def ask(pilot) -> None:
        dialog = ConfirmDialog(
            action,
            context="prod-eu",
            where="namespace rolling   statefulset web   ordinal 1",
            choices=("Delete", "Delete now", "Force delete"),
            type_to_confirm="web",
        )
        app.push_screen(dialog)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ask)


def test_scale_dialog_is_prefilled_with_the_replicas(snap_compare, replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))

    async def ask(pilot) -> None:
        await app.push_screen(NumberDialog("Scale web to", 3))
        app.screen.query_one(Input).cursor_blink = False  # a blinking cursor made this snapshot flaky
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ask)


def stuck_with_revisions(path: Path) -> Path:
    """A stuck rollout with its ControllerRevisions (the shared recordings have none): web-2 crash-loops on
    revision 2's image while 0-1 run revision 1; revision 2 also changed an env variable."""
    old, bad = "web-6cf64d6497", "web-6dd5f77bd9"
    status = {"replicas": 3, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 1}
    objects = [
        k8s_objects.statefulset(rolling_update=True, status={**status, "currentRevision": old, "updateRevision": bad}),
        k8s_objects.controller_revision(old, number=1, env={"LEVEL": "info"}, created="2026-11-25T09:00:00Z"),
        k8s_objects.controller_revision(
            bad, number=2, image="nginx:bad-1.0", env={"LEVEL": "debug"}, created="2026-11-25T09:58:00Z"
        ),
        k8s_objects.pod("web-0", revision=old),
        k8s_objects.pod("web-1", revision=old),
        k8s_objects.pod("web-2", revision=bad, ready=False, waiting="CrashLoopBackOff", restarts=4),
    ]
    lines = [
        json.dumps({"seq": seq, "ts": f"2026-11-25T10:00:{seq:02d}.000Z", "type": "ADDED", "object": obj})
        for seq, obj in enumerate(objects)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_revisions_panel_with_the_diff_at_80x24(snap_compare, tmp_path, clock):
    player = Player(load_recording([stuck_with_revisions(tmp_path / "revisions.jsonl")]), clock=clock)
    player.pause()
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="revisions.jsonl"))
    assert snap_compare(app, terminal_size=(80, 24), press=["H"])


def test_undo_dialog_lists_the_template_diff_at_80x24(snap_compare, tmp_path, clock):
    player = Player(load_recording([stuck_with_revisions(tmp_path / "revisions.jsonl")]), clock=clock)
    player.pause()
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="revisions.jsonl"))
    diff = ("containers[app].env[LEVEL]: (changed) → (changed)", "containers[app].image: nginx:bad-1.0 → nginx:1.19")
    action = Undo(Target("prod-eu", "default", "web"), revision=1, seen="web-6cf64d6497", details=diff)

    async def ask(pilot) -> None:
        await pilot.press("H")
        app.push_screen(ConfirmDialog(action, context="prod-eu", where="namespace default   statefulset web"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


def test_replay_screen_while_a_big_recording_loads_at_80x24(snap_compare, tmp_path, clock):
    path = tmp_path / "big.jsonl"
    write_recording(path, 6000)  # ~9 MB
    held, gate = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 2 << 20:  # held after 2 MB: what has loaded is the same on every run
            held.set()
            gate.wait(30)

    load = RecordingLoad([path], progress)
    loader = load.start()
    try:
        assert held.wait(30)
        player = Player(load.recording, clock=clock)
        player.pause()
        player.seek_end()  # the end of what has loaded
        app = StsvizApp(replay_setup(player, title="big.jsonl", loading=load))
        assert snap_compare(app, terminal_size=(80, 24))
    finally:
        gate.set()
        loader.join(30)  # no load left running into the next test


# screenshots/ shows the main screens as they are: the reviewed snapshots, copied.
SCREENSHOTS = {
    "rolling.svg": "test_rolling_update_mid_way.svg",
    "stuck.svg": "test_stuck_rollout_crash_loop_survives_the_revert.svg",
    "scale-down.svg": "test_scale_down_with_terminating_pods.svg",
    "canary.svg": "test_partitioned_canary.svg",
    "detail.svg": "test_detail_of_a_recreated_pod_with_events.svg",
    "help.svg": "test_help_screen_at_80x24.svg",
    "unreachable.svg": "test_unreachable_cluster_at_80x24.svg",
    "stale.svg": "test_stale_screen_dims_the_rows_a_reconnecting_kind_feeds.svg",
    "volumes.svg": "test_volumes_panel_follows_a_pending_claim.svg",
    "forbidden.svg": "test_a_forbidden_restart_says_so_in_kubectls_words.svg",
    "viewer.svg": "test_a_viewer_sees_why_the_change_keys_are_dimmed_at_80x24.svg",
    "confirm.svg": "test_confirm_dialog_names_the_object_and_the_kubectl_command.svg",
    "revisions.svg": "test_revisions_panel_with_the_diff_at_80x24.svg",
    "loading.svg": "test_replay_screen_while_a_big_recording_loads_at_80x24.svg",
}


@pytest.mark.parametrize(("screenshot", "snapshot"), SCREENSHOTS.items())
def test_screenshots_are_copies_of_the_snapshots(screenshot, snapshot):
    here = Path(__file__).resolve().parent
    screenshots = here.parents[1] / "screenshots"
    expected = (here / "__snapshots__" / "test_snapshots" / snapshot).read_bytes()
    assert (screenshots / screenshot).read_bytes() == expected, (
        f"copy {snapshot} to screenshots/{screenshot} after reviewing it"
    )
