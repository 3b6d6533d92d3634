"""The revisions panel (`H`, "history"): shown in the detail area, as `v` shows volumes.

It lists the selected set's ControllerRevisions newest first; up/down select
one and the diff below follows (selected -> update revision); Escape (or `H`)
goes back. The screen hands it the state after every frame, as it does the
detail pane; the panel keeps which revision is selected, by name, from the
first frame it shows, so a new frame never moves the selection (until it is
closed). `u` (the screen's, through the gate) rolls
back to the selected revision.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from stsviz.model import ClusterState, SetRow
from stsviz.model.records import SetKey
from stsviz.model.revisions import RevisionView, default_selection
from stsviz.render.revisions import describe_revisions


class RevisionsPanel(VerticalScroll, can_focus=True):
    """A set's revisions, the selected one's diff against the update revision."""

    BINDINGS = [
        Binding("up,k", "select(-1)", "Newer", id="revisions.newer", show=False, tooltip="Select a newer revision"),
        Binding("down,j", "select(1)", "Older", id="revisions.older", show=False, tooltip="Select an older revision"),
        Binding("escape", "close", "Back", id="revisions.back", tooltip="Back to the pod's detail"),
    ]

    class Closed(Message):
        """Escape: the screen goes back to the detail pane."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None
        self._set: SetKey | None = None
        self._selected: str | None = None  # the selected revision's name
        self._args: tuple[ClusterState, SetRow | None, datetime | None, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="revisions-body")

    def show(
        self, state: ClusterState, row: SetRow | None, now: datetime | None, *, undo_note: str | None = None
    ) -> None:
        self._args = (state, row, now, undo_note)
        key = row.set.key if row is not None else None
        if key != self._set:
            self._set, self._selected = key, None  # another set: start from its default
        if self._selected is None and row is not None and (first := default_selection(row.revisions)) is not None:
            # Held by name from the first frame it shows on: the default moves when the revisions do (after
            # an undo it would land on the revision just rolled away from, and `u` would roll forward again).
            self._selected = first.name
        self._render_panel()

    def forget(self) -> None:
        """Closed: opened again, the panel starts from the set's default selection."""
        self._set = self._selected = None

    @property
    def selected(self) -> RevisionView | None:
        """The selected revision of the shown set: its default, held by name from the first frame, or the one
        up/down chose."""
        row = self._args[1] if self._args is not None else None
        if row is None or not row.revisions:
            return None
        chosen = next((view for view in row.revisions if view.name == self._selected), None)
        return chosen or default_selection(row.revisions)

    def action_select(self, delta: int) -> None:
        row = self._args[1] if self._args is not None else None
        selected = self.selected
        if row is None or selected is None:
            return
        index = row.revisions.index(selected)
        self._selected = row.revisions[max(0, min(len(row.revisions) - 1, index + delta))].name
        self._render_panel()

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def _render_panel(self) -> None:
        if self._args is None:
            return
        state, row, now, undo_note = self._args
        text = describe_revisions(state, row, self.selected, now, undo_note=undo_note)
        if text != self._shown:
            self._shown = text
            self.query_one("#revisions-body", Static).update(text)

    @property
    def text(self) -> str:
        """What the panel shows, as plain text (for tests and copy/paste)."""
        return self._shown.plain if self._shown is not None else ""
