"""The detail pane: everything about the selected cell's pod, scrollable.

The app hands it the current row and cell after every frame and selection
change; it re-renders only when the text it would show has changed.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from stsviz.model import Cell, ClusterState, SetRow
from stsviz.render.describe import Kubectl, describe
from stsviz.render.volumes import describe_volumes
from stsviz.ui.service_checks import Answer


class PodDetail(VerticalScroll, can_focus=True):
    """The selected pod (or missing ordinal), its claims, events and the set's verdict.

    Tab focuses it, so the keyboard scrolls it (arrows, PageUp/PageDown, Home/End)
    on a terminal too small to show it whole; Tab or Escape go back to the grid.
    """

    BINDINGS = [
        # Shown: Tab into the pane changed nothing in the footer, and how to leave it was not said.
        Binding("escape", "app.focus_next", "Back", id="detail.back", tooltip="Back to the grid"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: Text | None = None
        self._subject: tuple[object, int | None] | None = None  # the set and ordinal shown
        self.volumes = False  # `v`: the ordinal's claims instead of its pod

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body")

    def show(
        self,
        state: ClusterState,
        row: SetRow | None,
        cell: Cell | None,
        now: datetime | None,
        *,
        events_note: str | None = None,
        volumes_note: str | None = None,
        service: Answer = None,
        kubectl: Kubectl | None = None,
    ) -> None:
        if self.volumes:
            text = describe_volumes(state, row, cell, now, volumes_note=volumes_note)
        else:
            text = describe(state, row, cell, now, events_note=events_note, service=service, kubectl=kubectl)
        # Rebuilding the text is cheap; repainting the pane every frame is not.
        if text != self._shown:
            self._shown = text
            subject = (row.key if row is not None else None, cell.ordinal if cell is not None else None)
            if subject != self._subject:
                # Another pod: from the top, where the verdict and the controller's notes are. The same pod's
                # new text keeps the scroll (ages change every second; a wheel-scrolled pane snapped back).
                self._subject = subject
                if self.scroll_y:
                    self.scroll_home(animate=False, immediate=True)
            body = self.query_one("#detail-body", Static)
            # A layout of the whole screen costs ~12 ms at 160x45 (most of a key's time): the new text
            # is laid out again only when it takes another number of lines than the shown one did.
            height, width = body.size.height, body.size.width
            body.update(text, layout=False)
            if not width or body.get_content_height(self.size, self.app.size, width) != height:
                body.refresh(layout=True)

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests and copy/paste)."""
        return self._shown.plain if self._shown is not None else ""
