"""The header: what is watched or replayed (the title), then its state (the sub-title), on one line.

Textual's Header centres "title — sub-title" between an 8-column icon and a
10-column space kept for a clock, and cuts the end: at 80 columns a long
context pushed the state ("watching", "not connected", "stale since T") off
the line. Here the icon takes 3 columns, there is no clock space, and the
title gives way first: its longest word, if long (an EKS or GKE context
name), is cut in the middle, keeping its head and the tail that names the
cluster, then the title's end; the sub-title stays whole while the title
keeps TITLE_FLOOR columns, but for a recording's byte count, which is the
first to go. Both are plain text (a context name is never markup).

It is built on Textual's public widgets only: subclassing Header would tie it
to Header's private parts (`textual.widgets._header`), which change between
releases.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from textual.app import ComposeResult, RenderResult
from textual.events import Click
from textual.widget import Widget

from stsviz.model.text import printable

SEPARATOR = " — "  # as App.format_title joins them
PART = " · "  # between the sub-title's parts: the state, the row order, the recording
REC = "rec"  # how the recording's part starts, and all of it that is kept when space is short
_LOST = re.compile(r", (\d+ lost)")  # the recorder's losses (Recorder.describe): kept when it is short
READ_ONLY = " (read-only)"  # the title's end in a read-only mode or context: never cut
RBAC_READ_ONLY = " (read-only: RBAC)"  # and where the user's RBAC allows none of the changes: never cut either
ELLIPSIS = "…"
TITLE_FLOOR = 12  # columns the title keeps even beside a long sub-title ("stopped: <why>")
LONG_WORD = 24  # a word longer than this (an EKS ARN, a GKE context) is cut in its middle before the title's end
WORD_FLOOR = 12  # and keeps at least this many columns ("ar…-payments")


def _cut_end(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending in an ellipsis if it was cut."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    kept = ""
    for char in text:
        if cell_len(kept + char) > width - 1:
            break
        kept += char
    return kept.rstrip() + ELLIPSIS


def _cut_middle(word: str, width: int) -> str:
    """`word` in `width` cells: a quarter its head, an ellipsis, the rest its tail (where contexts name the cluster)."""
    head = (width - 1) // 4
    tail = width - 1 - head
    return word[:head] + ELLIPSIS + word[len(word) - tail :]


def fit_header(title: str, sub_title: str, width: int) -> tuple[str, str]:
    """The title and sub-title to draw in `width` cells: while recording, the sub-title's last part (`rec
    rec.jsonl: 140 events, 107.3 KB`) shrinks to `rec` (and its warning, if any) before the title is cut."""
    fitted = fit_title(title, sub_title, width)
    parts = sub_title.split(PART)
    if fitted == title or not parts[-1].startswith(REC + " "):
        return fitted, sub_title
    # "rec NAME: N events, SIZE[, K lost][ (warning)]": the losses and the warning stay, the name and counts go.
    _name, _, progress = parts[-1].partition(": ")
    lost = _LOST.search(progress)
    warned = progress.find(" (")
    short = REC + (f" {lost.group(1)}" if lost else "") + (progress[warned:] if warned >= 0 else "")
    sub_title = PART.join([*parts[:-1], short])
    return fit_title(title, sub_title, width), sub_title


def fit_title(title: str, sub_title: str, width: int) -> str:
    """The title cut so that "title — sub_title" fits `width` cells, or to TITLE_FLOOR if the sub-title is long.

    A trailing "(read-only)" is kept whole: it is what must not be missed, and the end is what gets cut.
    """
    for end in (READ_ONLY, RBAC_READ_ONLY):
        if title.endswith(end) and title != end.strip():
            return fit_title(title.removesuffix(end), sub_title, width - cell_len(end)) + end
    room = width - (cell_len(SEPARATOR) + cell_len(sub_title) if sub_title else 0)
    room = max(room, min(TITLE_FLOOR, cell_len(title)))
    excess = cell_len(title) - room
    if excess <= 0:
        return title
    words = title.split(" ")
    longest = max(range(len(words)), key=lambda index: len(words[index]))
    word = words[longest]
    if word.isascii() and len(word) > LONG_WORD:
        words[longest] = _cut_middle(word, max(WORD_FLOOR, len(word) - excess))
        title = " ".join(words)
    return _cut_end(title, room)


class HeaderIcon(Widget):
    """The icon at the left, as Textual's: a click opens the command palette."""

    DEFAULT_CSS = """
    HeaderIcon {
        dock: left;
        padding: 0 1;
        width: 3;
    }
    HeaderIcon:hover {
        background: $foreground 10%;
    }
    """

    def on_mount(self) -> None:
        self.tooltip = "Open the command palette"

    async def on_click(self, event: Click) -> None:
        event.stop()
        await self.run_action("app.command_palette")

    def render(self) -> RenderResult:
        return "⭘"


class FittedTitle(Widget):
    """The title and sub-title, the title cut first to the width it is drawn at (again on every resize)."""

    DEFAULT_CSS = """
    FittedTitle {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        content-align: center middle;
        width: 100%;
    }
    """

    def render(self) -> RenderResult:
        # A screen's own title, else the app's: as Textual's Header chooses.
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        # A context or namespace name is the kubeconfig's or the user's: never a terminal escape.
        title, sub_title = printable(title, newlines=False), printable(sub_title, newlines=False)
        return app.format_title(*fit_header(title, sub_title, self.content_size.width))


class StatusHeader(Widget):
    """A one-line header: an icon, then "title — state" fitted to the width, with no clock."""

    DEFAULT_CSS = """
    StatusHeader {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def compose(self) -> ComposeResult:
        yield HeaderIcon()
        yield FittedTitle()

    def on_mount(self) -> None:
        title = self.query_one(FittedTitle)

        def redraw() -> None:
            title.refresh()

        for owner in (self.app, self.screen):
            self.watch(owner, "title", redraw, init=False)
            self.watch(owner, "sub_title", redraw, init=False)
