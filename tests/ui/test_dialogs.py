"""The number dialog behind `s` and `p`: its range said as a range, and why a number is refused said in
the dialog (a toast at 80x24 covers its lower part)."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Label

from stsviz.ui.dialogs import NumberDialog
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
