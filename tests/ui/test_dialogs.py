"""The number dialog behind `s` and `p`: its range said as a range, a number outside it refused with the range."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Label

from stsviz.ui.dialogs import NumberDialog
from tests.ui.test_gate import said


async def test_the_range_reads_as_a_range_and_a_number_outside_it_is_refused_with_it():
    app: App = App()
    told = said(app)  # type: ignore[arg-type]
    answers: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(NumberDialog("Partition of web", 2, maximum=3), answers.append)
        await pilot.pause()
        hint = str(app.screen.query(Label).last().render())
        assert hint.startswith("0 to 3;"), hint  # not "from 0", which read as "currently 0"
        field = app.screen.query_one(Input)
        field.value = "9"
        await pilot.press("enter")
        assert told == ["9 is out of range: 0 to 3"] and answers == []
        field.value = "3"
        await pilot.press("enter")
        assert answers == [3]


async def test_scale_has_no_upper_limit():
    app: App = App()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(NumberDialog("Scale web to", 3))
        await pilot.pause()
        assert str(app.screen.query(Label).last().render()).startswith("0 or more;")
