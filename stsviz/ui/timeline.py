"""The replay timeline: one line over the status line that shows where the playhead is, and takes the mouse.

A click on it, or a drag along it, asks the screen to seek there (`Timeline.Scrub`);
the screen runs the fold off the UI loop and the latest position wins, so
dragging across a million events stays smooth. The line is drawn by
`stsviz.render.timeline` and repainted only when a cell of it would change.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from stsviz.render.timeline import cell_at, seconds_at, timeline
from stsviz.ui.frame_source import ReplayControls

# Cells left clear at each end, so the first and last moments are not under the terminal's edge.
MARGIN = 1


class Timeline(Widget):
    """`━━━━━◆━━●────◆────` across the screen: played, playhead, ahead, marks."""

    class Scrub(Message):
        """The user picked a moment on the timeline (seconds from the first event)."""

        def __init__(self, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._duration = 0.0
        self._playhead = 0.0
        self._marks: list[float] = []
        self._drawn: tuple[int, int, int] | None = None  # (width, head cell, tenths of the duration) as last drawn
        self._dragging = False

    @property
    def track_width(self) -> int:
        return max(0, self.size.width - 2 * MARGIN)

    def show(self, player: ReplayControls) -> None:
        """Follow the player; repaint only when the playhead moves to another cell or the span changes."""
        self._duration = player.duration or 0.0
        pending = player.pending_offset
        self._playhead = pending if pending is not None else player.offset or 0.0
        marks = player.mark_offsets  # a new list whenever a mark is added or placed anew
        width = self.track_width
        drawn = (width, cell_at(self._playhead, self._duration, width), round(self._duration * 10))
        if drawn != self._drawn or marks is not self._marks:
            self._drawn, self._marks = drawn, marks
            self.refresh()

    def render(self) -> Text:
        text = Text(" " * MARGIN, no_wrap=True, overflow="crop")
        text.append_text(timeline(self.track_width, self._duration, self._playhead, self._marks))
        return text

    def on_resize(self) -> None:
        self._drawn = None

    # -- the mouse: click, or press and drag ------------------------------------------

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return  # the left button only: others are the terminal's (paste, menus)
        self._dragging = True
        self.capture_mouse()
        self._scrub(event.x)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging and event.button == 1:
            self._scrub(event.x)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self._dragging = False
        self.release_mouse()

    def on_mouse_release(self, event: events.MouseRelease) -> None:
        # The capture ended without a button going up here (help or the palette opened mid-drag):
        # moving over the line afterwards must not seek.
        self._dragging = False

    def _scrub(self, x: int) -> None:
        width = self.track_width
        cell = max(0, min(width - 1, x - MARGIN))
        if cell != cell_at(self._playhead, self._duration, width):  # a drag within the playhead's cell: nothing new
            self.post_message(self.Scrub(seconds_at(cell, self._duration, width)))
