"""The dialogs in front of a change: the number dialog behind `s` and `p` (its range said as a range, and
why a number is refused said in the dialog: a toast at 80x24 covers its lower part), and the confirmation,
whose question, context and buttons stay in sight at 80x24."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widget import Widget
from textual.widgets import Button, Input, Label

from stsviz.actions.verbs import DeletePod, Target
from stsviz.ui.dialogs import ConfirmDialog, NumberDialog
from tests.ui.test_gate import said


def hint(app: App) -> str:
    return str(app.screen.query_one("#dialog-keys", Label).render())


async def test_the_range_reads_as_a_range_and_a_refused_number_is_said_in_the_dialog():
    app: App = App()
    told = said(app)  # type: ignore[arg-type]
    answers: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(NumberDialog("Partition of web", 2, maximum=3), answers.append)
        await pilot.pause()
        assert hint(app) == "0 to 3; Enter to go on, Escape to cancel"  # not "from 0", read as "currently 0"
        field = app.screen.query_one(Input)
        field.value = "9"
        await pilot.press("enter")
        assert hint(app) == "9 is out of range: 0 to 3. Enter to go on, Escape to cancel"
        assert told == [] and answers == []
        field.value = "3"
        await pilot.press("enter")
        assert answers == [3]


async def test_scale_has_no_upper_limit():
    app: App = App()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(NumberDialog("Scale web to", 3))
        await pilot.pause()
        assert hint(app) == "0 or more; Enter to go on, Escape to cancel"


def seen(widget: Widget) -> bool:
    """Drawn on the screen, and not under something else: what is at its first cell is it."""
    region = widget.region
    if not region or region.y < 0 or region.bottom > widget.screen.size.height:
        return False
    return widget.screen.get_widget_at(region.x, region.y)[0] is widget


@pytest.mark.parametrize("protected", [True, False], ids=["protected", "plain"])
async def test_the_question_the_context_and_the_buttons_stay_in_sight_at_80x24(replay_app, protected):
    """Ctrl+D on a stale, protected context is the tallest dialog: what it asks and where are never cut off."""
    app = replay_app("rolling")
    target = Target("prod-eu", "default", "web-0")
    alternatives = (
        f"Delete now: {target.kubectl('delete', 'pod', 'web-0', '--now')}",
        f"Force delete: {target.kubectl('delete', 'pod', 'web-0', '--grace-period=0', '--force')}",
    )
    dialog = ConfirmDialog(
        DeletePod(target, uid="uid-0", alternatives=alternatives),
        context="prod-eu",
        where="namespace default   statefulset web   ordinal 0",
        choices=("Delete", "Delete now", "Force delete"),
        type_to_confirm="web" if protected else None,
        stale="The screen is stale since 18:27:14: the cluster may have changed since what it shows.",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(dialog)
        await pilot.pause()
        await pilot.pause()
        labels = {str(label.render()): label for label in dialog.query(Label)}
        pinned = [labels["Delete pod web-0?"], labels["context   prod-eu"], *dialog.query(Button)]
        if protected:
            pinned.append(dialog.query_one("#type-to-confirm", Input))
        assert all(seen(widget) for widget in pinned), [w for w in pinned if not seen(w)]
        force = labels[alternatives[1]]
        for _ in range(10):  # the commands that did not fit scroll into sight; the rest stays
            await pilot.press("down")
        await pilot.pause()
        assert seen(force) and all(seen(widget) for widget in pinned)


async def test_a_confirm_dialog_is_not_covered_by_the_toast_of_the_change_before():
    """At 80x24 the last outcome's toast sat over the dialog's buttons until it expired."""
    from textual.app import App

    from stsviz.actions.verbs import Restart, Target
    from stsviz.ui.dialogs import ConfirmDialog

    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        app.notify("statefulset.apps/web rolled back; the cells follow as the watch reports it", timeout=20)
        await pilot.pause()
        assert len(app._notifications) == 1
        app.push_screen(ConfirmDialog(Restart(Target("ctx", "ns", "web")), context="ctx", where="ns/web"))
        await pilot.pause()
        assert len(app._notifications) == 0
