"""The `/` filter: an input whose value narrows the grid to matching sets.

It only reports: the app owns the grid and decides what a filter means.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """Type a namespace/name substring; Escape clears it and hands focus back."""

    BINDINGS = [
        Binding("escape", "dismiss", "Clear filter", id="filter.clear", tooltip="Clear the filter and close it")
    ]

    class Dismissed(Message):
        """Escape was pressed: clear the filter and close the bar."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter namespace/name", id=id)

    def action_dismiss(self) -> None:
        self.post_message(self.Dismissed())
