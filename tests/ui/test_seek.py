"""Seeks on the replay screen run off the UI loop: keys answer meanwhile, and the last seek asked for wins.

The recordings here are small, so seeks are forced through the thread
(INLINE_EVENTS = 0) and the fold is held at a gate the test opens: a slow seek
on a big recording, made deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from stsviz.model.times import rfc3339
from stsviz.sources.replay import player as player_module
from stsviz.sources.replay.player import SeekJob
from stsviz.ui.help import HelpScreen
from stsviz.ui.replay_bar import status_line
from tests.waiting import eventually


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every seek's fold waits until the test sets this event."""
    monkeypatch.setattr(player_module, "INLINE_EVENTS", 0)
    opened = threading.Event()
    run = SeekJob.run

    def held(job: SeekJob) -> bool:
        assert opened.wait(timeout=30), "the test never opened the gate"
        return run(job)

    monkeypatch.setattr(SeekJob, "run", held)
    yield opened
    opened.set()  # a test that failed early must not leave a worker thread waiting


async def test_keys_answer_while_a_slow_seek_runs(replay_app, gate):
    app = replay_app("rolling")
    player = app.setup.replay
    async with app.run_test(size=(120, 40)) as pilot:
        end = len(player.recording)
        await pilot.press("comma")  # one event back: a refold, held at the gate
        await pilot.pause()
        assert player.pending == end - 1 and player.position == end
        assert "seeking" in status_line(player).plain
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)  # help opened while the fold is still held
        await pilot.press("escape")
        gate.set()
        await eventually(lambda: player.pending is None and player.position == end - 1, message="the seek to land")
        assert f"event {end - 1}/{end}" in status_line(player).plain


async def test_the_last_of_several_quick_seeks_is_where_the_screen_ends(replay_app, gate):
    app = replay_app("scale", index=60)
    player = app.setup.replay
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("G", "comma", "comma", "full_stop", "G", "comma", "comma", "comma")
        await pilot.pause()
        end = len(player.recording)
        assert player.pending == end - 3 and player.position == 60  # nothing landed yet
        gate.set()
        await eventually(lambda: player.pending is None and player.position == end - 3, message="the last seek")
        await pilot.pause()
        assert f"event {end - 3}/{end}" in status_line(player).plain
        assert app.screen.sub_title.startswith(rfc3339(player.frame_time))  # the header followed the last seek


async def test_a_seek_whose_fold_fails_says_so_and_leaves_the_replay_where_it_was(replay_app, monkeypatch):
    monkeypatch.setattr(player_module, "INLINE_EVENTS", 0)

    def broken(job: SeekJob) -> bool:
        raise RuntimeError("fold broke")

    monkeypatch.setattr(SeekJob, "run", broken)
    app = replay_app("rolling")
    player = app.setup.replay
    told: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.notify = lambda message, **kwargs: told.append(f"{kwargs.get('title')}: {message}")  # type: ignore[method-assign]
        end = len(player.recording)
        await pilot.press("comma")
        await eventually(lambda: told, message="the failure said")
        assert told == ["Seek failed; the replay stays where it was: RuntimeError: fold broke"]
        assert player.pending is None and player.position == end
        assert "seeking" not in status_line(player).plain
