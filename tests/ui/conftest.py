"""UI test fixtures: hermetic apps, a frozen clock, replays paused at fixed positions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import textual.constants

from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.screen import RolloutScreen
from tests.ui.helpers import FrozenClock


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same pixels on every machine: no blinking cursor, no animations, no NO_COLOR from the shell."""
    monkeypatch.setattr(RolloutScreen, "CURSOR_BLINK", False)
    # Read by App.__init__; the environment variable is read once at import, too late to set here.
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def replay_at(recordings: Path, clock: FrozenClock) -> Callable[..., Player]:
    """A paused Player on a real recording, `index` events in, on the frozen clock."""

    def make(scenario: str, index: int | None = None) -> Player:
        player = Player(load_recording([recordings / scenario / "merged.jsonl"]), clock=clock)
        player.pause()
        if index is None:
            player.seek_end()
        else:
            player.seek_index(index)
        return player

    return make


@pytest.fixture
def replay_app(replay_at: Callable[..., Player]) -> Callable[..., StsvizApp]:
    """The replay screen on a paused Player; the title is relative so snapshots match on any machine."""

    def make(scenario: str, index: int | None = None) -> StsvizApp:
        return StsvizApp(replay_setup(replay_at(scenario, index), title=f"{scenario}/merged.jsonl"))

    return make
