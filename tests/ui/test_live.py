"""Live mode on the rollout screen: the header tells how fresh the picture is; replay keys are refused."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

from textual import events

from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.live import LiveFrameSource
from stsviz.ui.screen import RolloutScreen
from tests.fake_api import FakeApiServer, event, hang, items, obj, pod, status, stream
from tests.ui.helpers import screen_lines
from tests.waiting import eventually

SIZE = (120, 24)


def web(replicas: int = 2) -> dict:
    return obj(
        "StatefulSet",
        "web",
        spec={"replicas": replicas},
        status={"observedGeneration": 1, "replicas": replicas, "updateRevision": "web-1"},
    )


def backgrounds(grid: StatefulSetGrid) -> set:
    """The background colours of the first row's cells (the widget's own excepted)."""
    own = grid.rich_style.bgcolor
    return {
        s.style.bgcolor.get_truecolor()
        for s in grid.render_line(1)
        if s.style and s.style.bgcolor is not None and s.style.bgcolor != own
    }


def live_app(api, tmp_path, fake_time, **timing) -> StsvizApp:
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing(**timing))
    return StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="fake namespace ns"))


async def test_header_shows_reconnecting_then_watching_again(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web()]
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    api.script(
        "pods",
        "watch",
        stream(event("ADDED", pod("web-1", rv="11"))),  # then closes
        status(500, "InternalError", "etcd leader changed"),  # the re-watch fails
        hang(),
    )
    fake_time.hold = True  # the backoff wait lasts until the test releases it
    app = live_app(api, tmp_path, fake_time, backoff_initial=4.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        line = screen.freshness
        await eventually(lambda: "pods ⟳4s" in line.text and "stale since" in line.text, message="pods stale")
        assert line.text.startswith("sts ● pods ⟳4s pvc ● events ● rev ●")  # only the kind that is not current
        assert "https://127.0.0.1:" in line.text and ": 500 InternalError: etcd leader changed" in line.text
        assert screen.sub_title.startswith("stale since ")
        assert app.title == "live fake namespace ns"
        await pilot.pause()
        grid = app.query_one(StatefulSetGrid)
        assert grid.visible_keys == [("ns", "web")]
        assert set(app.setup.live.state.pods) == {("ns", "web-0"), ("ns", "web-1")}  # kept, marked stale
        # Text dimmed; cells faded (their letters kept readable in a tint, not dimmed).
        drawn = [segment.style for segment in grid.render_line(1) if segment.text.strip()]
        assert all(style and (style.dim or style.bgcolor) for style in drawn)
        stale_cells = backgrounds(grid)
        fake_time.release()
        await eventually(lambda: screen.sub_title == "watching")  # the rate is on the freshness line
        assert "ev/s" in screen.freshness.text
        assert app.setup.live.status.kind("pods").reconnects == 1  # watches opened after the first
        await pilot.pause()
        assert not any(segment.style and segment.style.dim for segment in grid.render_line(1) if segment.text.strip())
        # The cells' colours were faded too, not only the text: a bright cell would claim to be current.
        fresh_cells = backgrounds(grid)
        assert stale_cells and fresh_cells and not stale_cells & fresh_cells


async def test_header_says_listing_until_every_kind_has_listed(api, tmp_path, fake_time):
    api.script("events", "list", status(503, "ServiceUnavailable", "starting"))
    fake_time.hold = True
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: "events ⟳" in screen.freshness.text)
        assert "stale since" not in screen.freshness.text  # never listed: no data to call stale
        assert screen.sub_title == "listing"
        fake_time.release()
        await eventually(lambda: screen.sub_title.startswith("watching"))


async def test_replay_keys_are_refused_in_live_mode(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web()]
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: screen.sub_title.startswith("watching"))
        for action in ("toggle_play", "step", "speed", "seek_start", "seek_end"):
            assert screen.check_action(action, ()) is False
        await pilot.press("space", "full_stop", "G", "g")  # nothing happens, nothing breaks
        assert screen.status is None
        footer_keys = {binding.key for _, binding, enabled, _ in screen.active_bindings.values() if enabled}
        assert "space" not in footer_keys and "slash" in footer_keys


async def test_changes_arrive_in_batches_not_one_message_per_event(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web(replicas=50)]
    api.script("pods", "list", items([], rv="10"))
    api.script(
        "pods", "watch", stream(*[event("ADDED", pod(f"web-{i}", rv=str(11 + i))) for i in range(50)], then="hang")
    )
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE):
        live = app.setup.live
        await eventually(lambda: len(live.state.pods) == 50)
        assert live.batches < 50
        assert live.state.pods_of(live.state.sets[("ns", "web")]).keys() == set(range(50))


async def test_a_source_that_dies_says_stopped(api, tmp_path, fake_time, monkeypatch):
    app = live_app(api, tmp_path, fake_time)

    async def broken(self, sink):
        raise RuntimeError("boom Authorization: Bearer s3cr3t-token-0123456789")

    monkeypatch.setattr(LiveSource, "run", broken)
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: screen.sub_title.startswith("stopped: boom"))
        assert "s3cr3t" not in screen.sub_title


async def test_a_set_is_never_done_while_its_pods_are_not_read(api, tmp_path, fake_time):
    # The set's status says the rollout is complete; its pods' list keeps failing.
    complete = {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "currentReplicas": 2}
    complete |= {"observedGeneration": 1, "currentRevision": "web-1", "updateRevision": "web-1"}
    api.objects["statefulsets"] = [obj("StatefulSet", "web", spec={"replicas": 2}, status=complete)]
    api.objects["pods"] = [pod("web-0", rv="10"), pod("web-1", rv="10")]
    api.script("pods", "list", status(500, "InternalError", "etcd is sad"))
    fake_time.hold = True
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: "pods ⟳" in screen.freshness.text)
        assert screen.freshness.text.endswith(": 500 InternalError: etcd is sad")
        await pilot.pause()
        row = app.query_one(StatefulSetGrid).selected_row
        assert row is not None and not row.verdict.done
        assert row.verdict.label == "pods unread"
        assert row.verdict.message == "pods not read yet: 500 InternalError: etcd is sad"
        fake_time.release()  # the next list works: the set's own verdict again
        await eventually(lambda: screen.sub_title.startswith("watching"))
        await eventually(lambda: app.query_one(StatefulSetGrid).selected_row.verdict.label == "done")


def closed_port_kubeconfig(tmp_path: Path) -> Path:
    """A kubeconfig naming a port where nothing listens (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: not-a-real-token-0123}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u, namespace: shop}}]\n"
    )
    return path


async def test_a_closed_port_says_why_on_screen_in_the_words_of_plain(tmp_path, fake_time):
    kubeconfig = closed_port_kubeconfig(tmp_path)
    plain = subprocess.run(
        [sys.executable, "-m", "stsviz", "--kubeconfig", str(kubeconfig), "--plain"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert plain.returncode == 2
    reason = plain.stderr.strip().removeprefix("stsviz: error: ")
    assert reason.startswith("cannot reach https://127.0.0.1:")
    fake_time.hold = True  # the first retry waits until released: the reason must stay up meanwhile
    source = LiveSource(resolve_target(str(kubeconfig)), Scope("shop"), timing=fake_time.timing())
    app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="c namespace shop"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await eventually(lambda: reason in screen.freshness.text, message="the reason on the freshness line")
        await pilot.pause()
        grid = app.query_one(StatefulSetGrid)
        shown = " ".join(line.strip() for line in screen_lines(grid)[1:6])
        assert reason in shown  # the empty grid says it too, wrapped
        assert screen.sub_title == "not connected"
        fake_time.release()  # a retry fails the same way: still said
        await pilot.pause(0.2)
        assert reason in screen.freshness.text


async def test_a_key_is_handled_while_a_big_batch_is_still_being_folded(api, tmp_path, fake_time):
    from stsviz.model.events import Change
    from stsviz.model.records import Pod
    from stsviz.ui.live import LiveBatch

    api.objects["statefulsets"] = [web(replicas=3)]
    ticks = iter(range(10**9))  # a clock that moves 1 ms each time it is read: the fold's budget runs out
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing())
    live = LiveFrameSource(source, batch_interval=0.02, fold_budget=0.008, clock=lambda: next(ticks) / 1000)
    app = StsvizApp(live_setup(live, description="fake namespace ns"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        grid = app.query_one(StatefulSetGrid)
        await eventually(lambda: grid.visible_keys == [("ns", "web")])
        # A relist's worth of changes in one batch: far more than one tick may fold.
        burst = [Change("MODIFIED", Pod.from_dict(pod(f"web-{n % 3}", rv=str(n))), None) for n in range(200_000)]
        screen.post_message(LiveBatch(burst, source.status()))
        await eventually(lambda: 0 < live.backlog < len(burst))  # folding has begun, in slices
        await pilot.press("right")
        assert grid.cursor_ordinal == 1
        assert live.backlog > 0, "the key waited for the whole batch"
        await eventually(lambda: live.backlog == 0, timeout=30)
        assert set(live.state.pods) == {("ns", "web-0"), ("ns", "web-1"), ("ns", "web-2")}


async def test_keys_held_down_never_hold_the_data_back(api, tmp_path, fake_time):
    # Ticks right after a key wait for the key's frame (screen.KEYS_FIRST), but only a couple of
    # them: keys arriving faster than that (a held arrow) must not freeze the picture.
    api.objects["statefulsets"] = [web(replicas=3)]
    api.script("pods", "list", items([pod("web-0"), pod("web-1"), pod("web-2")], rv="10"))
    phases = [f"Phase{n}" for n in range(20)]
    changes = [
        event("MODIFIED", pod("web-0", rv=str(11 + n), status={"phase": phase})) for n, phase in enumerate(phases)
    ]
    api.script("pods", "watch", stream(*changes, pause=0.05, then="hang"))
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE) as pilot:
        live = app.setup.live

        async def last_change_shown_while_keys_come() -> bool:
            for key in ("right", "left", "right"):  # a key every 10 ms, as a held arrow's auto-repeat
                app.post_message(events.Key(key, None))
                await asyncio.sleep(0.01)
            shown = live.state.pods.get(("ns", "web-0"))  # None until the pods' list has been folded
            return shown is not None and shown.phase == phases[-1]

        await pilot.pause()
        await eventually(last_change_shown_while_keys_come, timeout=15, message="the last change, keys held down")


async def test_sets_the_user_may_not_list_say_forbidden_and_when_it_tries_again(api, tmp_path, fake_time):
    refused = 'statefulsets.apps is forbidden: User "viewer" cannot list resource "statefulsets" in "ns"'
    api.script("statefulsets", "list", status(403, "Forbidden", refused))
    fake_time.hold = True  # the retry waits until released: the countdown stays up meanwhile
    app = live_app(api, tmp_path, fake_time, forbidden_retry=60.0)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await eventually(lambda: screen.sub_title == "forbidden", message="not 'watching': no set can be shown")
        await pilot.pause()
        shown = " ".join(line.strip() for line in screen_lines(app.query_one(StatefulSetGrid))[1:8])
        assert refused in shown and "Retrying in 60s. ? for help, q to quit." in shown


def test_when_every_kind_is_in_the_same_trouble_one_chip_says_so_and_the_reason_fits_80_columns():
    from datetime import UTC, datetime

    from stsviz.sources.live import freshness as phases
    from stsviz.sources.live.freshness import KindStatus, SourceStatus
    from stsviz.ui.freshness_bar import freshness_line

    since = datetime(2026, 11, 25, 14, 6, 44, tzinfo=UTC)
    broken = "cannot connect to 127.0.0.1:18631"
    kinds = tuple(
        KindStatus(
            resource,
            phases.RECONNECTING,
            listed=True,
            stale_since=since,
            retry_at=10.0 + wait,
            message=broken,
            unreachable=True,
        )
        for resource, wait in (("statefulsets", 5.0), ("pods", 2.0), ("persistentvolumeclaims", 9.0))
    )
    line = freshness_line(SourceStatus(kinds, 0.0, 10.0, server="https://127.0.0.1:18631"), 10.0)
    local = since.astimezone().strftime("%H:%M:%S")
    assert line.plain == f"all ⟳2s · stale since {local} · cannot reach https://127.0.0.1:18631: {broken}"
    # One kind in trouble: the chips name it.
    one = (KindStatus("statefulsets", phases.WATCHING, listed=True), kinds[1])
    assert freshness_line(SourceStatus(one, 0.0, 10.0), 10.0).plain.startswith("sts ● pods ⟳2s · stale since")


def test_when_every_kind_is_forbidden_one_chip_says_so_and_the_reason_follows_within_80_columns():
    from stsviz.sources.live import freshness as phases
    from stsviz.sources.live.freshness import KindStatus, SourceStatus
    from stsviz.sources.live.kinds import KINDS
    from stsviz.ui.freshness_bar import freshness_line

    refused = 'statefulsets.apps is forbidden: User "system:anonymous" cannot list resource "statefulsets"'
    kinds = tuple(KindStatus(kind.resource, phases.FORBIDDEN, message=refused) for kind in KINDS)
    withheld = "credentials are not sent over plain http"
    status = SourceStatus(kinds, 0.0, 10.0, server="http://127.0.0.1:8080", withheld=withheld)
    line = freshness_line(status, 10.0).plain
    assert line == f"all ✗ forbidden · http://127.0.0.1:8080: {refused} · {withheld}"  # no rate: nothing is watched


async def test_a_change_asked_on_a_stale_picture_says_the_picture_is_stale(api, tmp_path, fake_time):
    from stsviz.ui.dialogs import ConfirmDialog

    api.objects["statefulsets"] = [web()]
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    api.script("pods", "watch", status(500, "InternalError", "etcd leader changed"), hang())
    fake_time.hold = True  # the retry waits: the pods stay stale
    app = live_app(api, tmp_path, fake_time, backoff_initial=4.0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await eventually(lambda: screen.sub_title.startswith("stale since "), message="stale")
        await eventually(lambda: screen.grid.visible_keys == [("ns", "web")], message="the row")
        await pilot.press("plus")
        await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="the confirm dialog")
        labels = [str(label.render()) for label in app.screen.query("Label")]
        since = screen.sub_title.removeprefix("stale since ")
        assert f"The screen is stale since {since}: the cluster may have changed since what it shows." in labels


def test_kinds_forbidden_beside_watched_ones_share_one_chip_within_80_columns():
    from stsviz.sources.live import freshness as phases
    from stsviz.sources.live.freshness import KindStatus, SourceStatus
    from stsviz.sources.live.kinds import KINDS
    from stsviz.ui.freshness_bar import freshness_line

    # A namespaced viewer: the sets are readable, nothing else is.
    kinds = tuple(
        KindStatus(kind.resource, phases.WATCHING if kind.resource == "statefulsets" else phases.FORBIDDEN, listed=True)
        for kind in KINDS
    )
    line = freshness_line(SourceStatus(kinds, 0.0, 10.0), 10.0).plain
    assert line.startswith("sts ● pods pvc events rev pv ✗ forbidden · ")
    assert len(line) <= 80, line


def test_pods_stay_unread_until_their_first_list_is_folded_not_just_received(tmp_path):
    """A big pods list folds over several ticks (8 ms each): until then its sets' cells are `?`, not missing."""
    from dataclasses import replace

    from stsviz.model.events import Change
    from stsviz.model.records import Pod
    from stsviz.sources.live import freshness as phases
    from stsviz.sources.live.config import resolve_target as resolve
    from stsviz.ui.live import FOLD_SLICE, LiveBatch

    kubeconfig = FakeApiServer().kubeconfig(tmp_path, server="https://127.0.0.1:9")
    ticks = iter(range(10**9))  # a clock that moves 1 ms each time it is read: one slice a tick
    source = LiveSource(resolve(str(kubeconfig)), Scope("ns"))
    live = LiveFrameSource(source, fold_budget=0.0005, clock=lambda: next(ticks) / 1000)
    listing = source.status()
    listed = replace(listing, kinds=tuple(replace(k, listed=True) for k in listing.kinds))
    pods = [Change("ADDED", Pod.from_dict(pod(f"web-{n}")), None) for n in range(FOLD_SLICE * 3)]
    live.push(LiveBatch(pods, listed))
    live.tick()
    assert live.backlog > 0 and live.state.pods_unread == phases.LISTING  # received, not all folded
    while live.backlog:
        live.tick()
    assert live.state.pods_unread is None


def test_while_the_server_does_not_answer_the_line_says_so_and_the_frame_stops_when_it_went_stale(tmp_path):
    """A hung server: the line says no answer since the last one, and the verdicts' clock stops there, so a
    rollout the watch can no longer see is not called stalled for want of news."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from stsviz.sources.live import freshness as phases
    from stsviz.sources.live.config import resolve_target as resolve
    from stsviz.sources.live.freshness import KindStatus, SourceStatus
    from stsviz.sources.live.timing import Timing
    from stsviz.ui.freshness_bar import freshness_line
    from stsviz.ui.live import LiveBatch

    since = datetime(2026, 11, 25, 14, 6, 44, tzinfo=UTC)
    why = "no answer to a request in 5s (timed out waiting for the server)"
    kinds = tuple(
        KindStatus(resource, phases.UNANSWERED, listed=True, stale_since=since, message=why, unreachable=True)
        for resource in ("statefulsets", "pods", "persistentvolumeclaims")
    )
    status = SourceStatus(kinds, 0.0, 10.0, server="https://127.0.0.1:18631")
    local = since.astimezone().strftime("%H:%M:%S")
    expected = f"all ✗ no answer · stale since {local} · cannot reach https://127.0.0.1:18631: {why}"
    assert freshness_line(status, 10.0).plain == expected
    assert len(f"all ✗ no answer · stale since {local} · cannot reach https://127.0.0.1:18631") < 80

    kubeconfig = FakeApiServer().kubeconfig(tmp_path, server="https://127.0.0.1:9")
    now = since + timedelta(minutes=10)
    source = LiveSource(resolve(str(kubeconfig)), Scope("ns"), timing=Timing(wall=lambda: now))
    live = LiveFrameSource(source)
    live.push(LiveBatch([], status))
    assert live.frame_time == since
    answered = replace(status, kinds=tuple(replace(k, phase=phases.WATCHING, stale_since=None) for k in kinds))
    live.push(LiveBatch([], answered))
    assert live.frame_time == now
