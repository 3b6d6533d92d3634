"""`?`: every key of the screen it was opened from, the cell legend and the verdict words.

The keys come from the screen's active bindings at the moment `?` is
pressed (the focused widget's, the screen's and the app's, minus those the
screen refuses in this mode), so the help never drifts from what the keys do.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from stsviz.render.legend import cell_legend, verdict_legend
from stsviz.render.timeline import timeline_legend

HEADING = "bold underline"
DIM_HINT = "dim"


def _rank(active: ActiveBinding) -> int:
    """stsviz's own keys (they carry an id) before Textual's; the screen's before the grid's and the app's."""
    ours = 0 if active.binding.id else 3
    if isinstance(active.node, Screen):
        return ours
    return ours + (2 if isinstance(active.node, App) else 1)


def _joined(keys: list[str]) -> str:
    """Keys that share a meaning on one line: `0-9` for a run of digits, else `a, b`."""
    if len(keys) > 2 and "".join(keys) in "0123456789":
        return f"{keys[0]}-{keys[-1]}"
    return ", ".join(keys)


class HelpScreen(ModalScreen[None]):
    """Keys, legend and verdicts; Escape, `?` or `q` closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", id="help.close", key_display="esc"),
        # k9s's vi keys scroll here too, as the arrows do.
        Binding("j", "scroll('down')", "Down", id="help.down", show=False),
        Binding("k", "scroll('up')", "Up", id="help.up", show=False),
    ]

    def __init__(self, mode: str, bindings: dict[str, ActiveBinding], notes: list[str] | None = None) -> None:
        super().__init__(id="help")
        self.mode = mode
        self.bindings = bindings
        self.notes = notes or []

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_down() if direction == "down" else body.scroll_up()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._keys(), id="help-keys")
            yield Static(self._section("Cells", cell_legend()), id="help-cells")
            yield Static(self._section("Verdicts", verdict_legend()), id="help-verdicts")
            if self.mode == "replay":
                yield Static(self._section("Timeline", timeline_legend()), id="help-timeline")
            if self.notes:
                notes = Text("\n".join(self.notes))  # warnings quote file and server text: plain Text
                yield Static(self._section("Notes", notes), id="help-notes")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def _section(self, title: str, body: Text) -> Text:
        text = Text()
        text.append(f"{title}\n", HEADING)
        text.append_text(body)
        return text

    def key_lines(self) -> list[tuple[str, str]]:
        """(key, what it does) for every active binding: stsviz's own first, then Textual's."""
        keys: dict[str, list[str]] = {}  # meaning -> its keys, in order
        for active in sorted(self.bindings.values(), key=_rank):
            binding = active.binding
            key = binding.key_display or self.app.get_key_display(binding)
            keys.setdefault(binding.tooltip or binding.description, []).append(key)
        return [(_joined(shared), meaning) for meaning, shared in keys.items()]

    def _keys(self) -> Group:
        """One row per key, its description wrapping in its own column."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, meaning in self.key_lines():
            table.add_row(Text(key), Text(meaning))
        heading = Text(f"Keys ({self.mode})", HEADING)
        heading.append("   Escape, ? or q closes this", DIM_HINT)  # the footer under it is the screen's
        return Group(heading, table)
