"""The replay screen driven by Pilot: navigation, filter, replay controls, literal cluster strings."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from stsviz.model.times import rfc3339
from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.detail import PodDetail
from stsviz.ui.filter_bar import FilterBar
from stsviz.ui.frame_source import AppSetup
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.replay_bar import ReplayStatus
from stsviz.ui.screen import RolloutScreen
from stsviz.ui.timeline import Timeline
from tests.k8s_objects import pod, statefulset
from tests.ui.helpers import FrozenClock, event_index, fold, screen_lines
from tests.ui.test_gate import said
from tests.waiting import eventually

SIZE = (120, 32)


def pod_line(app: StsvizApp) -> str:
    [line] = [line for line in app.query_one(PodDetail).text.splitlines() if line.startswith("Pod ")]
    return line


def row_line(app: StsvizApp, name: str) -> str:
    [line] = [line for line in screen_lines(app.query_one(StatefulSetGrid)) if line.startswith(name)]
    return line


async def test_arrows_walk_the_ordinals_and_the_detail_pane_follows(replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    async with app.run_test(size=SIZE) as pilot:
        assert pod_line(app) == "Pod web-0  ordinal 0"
        await pilot.press("right")
        assert pod_line(app) == "Pod web-1  ordinal 1"
        await pilot.press("right", "right")  # stops at the last ordinal
        assert pod_line(app) == "Pod web-2  ordinal 2"
        assert "revision  web-6c7c5cdf47 (updated)" in app.query_one(PodDetail).text
        await pilot.press("home")
        assert "revision  web-847b5bcf4c (old)" in app.query_one(PodDetail).text


async def test_up_and_down_move_between_sets_of_two_recordings(recordings, clock):
    files = [recordings / "rolling" / "merged.jsonl", recordings / "scale" / "merged.jsonl"]
    player = Player(load_recording(files), clock=clock)
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="rolling + scale"))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        assert grid.visible_keys == [("rolling", "web"), ("scale", "web")]
        await pilot.press("down")
        assert grid.cursor_key == ("scale", "web")
        assert app.query_one(PodDetail).text.startswith("StatefulSet scale/web\n")
        await pilot.press("up")
        assert app.query_one(PodDetail).text.startswith("StatefulSet rolling/web\n")


async def test_slash_opens_the_filter_and_typing_hides_rows(recordings, clock):
    files = [recordings / "rolling" / "merged.jsonl", recordings / "scale" / "merged.jsonl"]
    player = Player(load_recording(files), clock=clock)
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="rolling + scale"))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("slash")
        assert app.query_one(FilterBar).has_focus
        await pilot.press(*"scale/")
        assert grid.visible_keys == [("scale", "web")]
        assert "STATEFULSET" in screen_lines(grid)[0] and row_line(app, "scale/web")
        assert not [line for line in screen_lines(grid) if line.startswith("rolling/")]
        assert "scale/web" in app.query_one(PodDetail).text
        await pilot.press("enter")  # keep the filter, back to the grid
        assert grid.has_focus and grid.name_filter == "scale/"
        await pilot.press("escape")  # clears it
        assert grid.visible_keys == [("rolling", "web"), ("scale", "web")]
        assert not app.query_one(FilterBar).display


async def test_typing_in_the_filter_does_not_drive_the_replay(replay_app):
    app = replay_app("rolling", 10)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "g", "space", "full_stop", "q")
        assert app.query_one(FilterBar).value == "g .q"
        assert app.setup.replay.position == 10 and not app.setup.replay.playing
        await pilot.press("escape")
        assert app.query_one(StatefulSetGrid).name_filter == ""


async def test_space_toggles_and_dot_steps_one_event(replay_app, recordings):
    index = event_index(recordings, "rolling", "two-updated")
    app = replay_app("rolling", index)
    player = app.setup.replay
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one(ReplayStatus)
        assert "paused" in str(status.render()) and f"event {index}/94" in str(status.render())
        await pilot.press("space")
        assert player.playing and "playing" in str(status.render())
        await pilot.press("space")
        assert not player.playing

        before = row_line(app, "rolling/web")
        steps = 0
        while row_line(app, "rolling/web") == before:  # step until the row shows a change
            await pilot.press("full_stop")
            steps += 1
        assert player.position == index + steps
        assert f"event {index + steps}/94" in str(status.render())
        await pilot.press("comma")
        assert player.position == index + steps - 1


async def test_playing_follows_the_injected_clock(replay_app, clock: FrozenClock):
    app = replay_app("rolling", 0)
    player = app.setup.replay
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.sub_title == "event 0/94"
        await pilot.press("space")
        # The app's timer ticks the player (a loaded machine may tick late).
        await eventually(lambda: player.position > 0, message="the first replay tick")
        await pilot.pause(0.1)  # more ticks change nothing: the clock has not moved
        assert player.position == 1  # only the first event is due at offset 0
        clock.advance(5.0)
        due = sum(1 for offset in player.recording.offsets if offset <= 5.0)
        await eventually(lambda: player.position == due, message=f"the replay at event {due}")
        await pilot.pause()  # and the screen drawn from it
        assert due > 1
        # The header's time is the playhead's (5 s in), not the last event's: time goes on between events.
        assert app.screen.sub_title == rfc3339(player.recording.start + timedelta(seconds=5))
        assert row_line(app, "rolling/web")
        # Between two whole seconds the frame waits for the next one; pausing draws it at the playhead,
        # so the frame a user looks at is the moment the bar says (and `--plain --at` prints).
        clock.advance(0.7)
        await pilot.press("space")
        await pilot.pause()
        assert app.screen.sub_title == rfc3339(player.recording.start + timedelta(seconds=5.7))


async def test_speed_and_jumps(replay_app):
    app = replay_app("rolling", 10)
    player = app.setup.replay
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert player.speed == 4.0
        await pilot.press("left_square_bracket")
        assert player.speed == 2.0 and "speed 2x" in str(app.query_one(ReplayStatus).render())
        await pilot.press(*["left_square_bracket"] * 4)  # 1, 0.5, 0.25, and no slower: said
        assert player.speed == 0.25
        assert [n.message for n in app._notifications][-1:] == ["already at the slowest speed, 0.25x"]
        await pilot.press("G")
        assert player.at_end and row_line(app, "rolling/web").split()[1:4] == ["3/3", "3/3", "done"]
        await pilot.press("g")  # the start, as the screen opens there and `0` goes: what happened at the very start
        at_start = sum(1 for offset in player.recording.offsets if offset == 0.0)
        assert (player.position, player.offset) == (at_start, 0.0)
        await pilot.press("G", "0")
        assert (player.position, player.offset) == (at_start, 0.0)


async def test_header_names_the_mode_the_files_and_the_frame_time(replay_app, recordings):
    app = replay_app("rolling", event_index(recordings, "rolling", "two-updated"))
    async with app.run_test(size=SIZE):
        assert app.title == "replay rolling/merged.jsonl"
        lines = (recordings / "rolling" / "merged.jsonl").read_text().splitlines()
        assert app.screen.sub_title == json.loads(lines[74])["ts"]


async def test_every_binding_has_an_id_and_a_tooltip():
    for binding in RolloutScreen.BINDINGS:
        assert binding.id and binding.tooltip, binding.key


async def test_markup_in_cluster_strings_is_shown_literally(tmp_path: Path, clock: FrozenClock):
    name = "[bold]web[/]"
    crashing = pod(f"{name}-0", owner=name, ready=False, waiting="CrashLoopBackOff")
    crashing["status"]["containerStatuses"][0]["state"]["waiting"]["message"] = "pull [/] failed [bold]x"
    recording = tmp_path / "markup.jsonl"
    recording.write_text(
        "".join(
            json.dumps({"ts": f"2026-11-25T14:00:0{n}.000Z", "type": "ADDED", "object": obj}) + "\n"
            for n, obj in enumerate([statefulset(name, replicas=1), crashing])
        )
    )
    player = Player(load_recording([recording]), clock=clock)
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="[b]markup.jsonl"))
    async with app.run_test(size=SIZE):
        assert row_line(app, f"default/{name}")
        detail = app.query_one(PodDetail).text
        assert detail.startswith(f"StatefulSet default/{name}\n")
        assert pod_line(app) == f"Pod {name}-0  ordinal 0"
        assert "pull [/] failed [bold]x" in detail
        assert app.title == "replay [b]markup.jsonl"


class FixedSource:
    """A source with no replay controls, as a live watch will be: the screen must not assume a Player."""

    def __init__(self, state) -> None:
        self.state = state
        self.frame_time = state.now

    def tick(self) -> bool:
        return False


async def test_without_a_replay_the_replay_keys_are_refused_and_hidden():
    state = fold(("ADDED", statefulset(replicas=2)), ("ADDED", pod("web-0")))
    app = StsvizApp(AppSetup(mode="live", description="kind-dev", source=FixedSource(state)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "full_stop", "G")  # nothing to play: no error, no change
        assert not app.query(ReplayStatus)
        assert app.title == "live kind-dev" and app.screen.sub_title == "2026-11-25T14:00:01.000Z"
        shown = {binding.action for _, binding, enabled, _ in app.screen.active_bindings.values() if enabled}
        assert not shown & {"toggle_play", "jump(-10)", "jump(10)", "seek_fraction(0.5)"} and "open_filter" in shown
        assert not app.screen.query(Timeline)
        assert row_line(app, "default/web").split()[-1] == "r."


async def test_ctrl_c_quits_at_once(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running


async def test_a_key_that_would_change_the_cluster_says_why_not_in_replay(replay_app):
    # The detail pane may name one ("delete it (ctrl+d) to get ..."): pressing it must not do nothing silently.
    app = replay_app("rolling", 10)
    player = app.setup.replay
    titles: list[str] = []
    told = said(app, titles)
    async with app.run_test(size=SIZE) as pilot:
        position = player.position
        for key in ("ctrl+d", "s", "r", "p"):
            await pilot.press(key)
        await pilot.pause()
        # A toast per key, naming what it refused: one toast for all four left the later keys looking ignored.
        assert list(zip(titles, told, strict=True)) == [
            (f"{what}: not allowed", "replay: a recording cannot be changed")
            for what in ("Delete", "Scale", "Restart", "Partition")
        ]
        assert player.position == position and len(app.screen_stack) == 1  # no dialog opened
