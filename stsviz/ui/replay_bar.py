"""The replay status bar: play state, position, offset/duration and speed.

While a seek runs off the UI loop it says "seeking" and where to instead.

It reads the player it is given and repaints only when the line would change,
so calling it on every tick of a playing replay is cheap.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from stsviz.render.timefmt import offset
from stsviz.render.timeline import MARK, MARK_STYLE, describe_mark
from stsviz.ui.frame_source import ReplayControls

PLAYING = Style(color="green", bold=True)
PAUSED = Style(color="yellow", bold=True)
LABEL = Style(dim=True)
SEEKING = Style(color="cyan", bold=True)


def speed_label(speed: float) -> str:
    return f"{speed:g}x"


def status_line(player: ReplayControls) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    pending = player.pending
    if pending is not None:
        # The fold runs in a thread: the keys still answer, and say where the screen is going.
        text.append(" … seeking ", SEEKING)
        text.append("  event ", LABEL)
        text.append(f"{player.position} → {pending}/{len(player.recording)}")
        return text
    if player.playing:
        text.append(" ▶ playing ", PLAYING)
    elif player.at_end and not player.loading:  # at what has loaded so far, it is only paused
        text.append(" ■ at end  ", PAUSED)
    else:
        text.append(" ‖ paused  ", PAUSED)
    text.append("  event ", LABEL)
    text.append(f"{player.position}/{len(player.recording)}")
    text.append("  time ", LABEL)
    text.append(f"{offset(player.offset)} / {offset(player.duration)}")
    text.append("  speed ", LABEL)
    text.append(speed_label(player.speed))
    mark = None if player.playing else player.mark_here()
    if mark is not None:  # stepped or clicked onto a ◆: what it was
        text.append(f"  {MARK} ", MARK_STYLE)
        text.append(describe_mark(mark))
    return text


class ReplayStatus(Static):
    """One line under the grid while replaying."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def show(self, player: ReplayControls) -> None:
        text = status_line(player)
        if text != self._shown:
            self._shown = text
            self.update(text)
