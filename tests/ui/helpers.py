"""Helpers for the UI tests: a frozen clock, folds, a grid-only app, recordings' checkpoints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.app import App, ComposeResult

from stsviz.model import ClusterState, WatchEvent
from stsviz.ui.grid import StatefulSetGrid

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


class FrozenClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fold(*events: tuple[str, dict], start: datetime = T0, state: ClusterState | None = None) -> ClusterState:
    """Apply (type, object) pairs one second apart, as a watch would deliver them."""
    state = state if state is not None else ClusterState()
    base = state.now + timedelta(seconds=1) if state.now else start
    for offset, (type_, obj) in enumerate(events):
        state.apply(WatchEvent(type_, obj, base + timedelta(seconds=offset)))
    return state


class GridApp(App[None]):
    """Only the grid, fed by the test, recording what it posts."""

    def __init__(self, state: ClusterState) -> None:
        super().__init__()
        self.state = state
        self.selections: list[StatefulSetGrid.CellSelected] = []

    def compose(self) -> ComposeResult:
        yield StatefulSetGrid()

    def on_mount(self) -> None:
        self.query_one(StatefulSetGrid).sync(self.state)
        self.query_one(StatefulSetGrid).focus()

    def on_stateful_set_grid_cell_selected(self, message: StatefulSetGrid.CellSelected) -> None:
        self.selections.append(message)


def screen_lines(grid: StatefulSetGrid) -> list[str]:
    """What the grid shows, line by line, without trailing blanks."""
    return [grid.render_line(y).text.rstrip() for y in range(grid.scrollable_content_region.height)]


def event_index(recordings: Path, scenario: str, checkpoint: str) -> int:
    """`event_index` of a truth file: how many merged.jsonl lines kubectl's snapshot saw."""
    [path] = (recordings / scenario).glob(f"truth-*-{checkpoint}.json")
    return json.loads(path.read_text())["event_index"]


def paused_replay(path: Path, index: int):
    """The replay screen's app on the recording at `path`, paused after `index` events, and its Player."""
    from stsviz.sources.replay.formats import load_recording
    from stsviz.sources.replay.player import Player
    from stsviz.ui.app import StsvizApp, replay_setup

    player = Player(load_recording([path]))
    player.pause()
    player.seek_index(index)
    return StsvizApp(replay_setup(player, title=path.name)), player
