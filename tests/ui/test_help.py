"""`?` explains the screen (keys from the bindings, cell legend, verdicts); Ctrl+P offers every action and set."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Footer, Static

from stsviz.render.rows import GLYPHS
from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.help import HelpScreen
from stsviz.ui.palette import screen_actions
from stsviz.ui.screen import RolloutScreen

SIZE = (120, 40)


async def test_question_mark_lists_every_key_of_the_replay_screen_and_escape_closes_it(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        rollout = app.screen
        assert isinstance(rollout, RolloutScreen)
        expected = {active.binding.tooltip or active.binding.description for active in rollout.active_bindings.values()}
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(f"{key} {meaning}" for key, meaning in app.screen.key_lines())
        missing = {line for line in expected if line not in shown}
        assert not missing, missing
        assert "Play or pause the replay" in shown and "Leave stsviz" in shown
        await pilot.press("escape")
        assert app.screen is rollout


async def test_help_shows_every_glyph_of_the_legend_and_the_verdict_words(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        cells = str(app.screen.query_one("#help-cells").render())
        for state, (updated, old) in GLYPHS.items():
            assert f" {updated} {old}  {state}" in cells, state
        assert "|  the partition" in cells and ":  the end of the desired range" in cells
        assert " pN in UPDATED: the set's partition is N" in cells  # `3/5 p2` was explained nowhere
        verdicts = str(app.screen.query_one("#help-verdicts").render())
        for word in ("done", "stalled", "ondel N/M", "rolling N/M", "ready N/M", "observing"):
            assert f" {word}" in verdicts


async def test_j_and_k_scroll_the_help_as_the_arrows_do(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        body = app.screen.query_one("#help-body")
        await pilot.press("j", "j", "j")
        assert body.scroll_y == 3
        await pilot.press("k")
        assert body.scroll_y == 2


async def test_the_footer_shows_help_and_quit_first_even_at_80_columns(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        shown = " ".join(str(key.render()) for key in footer.children)
        assert " ".join(shown.split()).startswith("? Help q Quit space Play/Pause"), shown  # cut from the right


async def test_the_footer_shows_help(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        shown = " ".join(str(key.render()) for key in footer.children)
        assert "? Help" in shown, shown


async def test_replay_load_warnings_are_notified_and_listed_in_help(tmp_path, recordings, clock):
    lines = (recordings / "rolling" / "merged.jsonl").read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n")
    recording = load_recording([broken])
    assert recording.warnings
    player = Player(recording, clock=clock)
    app = StsvizApp(replay_setup(player, title="broken.jsonl", warnings=tuple(recording.warnings)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        # The one warning as it is, not a claim that "input was skipped" (a note about --at is not).
        assert [n.title for n in app._notifications] == ["While loading (? shows it again)"]
        assert notes == [recording.warnings[0]]
        await pilot.press("question_mark")
        shown = str(app.screen.query_one("#help-notes").render())
        assert "line 6" in shown


async def test_the_palette_goes_to_a_set_and_clears_a_filter_that_hides_it(recordings, clock):
    files = [recordings / "rolling" / "merged.jsonl", recordings / "scale" / "merged.jsonl"]
    player = Player(load_recording(files), clock=clock)
    player.seek_end()
    app = StsvizApp(replay_setup(player, title="rolling + scale"))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(StatefulSetGrid)
        await pilot.press("slash", *"rolling", "enter")
        assert grid.visible_keys == [("rolling", "web")]
        await pilot.press("ctrl+p")
        await pilot.press(*"go to scale/web")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert grid.cursor_key == ("scale", "web")
        assert grid.visible_keys == [("rolling", "web"), ("scale", "web")]


async def test_the_palette_offers_the_screen_actions_and_runs_them_like_the_key(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        player = app.setup.replay
        assert not player.playing
        await pilot.press("ctrl+p")
        await pilot.press(*"play/pause")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert player.playing


async def test_the_palette_lists_a_command_once_its_help_the_key_or_what_it_does(replay_app):
    """`Previous set` with `Previous set (↑)` under it read as the same command listed twice."""
    app = replay_app("rolling")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        offered = {name: help_text for name, help_text, _run in screen_actions(app.screen)}
    assert offered["Previous set"] == "↑"
    assert offered["Filter"] == "Show only sets whose namespace/name contains some text (/)"


async def test_help_says_how_to_close_it(replay_app):
    app = replay_app("rolling", 10)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-keys", Static).content)  # the heading above the keys
        assert "Escape, ? or q closes this" in console.export_text()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_demo_says_in_help_where_kubectl_reaches_it(tmp_path):
    """The dialogs' kubectl lines name the demo kubeconfig's context: help says which kubeconfig that is."""
    from stsviz.sim import SimCluster
    from stsviz.sources.live.config import resolve_target
    from stsviz.sources.live.kinds import Scope
    from stsviz.sources.live.source import LiveSource
    from stsviz.ui.app import live_setup
    from stsviz.ui.live import LiveFrameSource

    async with SimCluster(seed=3) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        note = f"kubectl reaches this demo cluster with: KUBECONFIG={kubeconfig} kubectl get sts -A"
        live = LiveFrameSource(LiveSource(resolve_target(str(kubeconfig)), Scope(None)), batch_interval=0.02)
        app = StsvizApp(live_setup(live, description="demo", notes=(note,)))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            shown = str(app.screen.query_one("#help-notes").render())
            assert " ".join(shown.split()) == f"Notes {note}"


def test_every_key_is_described_as_written_where_textual_reads_markup():
    """A footer key's tooltip is read as markup (the palette's help is escaped): `[NAME]` in one vanished."""
    from textual.content import Content

    for binding in [*RolloutScreen.BINDINGS, *StatefulSetGrid.BINDINGS]:
        text = binding.tooltip or binding.description
        assert Content.from_markup(text).plain == text, text
