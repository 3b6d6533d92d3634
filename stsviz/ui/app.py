"""The stsviz Textual app and its two entry points.

The app only holds the setup and the stylesheet; the rollout screen does the
work. `run_replay_app` is what `stsviz replay` runs; `run_live_app` what
`stsviz` with no command and `stsviz demo` run.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.driver import Driver
from textual.notifications import SeverityLevel

from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable
from stsviz.settings import Settings
from stsviz.ui.frame_source import AppSetup, LiveControls, Loading, ReplayControls
from stsviz.ui.palette import GoToSet, ScreenActions
from stsviz.ui.screen import RolloutScreen


class StsvizApp(App[int]):
    """StatefulSet rollouts, live or replayed."""

    CSS_PATH = "app.tcss"
    TITLE = "stsviz"
    # Ctrl+C quits at once, as kubectl and k9s do: mid-incident nobody wants a "really quit?".
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt")]
    # Ctrl+P offers the screen's actions and every set besides Textual's own commands (themes, keys, quit).
    COMMANDS = App.COMMANDS | {ScreenActions, GoToSet}

    def __init__(self, setup: AppSetup) -> None:
        super().__init__()
        self.setup = setup
        # "replay rec.jsonl — <time>": the mode first, and no app name taking columns the time needs at 80.
        self.title = f"{setup.mode} {setup.description}"

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast: what it says names sets, pods, images and servers' errors, so no character of it
        may reach the terminal as a control (an escape that clears the screen or retitles the window)."""
        message, title = printable(message), printable(title, newlines=False)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_mount(self) -> None:
        # SIGTERM (`kill`, `timeout`, a service manager): leave as `q` does, giving the shell its screen,
        # cursor and keyboard back (the default action left the screen drawn, the mouse captured); exit 143,
        # as a shell reports it. Not SIGHUP: the terminal is gone then, and a clean exit that writes to it
        # could hang; its default action ends the process at once (`stsviz demo` first removes its
        # kubeconfig folder: commands/demo.py).
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._terminated)

    def _terminated(self) -> None:
        self.exit(return_code=128 + signal.SIGTERM)

    def on_unmount(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":  # not imported elsewhere: it needs termios
            try:
                from stsviz.ui.driver import PromptDriver
            except ImportError:  # a Textual whose private parser moved: the stock driver quits 0.2 s slower
                return driver
            return PromptDriver  # `q` does not wait for the input thread's 0.1 s polls
        return driver

    def get_default_screen(self) -> RolloutScreen:
        return RolloutScreen(self.setup)


def replay_setup(
    player: ReplayControls,
    *,
    title: str,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    warnings: tuple[str, ...] = (),
    loading: Loading | None = None,
) -> AppSetup:
    """The app's setup for a replay Player; `title` names what is replayed (file names).

    `loading`: the recording is still being read (the screen shows how far, and its warnings once done).
    """
    return AppSetup(
        mode="replay",
        description=title,
        source=player,
        replay=player,
        stall_seconds=stall_seconds,
        warnings=warnings,
        loading=loading,
    )


def run_replay_app(
    player: ReplayControls,
    *,
    title: str,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    warnings: tuple[str, ...] = (),
    loading: Loading | None = None,
) -> int:
    """Run the replay screen until the user quits; the process exit code."""
    setup = replay_setup(player, title=title, stall_seconds=stall_seconds, warnings=warnings, loading=loading)
    app = StsvizApp(setup)
    app.run()
    _leaving()
    return app.return_code or 0


def live_setup(
    live: LiveControls,
    *,
    description: str,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    read_only: bool = False,
    settings: Settings | None = None,
    action_listeners: tuple[Callable[[Any, str, bool], None], ...] = (),
    notes: tuple[str, ...] = (),
) -> AppSetup:
    """The app's setup for a live source; `description` names the context and scope watched."""
    return AppSetup(
        mode="live",
        description=description + (" (read-only)" if read_only else ""),
        source=live,
        live=live,
        stall_seconds=stall_seconds,
        read_only=read_only,
        settings=settings or Settings(),
        action_listeners=action_listeners,
        notes=notes,
    )


def run_live_app(
    live: LiveControls,
    *,
    description: str,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    read_only: bool = False,
    settings: Settings | None = None,
    action_listeners: tuple[Callable[[Any, str, bool], None], ...] = (),
    notes: tuple[str, ...] = (),
) -> int:
    """Run the live screen until the user quits; the process exit code."""
    setup = live_setup(
        live,
        description=description,
        stall_seconds=stall_seconds,
        read_only=read_only,
        settings=settings,
        action_listeners=action_listeners,
        notes=notes,
    )
    app = StsvizApp(setup)
    app.run()
    _leaving()
    return app.return_code or 0


def _leaving() -> None:
    """The screen is closed and the process ends next: make that quick.

    At exit Python first walks the whole heap for reference cycles (every
    record of thousands of pods, a loaded recording): 0.1-0.3 s the user waits
    for at `q`, for nothing the exit does not free anyway. Frozen, it is skipped.
    """
    gc.freeze()
