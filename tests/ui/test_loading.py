"""A big recording opens before it has loaded: a progress bar, the first frame, keys; the bar goes at the end.

The load is held part way by its progress callback (the test opens the gate),
so "while it loads" is a state the test controls, not a race.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from stsviz.sources.replay.formats import RecordingLoad
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.help import HelpScreen
from stsviz.ui.load_bar import LoadBar
from stsviz.ui.replay_bar import status_line
from tests.sources.replay.test_progress import write_recording
from tests.ui.helpers import FrozenClock, paused_replay, screen_lines
from tests.waiting import eventually

SIZE = (120, 32)
HOLD_AT = 2 << 20  # bytes: the load stops here until the gate opens


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    opened = threading.Event()
    yield opened
    opened.set()  # a test that failed early must not leave the loader waiting


def held_load(path: Path, gate: threading.Event) -> RecordingLoad:
    def progress(done: int, total: int) -> None:
        if done >= HOLD_AT:
            gate.wait(timeout=30)

    load = RecordingLoad([path], progress)
    load.start()
    return load


async def test_the_screen_plays_what_has_loaded_with_a_progress_bar(tmp_path: Path, gate, clock: FrozenClock):
    path = tmp_path / "big.jsonl"
    size = write_recording(path, 6000)  # ~6 MB
    load = held_load(path, gate)
    player = Player(load.recording, clock=clock)
    player.play()
    app = StsvizApp(replay_setup(player, title="big.jsonl", loading=load))
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(LoadBar)
        await eventually(lambda: f"of {size / 1e6:,.0f} MB" in str(bar.query_one("#load-size").render()))
        clock.advance(1000)  # far past what has loaded: it waits there, still playing
        await eventually(lambda: player.position > 0)
        loaded = len(player.recording)
        assert 0 < loaded < 6001 and not load.finished
        assert any(line.startswith("default/web ") for line in screen_lines(app.screen.query_one("#grid")))
        assert "▶ playing" in status_line(player).plain and f"/{loaded}" in status_line(player).plain
        await pilot.press("question_mark")  # keys answer while it loads
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        gate.set()
        await eventually(lambda: not app.query(LoadBar))  # the bar goes once everything is read
        clock.advance(1e6)
        await eventually(lambda: player.position == 6001)
        assert "6001/6001" in status_line(player).plain and not player.playing


async def test_a_recording_found_unusable_after_the_screen_opened_closes_it(tmp_path: Path):
    path = tmp_path / "notes.jsonl"
    path.write_text("this is not a recording\n" * 1000)
    load = RecordingLoad([path])
    app = StsvizApp(replay_setup(Player(load.recording), title="notes.jsonl", loading=load))
    async with app.run_test(size=SIZE):
        load.start()
        await eventually(lambda: app.return_code == 2)
    assert load.error is not None and load.error.startswith(f"{path}: not JSON")


async def test_before_the_recorders_first_list_of_sets_has_played_the_grid_says_so(tmp_path):
    """At the very start of a recording no set is known yet: that is not "No StatefulSets"."""
    from datetime import UTC, datetime

    from stsviz.sources.record.recorder import Recorder
    from tests.k8s_objects import statefulset

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path).start()
    recorder.listed("statefulsets", "StatefulSet", [statefulset("web")], "10", datetime(2026, 11, 25, 10, tzinfo=UTC))
    recorder.close()
    app, _player = paused_replay(path, 0)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        shown = app.screen.grid._notice
        assert shown == "The recorder's first list of StatefulSets has not played yet: . or Space goes on.", shown
        await pilot.press("G")
        await pilot.pause()
        assert app.screen.grid.all_keys == [("default", "web")]
