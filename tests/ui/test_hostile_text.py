"""Names from a cluster, a kubeconfig or a recording never reach the terminal as control characters.

A namespace, a set, an image or an annotation may carry ESC and friends: an OSC
sequence retitles the terminal, `ESC [2J` clears it. Every place the screen
shows such a string (rows, header, toasts, the palette, the dialogs, the
pickers) shows U+FFFD instead. Checked on what the screen draws, as text.
"""

from __future__ import annotations

from pathlib import Path

from textual.screen import ModalScreen

from stsviz.actions.verbs import Restart, Target
from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import Player
from stsviz.ui.app import StsvizApp, replay_setup
from stsviz.ui.dialogs import ConfirmDialog
from stsviz.ui.switcher import Picker
from tests.waiting import eventually

EVIL = "r\x1b]0;OWNED\x07\x1b[2J"  # retitles the window, then clears the screen
CONTROLS = {chr(code) for code in (*range(0x00, 0x0A), *range(0x0B, 0x20), 0x7F)}


def drawn(app: StsvizApp) -> str:
    """Every line the terminal would show now, as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_clean(text: str) -> None:
    found = {char for char in text if char in CONTROLS}
    assert not found, f"control characters drawn: {sorted(map(ord, found))}"


def evil_replay(recordings: Path, tmp_path: Path, clock) -> StsvizApp:
    """The rolling recording with its namespace renamed to EVIL (JSON-escaped in the file, as a server sends it)."""
    text = (recordings / "rolling" / "merged.jsonl").read_text()
    path = tmp_path / "evil.jsonl"
    escaped = EVIL.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    path.write_text(text.replace('"namespace":"rolling"', f'"namespace":"{escaped}"'))
    player = Player(load_recording([path]), clock=clock)
    player.pause()
    player.seek_end()
    return StsvizApp(replay_setup(player, title=f"evil.jsonl {EVIL}"))


async def test_the_rows_header_toasts_and_palette_show_no_control_character(recordings, tmp_path, clock):
    app = evil_replay(recordings, tmp_path, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "OWNED" in drawn(app)  # the namespace is shown...
        assert_clean(drawn(app))  # ...as text: the row and the header
        await pilot.press("d")  # "for all of it: kubectl describe ..." names the set
        await pilot.pause()
        assert app._notifications and all(
            not (set(note.message + note.title) & CONTROLS) for note in app._notifications
        )
        assert_clean(drawn(app))
        await pilot.press("ctrl+p", *"OWNED")
        await eventually(lambda: "Go to" in drawn(app), message="the palette's Go to entry")
        assert_clean(drawn(app))


async def test_dialogs_and_pickers_show_no_control_character(recordings, tmp_path, clock):
    app = evil_replay(recordings, tmp_path, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        action = Restart(Target(f"ctx{EVIL}", EVIL, f"web{EVIL}"))
        app.push_screen(ConfirmDialog(action, context=f"ctx{EVIL}", where=f"namespace {EVIL}", choices=("Restart",)))
        await eventually(lambda: isinstance(app.screen, ModalScreen))
        await pilot.pause()
        assert "OWNED" in drawn(app)
        assert_clean(drawn(app))
        await pilot.press("escape")
        app.push_screen(Picker("Context", [f"ctx{EVIL}", "other"], "other"))
        await eventually(lambda: isinstance(app.screen, Picker))
        await pilot.pause()
        assert "OWNED" in drawn(app)
        assert_clean(drawn(app))
