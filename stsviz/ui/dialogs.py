"""The dialogs in front of every change: a number to scale or partition to, and the confirmation.

The confirmation names the context, the namespace and the object (and
ordinal), shows the exact kubectl command that does the same, and whatever
the user should know first (an autoscaler that will undo a scale, OnDelete).
Focus starts on Cancel; `y` takes the first choice (the plain one: Delete,
not Delete now or Force delete, which are buttons), `c` copies its kubectl
command (the terminal's own copy would take the border and the line breaks
with it), `n` or Escape cancel.
For a protected context the set's name must be typed first: focus starts in
that field, and Enter there takes the first choice once the name is right.
Why a dialog does not go on (a name not typed, a number out of range) is said
in the dialog, where its keys are: a toast at 80x24 would cover the buttons.
The question, the context, the warnings, the name field and the buttons stay
in sight at any height; only the kubectl commands and the template diff
between them scroll (Up/Down), and buttons and field take one row each.
Cluster strings are Content, never markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from stsviz.actions.verbs import Action
from stsviz.model.text import printable


class ConfirmDialog(ModalScreen[str | None]):
    """Asks before a change: returns the chosen button's label, or None when cancelled."""

    BINDINGS = [
        Binding("y", "confirm", "Confirm", id="confirm.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm.no"),
        # The command wraps inside the border: a mouse copy breaks the JSON of a partition patch mid-token.
        Binding("c", "copy", "Copy the kubectl command", id="confirm.copy"),
        # The commands and the diff, when they do not all fit (nothing else in the dialog takes these keys).
        Binding("down", "scroll_middle(1)", "Scroll", show=False),
        Binding("up", "scroll_middle(-1)", "Scroll", show=False),
        Binding("pagedown", "scroll_middle(5)", "Scroll", show=False),
        Binding("pageup", "scroll_middle(-5)", "Scroll", show=False),
    ]

    def __init__(
        self,
        action: Action,
        *,
        context: str | None,
        where: str,
        choices: tuple[str, ...] = ("Confirm",),
        type_to_confirm: str | None = None,
        stale: str | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.stale = stale  # why what the screen shows may be out of date, when it is
        self.action = action
        self.context = context
        self.where = where
        self.choices = choices
        self.type_to_confirm = type_to_confirm

    def compose(self) -> ComposeResult:
        action = self.action
        # What is asked, where, and how to answer stay in sight at any height; the commands and the
        # template diff between them scroll (at 80x24 a protected or stale dialog lost its title).
        with Vertical(classes="dialog-body"):
            yield Label(_text(action.summary[:1].upper() + action.summary[1:] + "?"), classes="dialog-title")
            yield Label(_text(f"context   {self.context or '(in-cluster)'}"))
            yield Label(_text(self.where))
            with VerticalScroll(classes="dialog-middle", can_focus=False):
                yield Label(_text("the same with kubectl:"), classes="dialog-dim")
                yield Label(_text(action.kubectl()), classes="dialog-command")
                if action.alternatives:
                    # Every button's command is seen before it is pressed: "Delete now" sends at once.
                    yield Label(_text("the other choices:"), classes="dialog-dim")
                    for line in action.alternatives:
                        yield Label(_text(line), classes="dialog-command")
                if action.details:
                    yield Label(_text("it changes the pod template:"), classes="dialog-dim")
                    for line in action.details:
                        yield Label(_text(line), classes="dialog-diff")
            for warning in action.warnings:
                yield Label(_text(warning), classes="dialog-warning")
            if self.stale is not None:
                yield Label(_text(self.stale), classes="dialog-warning")
            if self.type_to_confirm is not None:
                text = f"This context is protected: type {self.type_to_confirm} to confirm"
                yield Label(_text(text), classes="dialog-warning")
                # No placeholder: the name greyed in an empty field reads as already typed.
                yield Input(id="type-to-confirm", compact=True)
            yield Label(_text(self._keys()), classes="dialog-dim", id="dialog-keys")
            with Horizontal(classes="dialog-buttons"):
                # One row each (compact): at 80x24 every row counts.
                yield Button("Cancel", id="cancel", variant="default", compact=True)
                for index, label in enumerate(self.choices):
                    yield Button(label, id=f"choice-{index}", variant="error" if index else "warning", compact=True)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Let the middle scroll when the whole would not fit: it takes what the pinned parts leave."""
        body = self.query_one(".dialog-body")
        middle = self.query_one(".dialog-middle", VerticalScroll)
        natural = body.virtual_size.height - middle.outer_size.height + middle.virtual_size.height
        body.set_class(natural > body.content_size.height, "-crowded")

    def action_scroll_middle(self, rows: int) -> None:
        self.query_one(".dialog-middle", VerticalScroll).scroll_relative(y=rows, animate=False)

    def _keys(self) -> str:
        first = self.choices[0]
        others = f"; Tab to {' or '.join(self.choices[1:])}" if len(self.choices) > 1 else ""
        if self.type_to_confirm is not None:
            return f"Enter: {first} once the name is typed{others}; Escape: cancel"
        return f"y: {first}{others}; c: copy the command; n or Escape: cancel"

    def on_mount(self) -> None:
        # A toast of the change before (its outcome, seen by now) sits over the buttons at 80x24: what is
        # to be confirmed comes first.
        self.app.clear_notifications()
        if self.type_to_confirm is not None:
            self.query_one("#type-to-confirm", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def _typed(self) -> bool:
        if self.type_to_confirm is None:
            return True
        return self.query_one("#type-to-confirm", Input).value.strip() == self.type_to_confirm

    def action_confirm(self) -> None:
        """The first choice: the only one, or the plain one of several."""
        if self._typed():
            self.dismiss(self.choices[0])
        else:
            self._refuse()

    def _refuse(self) -> None:
        _warn(self.query_one("#dialog-keys", Label), f"Type {self.type_to_confirm} first. {self._keys()}")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_copy(self) -> None:
        """The first choice's kubectl command to the clipboard (OSC 52: the terminal must allow it)."""
        command = self.action.kubectl()
        self.app.copy_to_clipboard(command)
        self.query_one("#dialog-keys", Label).update(_text(f"Copied: {command}. {self._keys()}"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif not self._typed():
            self._refuse()
        else:
            self.dismiss(self.choices[int((event.button.id or "choice-0").removeprefix("choice-"))])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_confirm()


class NumberDialog(ModalScreen[int | None]):
    """One whole number, prefilled; Enter takes it, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="number.cancel")]

    def __init__(self, title: str, value: int, *, minimum: int = 0, maximum: int | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.value = value
        self.minimum = minimum
        self.maximum = maximum

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label(_text(self.title_text), classes="dialog-title")
            yield Input(str(self.value), type="integer", id="number")
            yield Label(_text(f"{self._limits()}; {KEYS}"), classes="dialog-dim", id="dialog-keys")

    def _limits(self) -> str:
        # "from 0" under a prefilled 3 read as "currently 0": say the range as a range.
        if self.maximum is None:
            return f"{self.minimum} or more"
        return f"{self.minimum} to {self.maximum}"

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            number = int(event.value)
        except ValueError:
            self._refuse(f"A whole number, please: {self._limits()}")
            return
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            self._refuse(f"{number} is out of range: {self._limits()}")
            return
        self.dismiss(number)

    def _refuse(self, why: str) -> None:
        _warn(self.query_one("#dialog-keys", Label), f"{why}. {KEYS}")

    def action_cancel(self) -> None:
        self.dismiss(None)


KEYS = "Enter to go on, Escape to cancel"


def _text(line: str) -> Content:
    """A dialog's line: names, images, annotations from the cluster, never markup nor a terminal escape."""
    return Content(printable(line, newlines=False))


def _warn(label: Label, text: str) -> None:
    """Why the dialog did not go on, where its keys are said."""
    label.update(_text(text))
    label.set_class(False, "dialog-dim").set_class(True, "dialog-warning")
