"""`:` — k9s's command line, for what stsviz can switch: `:ns [NAME|all]` and `:ctx [NAME]`; `:q` quits.

Without a name, a picker offers the choices (the server's namespaces, the
kubeconfig's contexts). The screens here only ask; the rollout screen
switches the live source.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from stsviz.model.text import printable

ALL_NAMESPACES = "all"  # `:ns all`, as `-A`
COMMANDS = {
    **dict.fromkeys(("ns", "namespace", "namespaces"), "ns"),
    **dict.fromkeys(("ctx", "context", "contexts"), "ctx"),
    # k9s's: `:q` leaves, and `:sts` is the view stsviz always shows.
    **dict.fromkeys(("q", "q!", "quit"), "quit"),
    **dict.fromkeys(("sts", "statefulset", "statefulsets"), "sts"),
}


@dataclass(frozen=True)
class Command:
    """What the user typed after `:`: a verb (ns or ctx) and maybe its argument."""

    verb: str
    argument: str | None = None


def parse_command(text: str) -> Command | None:
    """`ns`, `ns shop`, `ns all`, `ctx`, `ctx kind-dev`, `q`, `sts` (k9s's spellings too); None for anything else."""
    words = text.strip().removeprefix(":").split()
    if not words or words[0].lower() not in COMMANDS:
        return None
    if len(words) > (2 if COMMANDS[words[0].lower()] in ("ns", "ctx") else 1):
        return None
    return Command(COMMANDS[words[0].lower()], words[1] if len(words) == 2 else None)


class CommandPrompt(ModalScreen[str | None]):
    """One line at the bottom: type `ns shop` or `ctx`, Enter runs it, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="ns [NAME|all] · ctx [NAME] · q", id="command-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Picker(ModalScreen[str | None]):
    """A list to choose one item from: Enter picks, Escape cancels; the current one is marked."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str, choices: list[str], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(Content(self.title_text), id="picker-title")
            # Names come from the cluster or the kubeconfig: Content, never markup nor a terminal escape.
            options = [
                Option(
                    Content(printable(("● " if choice == self.current else "  ") + choice, newlines=False)),
                    id=str(index),
                )
                for index, choice in enumerate(self.choices)
            ]
            yield OptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
