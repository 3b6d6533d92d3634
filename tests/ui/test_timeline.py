"""The replay timeline: digits, Shift+arrows and the mouse move the replay like a video player's.

Each way lands where a fresh fold to that moment would (the Player's seeks are
tested for that in tests/sources/replay/test_seek.py); here, that the screen
asks for the right moment and shows it.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from stsviz.render.timeline import MARK, PLAYHEAD, seconds_at
from stsviz.sources.replay import Player, load_recording
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.help import HelpScreen
from stsviz.ui.palette import screen_actions
from stsviz.ui.replay_bar import status_line
from stsviz.ui.timeline import MARGIN, Timeline
from tests.sources.replay.test_player import START, pod_event
from tests.ui.helpers import paused_replay
from tests.waiting import eventually


def landed(player, seconds: float) -> bool:
    """The screen shows the events at or before `seconds`, the playhead there."""
    index = bisect_right(player.recording.offsets, seconds, hi=len(player.recording))
    return player.pending is None and player.position == index and abs(player.offset - seconds) < 1e-9


def landed_on_cell(player, timeline: Timeline, cell: int) -> bool:
    """`landed` at the moment a cell of the timeline's track stands for."""
    return landed(player, seconds_at(cell, player.duration, timeline.track_width))


async def test_digits_jump_to_tenths_of_the_recording(replay_app):
    app = replay_app("rolling", index=0)
    player = app.setup.replay
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await eventually(lambda: landed(player, player.duration / 2), message="half way")
        await pilot.press("9")
        await eventually(lambda: landed(player, player.duration * 0.9), message="nine tenths")
        await pilot.press("0")
        await eventually(lambda: landed(player, 0.0), message="the start")


async def test_shift_arrows_skip_ten_seconds_and_plain_arrows_still_move_over_ordinals(replay_app):
    app = replay_app("rolling", index=0)
    player = app.setup.replay
    async with app.run_test(size=(120, 40)) as pilot:
        ordinal = app.screen.grid.cursor_ordinal
        await pilot.press("shift+right", "shift+right")
        await eventually(lambda: landed(player, 20.0), message="20 s in")
        assert app.screen.grid.cursor_ordinal == ordinal  # the arrows with Shift move in time, not over cells
        await pilot.press("shift+left")
        await eventually(lambda: landed(player, 10.0), message="back to 10 s")
        assert "time 0:10.0" in status_line(player).plain


async def test_a_click_on_the_timeline_seeks_there_and_the_playhead_follows(replay_app):
    app = replay_app("rolling", index=0)
    player = app.setup.replay
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.screen.query_one(Timeline)
        await pilot.click(Timeline, offset=(MARGIN + 30, 0))
        await eventually(lambda: landed_on_cell(player, timeline, 30), message="the click")
        await pilot.pause()
        assert timeline.render().plain.index(PLAYHEAD) == MARGIN + 30


async def test_dragging_along_the_timeline_ends_where_the_mouse_is_let_go(replay_app):
    app = replay_app("scale", index=0)
    player = app.setup.replay
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.screen.query_one(Timeline)
        await pilot.mouse_down(Timeline, offset=(MARGIN + 5, 0))
        for x in (15, 40, 60, 25):
            await pilot.hover(Timeline, offset=(MARGIN + x, 0))
        await pilot.mouse_up(Timeline, offset=(MARGIN + 25, 0))
        await eventually(lambda: landed_on_cell(player, timeline, 25), message="the drag's end")


async def test_help_and_the_palette_offer_the_timeline_keys(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = [key for key, _ in help_screen.key_lines()]
        assert keys.count("0-9") == 1 and "shift+←" in keys and "shift+→" in keys
        assert "a recorder's mark" in str(help_screen.query_one("#help-timeline").render())
        await pilot.press("escape")
        offered = {name for name, _help, _run in screen_actions(app.screen)}
        assert {"Back 10s", "Forward 10s", "Jump to 0%", "Jump to 50%", "Jump to 90%"} <= offered


async def test_a_drag_cut_short_by_another_screen_does_not_go_on_scrubbing(replay_app):
    app = replay_app("rolling", index=0)
    player = app.setup.replay
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.screen.query_one(Timeline)
        await pilot.mouse_down(Timeline, offset=(MARGIN + 5, 0))
        await eventually(lambda: landed_on_cell(player, timeline, 5), message="the press")
        await pilot.press("question_mark", "escape")  # help took the mouse mid-drag; no button came up here
        await pilot.hover(Timeline, offset=(MARGIN + 50, 0))
        await pilot.pause()
        assert landed_on_cell(player, timeline, 5)


async def test_the_recorders_marks_show_on_the_timeline_where_they_happened(tmp_path, clock):
    lines = [json.dumps({"stsviz": 1, "kind": "header", "started": START.isoformat()})]
    for index in range(11):
        ts = (START + timedelta(seconds=index)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        lines.append(json.dumps({"seq": index + 1, "ts": ts, **pod_event(index % 3, "ADDED")}))
        if index == 5:
            lines.append(json.dumps({"seq": 99, "ts": ts, "type": "MARK", "mark": "disconnect", "kind": "pods"}))
    path = tmp_path / "marked.jsonl"
    path.write_text("\n".join(lines) + "\n")
    player = Player(load_recording([path]), clock=clock)
    player.pause()
    app = StsvizApp(replay_setup(player, title="marked.jsonl"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        line = timeline.render().plain
        # Half way along the track: the disconnect came after the sixth event, at 5 of 10 seconds.
        assert line.index(MARK) == MARGIN + round((timeline.track_width - 1) / 2)


async def test_a_watch_the_recorder_had_broken_shows_stale_in_replay_as_it_did_live(tmp_path):
    """Live said "stale since" and dimmed the rows while the pods watch was broken; replay said nothing."""
    import json as json_

    from tests.k8s_objects import pod, statefulset

    lines = [
        {"ts": "2026-11-25T10:00:00.000Z", "type": "ADDED", "object": statefulset("web")},
        {"ts": "2026-11-25T10:00:00.500Z", "type": "ADDED", "object": pod("web-0")},
        {"ts": "2026-11-25T10:00:01.000Z", "type": "MARK", "mark": "disconnect", "resource": "pods", "reason": "EOF"},
        {"ts": "2026-11-25T10:00:05.000Z", "type": "ADDED", "object": pod("web-1")},
        {"ts": "2026-11-25T10:00:09.000Z", "type": "MARK", "mark": "reconnect", "resource": "pods"},
        {"ts": "2026-11-25T10:00:10.000Z", "type": "ADDED", "object": pod("web-2")},
    ]
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(json_.dumps(line) + "\n" for line in lines))
    app, player = paused_replay(path, 2)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "stale" not in screen.sub_title and not screen.grid._stale  # before the break
        player.seek_index(3)  # web-1 arrived while the pods watch was broken
        screen.show_frame()
        since = datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC).astimezone().strftime("%H:%M:%S")
        assert screen.sub_title.endswith(f" · stale since {since}") and screen.grid._stale
        player.seek_index(4)  # past the reconnect
        screen.show_frame()
        assert "stale" not in screen.sub_title and not screen.grid._stale
