"""The StatefulSet grid on its own: shared renderer, wrapping, cursor, clicks, filter, partial redraws."""

from __future__ import annotations

from datetime import timedelta

from textual.geometry import Region

from stsviz.model import build_frame
from stsviz.render.rows import plain_frame
from stsviz.ui.grid import StatefulSetGrid
from tests.k8s_objects import pod, statefulset
from tests.ui.helpers import GridApp, fold, screen_lines


def two_sets():
    return fold(
        ("ADDED", statefulset("web", replicas=3, status={"updateRevision": "web-new"})),
        ("ADDED", statefulset("db", uid="db-uid", replicas=2, status={"updateRevision": "db-new"})),
        ("ADDED", pod("web-0")),
        ("ADDED", pod("web-1", ready=False, waiting="CrashLoopBackOff")),
        ("ADDED", pod("db-0", owner="db", revision="db-old")),
    )


async def test_rows_are_drawn_by_the_shared_renderer_like_plain():
    state = two_sets()
    app = GridApp(state)
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        expected = [line.plain.rstrip() for line in plain_frame(build_frame(state).rows)]
        assert screen_lines(grid)[: len(expected)] == expected
        assert screen_lines(grid)[0].split() == ["STATEFULSET", "READY", "UPDATED", "VERDICT", "PODS"]


async def test_a_row_wraps_under_the_pods_column_when_cells_exceed_the_width():
    state = fold(("ADDED", statefulset("web", replicas=60)))
    app = GridApp(state)
    async with app.run_test(size=(70, 12)):
        grid = app.query_one(StatefulSetGrid)
        lines = screen_lines(grid)
        indent = lines[0].index("PODS")
        per_line = grid.scrollable_content_region.width - indent
        assert lines[1][indent:] == "." * per_line
        rest = 60 - per_line
        wrapped = [line for line in lines[2:] if line]
        assert all(line[:indent].strip() == "" for line in wrapped)
        assert "".join(line[indent:] for line in wrapped) == "." * rest


async def test_arrows_move_the_cursor_across_ordinals_and_sets():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        # Sorted by namespace/name: default/db first.
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "db"), 0)
        await pilot.press("right", "right", "right")  # db has two ordinals: stops at the last
        assert grid.selected_cell.ordinal == 1
        await pilot.press("down")  # keeps the ordinal on the next set
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "web"), 1)
        assert grid.selected_cell.pod.name == "web-1"
        await pilot.press("end")
        assert grid.selected_cell.ordinal == 2 and grid.selected_cell.pod is None
        await pilot.press("home", "up")
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "db"), 0)
        await pilot.pause()
        last = app.selections[-1]
        assert (last.set_key, last.ordinal) == (("default", "db"), 0)
        assert last.control is grid


async def test_the_cursor_cell_is_drawn_reversed_and_moves():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        indent = screen_lines(grid)[0].index("PODS")

        def reversed_columns(y: int) -> list[int]:
            x, columns = 0, []
            for segment in grid.render_line(y):
                if segment.style and segment.style.reverse and x >= indent:
                    columns.append(x)
                x += segment.cell_length
            return columns

        assert reversed_columns(1) == [indent] and reversed_columns(2) == []
        await pilot.press("down", "right")
        assert reversed_columns(1) == [] and reversed_columns(2) == [indent + 1]


async def test_a_click_selects_the_set_and_the_cell_under_it():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        indent = screen_lines(grid)[0].index("PODS")
        await pilot.click(StatefulSetGrid, offset=(indent + 2, 2))
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "web"), 2)
        await pilot.click(StatefulSetGrid, offset=(3, 1))  # on the name: same ordinal, clamped
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "db"), 1)


async def test_only_the_changed_row_is_rebuilt_and_refreshed():
    state = two_sets()
    app = GridApp(state)
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.pause()
        db_line, web_line = grid.render_line(1), grid.render_line(2)
        refreshed: list[tuple[Region, ...]] = []
        original = grid.refresh
        grid.refresh = lambda *regions, **kwargs: (refreshed.append(regions), original(*regions, **kwargs))[1]

        fold(("MODIFIED", pod("web-1")), state=state)  # web-1 recovers
        grid.sync(state)

        assert grid.render_line(1) is db_line  # cached strip, untouched
        assert grid.render_line(2) is not web_line
        assert "RR." in grid.render_line(2).text
        # One region, one line high, at web's line: not a full repaint.
        assert [[(r.y, r.height) for r in regions] for regions in refreshed] == [[(2, 1)]]


async def test_nothing_is_redrawn_when_nothing_changed():
    state = two_sets()
    app = GridApp(state)
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        before = [grid.render_line(y) for y in (1, 2)]
        grid.sync(state)
        assert [grid.render_line(y) for y in (1, 2)] == before


async def test_a_new_set_and_a_deleted_set_change_the_rows():
    state = two_sets()
    app = GridApp(state)
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        fold(
            ("ADDED", statefulset("api", uid="api-uid", replicas=1)),
            ("DELETED", statefulset("db", uid="db-uid", replicas=2)),
            state=state,
        )
        grid.sync(state)
        assert grid.visible_keys == [("default", "api"), ("default", "web")]
        # The cursor was on db, which is gone: it lands on a set that is shown.
        assert grid.cursor_key == ("default", "api")


async def test_a_fresh_state_after_a_seek_replaces_every_row():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        assert "RX." in grid.render_line(2).text
        # As after seeking back: a new fold where web has fewer pods, and db is not there yet.
        grid.sync(fold(("ADDED", statefulset("web", replicas=3)), ("ADDED", pod("web-0"))))
        assert grid.visible_keys == [("default", "web")]
        assert grid.render_line(1).text.split()[-1] == "r.."  # no updateRevision yet: lower case


async def test_filtering_everything_away_and_back_leaves_one_cursor():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("down")  # on web
        grid.name_filter = "db"
        grid.name_filter = "nothing"
        grid.name_filter = ""
        reversed_names = [
            y for y in (1, 2) if any(seg.style and seg.style.reverse for seg in list(grid.render_line(y))[:1])
        ]
        assert reversed_names == [1] and grid.cursor_key == ("default", "db")


async def test_the_cursor_follows_a_condemned_ordinal_that_disappears():
    state = fold(
        ("ADDED", statefulset("web", replicas=1)), ("ADDED", pod("web-0")), ("ADDED", pod("web-3", deleting=True))
    )
    app = GridApp(state)
    async with app.run_test(size=(100, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("end")
        assert grid.selected_cell.ordinal == 3 and grid.selected_cell.condemned
        fold(("DELETED", pod("web-3", deleting=True)), state=state)
        grid.sync(state)
        assert grid.selected_cell.ordinal == 0


async def test_the_filter_hides_rows_and_keeps_the_cursor_on_a_shown_one():
    app = GridApp(two_sets())
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        grid.name_filter = "web"
        assert grid.visible_keys == [("default", "web")]
        assert grid.cursor_key == ("default", "web")
        assert [line.split()[0] for line in screen_lines(grid) if line][1:] == ["default/web"]
        grid.name_filter = "nothing-matches"
        assert grid.visible_keys == [] and grid.selected_row is None


async def test_the_header_stays_while_rows_scroll_under_it():
    state = fold(*[("ADDED", statefulset(f"set-{n:03d}", uid=f"u{n}", replicas=2)) for n in range(40)])
    app = GridApp(state)
    async with app.run_test(size=(80, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("ctrl+end")
        await pilot.pause()
        lines = screen_lines(grid)
        assert lines[0].startswith("STATEFULSET")
        assert lines[-1].startswith("default/set-039")
        assert grid.cursor_key == ("default", "set-039")
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert screen_lines(grid)[1].startswith("default/set-000")


async def test_too_narrow_for_any_cell_the_grid_scrolls_sideways():
    app = GridApp(two_sets())
    async with app.run_test(size=(40, 10)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.pause()
        assert "PODS" not in screen_lines(grid)[0]
        grid.scroll_to(x=grid.max_scroll_x, animate=False)
        await pilot.pause()
        lines = screen_lines(grid)
        assert lines[0].endswith("PODS")
        column = lines[0].index("PODS")
        assert lines[2][column : column + 3] == "RX."  # default/web: ready, crash-looping, missing
        await pilot.click(StatefulSetGrid, offset=(column + 1, 2))
        assert (grid.cursor_key, grid.selected_cell.ordinal) == (("default", "web"), 1)


async def test_a_rollout_turns_stalled_with_time_alone():
    state = two_sets()  # web-1 crash-loops; db-1 was never created (a quota, a webhook refusing it)
    app = GridApp(state)
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        assert "stalled" not in grid.render_line(1).text
        assert "stalled" not in grid.render_line(2).text
        later = state.now + timedelta(minutes=6)
        grid.sync(state, now=later)  # no event, only the clock moved
        assert "stalled" in grid.render_line(2).text
        assert "stalled" in grid.render_line(1).text  # a pod missing for 6 minutes is as stuck as a failing one
        # The grid says what --plain says at that time.
        expected = [line.plain.rstrip() for line in plain_frame(build_frame(state, now=later).rows)]
        assert screen_lines(grid)[: len(expected)] == expected


async def test_a_stale_rows_cells_keep_their_letters_readable():
    """Faded, not blanked: black letters dimmed into a darkened cell could no longer tell R from r."""
    from textual.color import Color

    state = two_sets()
    app = GridApp(state)
    async with app.run_test(size=(100, 10)):
        grid = app.query_one(StatefulSetGrid)
        grid.set_stale(True)
        cells = [s for s in grid.render_line(2) if s.style and s.style.bgcolor and s.text.strip() in ("R", "r", "X")]
        assert cells, "the web row's cells"
        for segment in cells:
            style = segment.style
            letter, ground = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
            assert not style.dim
            assert abs(letter.brightness - ground.brightness) > 0.3, (segment.text, letter, ground)
