"""Moving around like k9s: vi keys, sort by name/health/age, only the sets not done, a filter typed in a burst."""

from __future__ import annotations

from textual import events

from stsviz.ui.app import StsvizApp
from stsviz.ui.frame_source import AppSetup
from stsviz.ui.grid import StatefulSetGrid
from tests.k8s_objects import pod, statefulset
from tests.ui.helpers import fold, screen_lines

SIZE = (120, 30)
DONE = {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1, "currentReplicas": 1}
DONE |= {"currentRevision": "web-new", "updateRevision": "web-new"}


class FixedSource:
    """A frame source that never changes: the state the test folded."""

    def __init__(self, state) -> None:
        self.state = state
        self.frame_time = state.now

    def tick(self) -> bool:
        return False


def sets(*specs: tuple[str, str, dict]) -> list[tuple[str, dict]]:
    """(name, creationTimestamp, status) per set, each with one pod web-0 style ordinal 0."""
    events_ = []
    for name, created, status in specs:
        sts = statefulset(name, replicas=1, status=status)
        sts["metadata"]["creationTimestamp"] = created
        events_.append(("ADDED", sts))
    return events_


def app_with(*events_: tuple[str, dict]) -> StsvizApp:
    state = fold(*events_)
    return StsvizApp(AppSetup(mode="replay", description="test", source=FixedSource(state)))


def crashing(name: str) -> dict:
    return pod(f"{name}-0", owner=name, ready=False, waiting="CrashLoopBackOff")


def healthy(name: str) -> dict:
    return pod(f"{name}-0", owner=name)


async def test_j_k_h_l_move_like_the_arrows():
    app = app_with(*sets(("a", "2026-11-25T10:00:00Z", DONE), ("b", "2026-11-25T11:00:00Z", DONE)))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        assert grid.cursor_key == ("default", "a")
        await pilot.press("j")
        assert grid.cursor_key == ("default", "b")
        await pilot.press("k")
        assert grid.cursor_key == ("default", "a")


async def test_sort_by_health_age_and_name_and_the_header_says_which():
    rolling = {"observedGeneration": 1, "readyReplicas": 1, "updateRevision": "web-new", "currentRevision": "old"}
    app = app_with(
        *sets(
            ("aa-done", "2026-11-25T12:00:00Z", DONE),
            ("bb-failing", "2026-11-25T10:00:00Z", {"observedGeneration": 1, "readyReplicas": 0}),
            ("cc-rolling", "2026-11-25T11:00:00Z", rolling),
        ),
        ("ADDED", healthy("aa-done")),
        ("ADDED", crashing("bb-failing")),
        ("ADDED", healthy("cc-rolling")),
    )
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        names = lambda: [key[1] for key in grid.visible_keys]  # noqa: E731
        assert names() == ["aa-done", "bb-failing", "cc-rolling"]
        await pilot.press("S")
        assert names() == ["bb-failing", "cc-rolling", "aa-done"]
        assert app.screen.sub_title.endswith(" · by health")
        await pilot.press("A")
        assert names() == ["aa-done", "cc-rolling", "bb-failing"]  # the newest first
        await pilot.press("N")
        assert names() == ["aa-done", "bb-failing", "cc-rolling"]
        assert "by " not in app.screen.sub_title


async def test_ctrl_z_shows_only_the_sets_that_are_not_done_and_again_all():
    app = app_with(
        *sets(("aa-done", "2026-11-25T12:00:00Z", DONE), ("bb-failing", "2026-11-25T10:00:00Z", {"readyReplicas": 0})),
        ("ADDED", healthy("aa-done")),
        ("ADDED", crashing("bb-failing")),
    )
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("ctrl+z")
        assert grid.visible_keys == [("default", "bb-failing")]
        assert app.screen.sub_title.endswith(" · not done only")
        assert grid.cursor_key == ("default", "bb-failing")
        await pilot.press("ctrl+z")
        assert len(grid.visible_keys) == 2


async def test_every_set_done_under_the_health_filter_says_so():
    app = app_with(*sets(("aa-done", "2026-11-25T12:00:00Z", DONE)), ("ADDED", healthy("aa-done")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+z")
        await pilot.pause()
        grid = app.query_one(StatefulSetGrid)
        assert "Every StatefulSet is done. Ctrl+Z shows them all." in " ".join(screen_lines(grid))


async def test_a_filter_typed_in_one_burst_keeps_every_key():
    """`/web<Enter>` arriving in one read: the keys come before the filter bar can take focus."""
    app = app_with(*sets(("web", "2026-11-25T12:00:00Z", DONE), ("db", "2026-11-25T12:00:00Z", DONE)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, character in (("slash", "/"), ("w", "w"), ("e", "e"), ("b", "b"), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await pilot.pause(0.3)
        grid = app.query_one(StatefulSetGrid)
        assert app.screen.filter_bar.value == "web"
        assert grid.visible_keys == [("default", "web")]
        assert app.focused is grid  # Enter handed the keys back to the grid
        await pilot.press("j")  # and they move the cursor, not the filter
        assert app.screen.filter_bar.value == "web"


async def test_tab_takes_the_keyboard_to_the_detail_pane_and_escape_brings_it_back(replay_app):
    app = replay_app("web-lifecycle")
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.query_one("#detail")
        await pilot.press("tab")
        assert app.focused is detail
        await pilot.press("pagedown")
        await pilot.pause()
        assert detail.scroll_y > 0  # at 80x24 the pane holds more than it shows
        await pilot.press("escape")
        assert isinstance(app.focused, StatefulSetGrid)


async def test_the_footer_says_how_to_leave_the_detail_pane_and_another_pod_is_shown_from_its_top(replay_app):
    """Tab into the pane left the footer as it was (how to get out was not said); and a pane scrolled down
    stayed scrolled for the next pod, its verdict and the controller's notes out of view."""
    app = replay_app("web-lifecycle")
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.query_one("#detail")
        await pilot.press("tab", "pagedown")
        await pilot.pause()
        assert detail.scroll_y > 0
        footer = app.screen._compositor.render_strips()[-1].text
        assert "esc Back" in " ".join(footer.split()), footer
        await pilot.press("escape", "right")
        await pilot.pause()
        assert detail.scroll_y == 0


async def test_clearing_the_filter_keeps_the_selected_set_in_view():
    many = [(f"set-{n:02d}", "2026-11-25T12:00:00Z", DONE) for n in range(40)]
    app = app_with(*sets(*many))
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("slash", *"set-3", "enter")
        await pilot.press("j", "j", "j")  # set-33
        assert grid.cursor_key == ("default", "set-33")
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert any(line.startswith("default/set-33") for line in screen_lines(grid))


async def test_v_follows_the_selected_ordinals_volumes_and_back(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one("#detail")
        await pilot.press("right", "v")
        assert detail.text.startswith("Volumes of web-1")
        assert "www-web-1" in detail.text and "phase     Bound" in detail.text
        await pilot.press("left")  # it follows the selection
        assert detail.text.startswith("Volumes of web-0")
        await pilot.press("v")
        assert detail.text.startswith("StatefulSet rolling/web")
