"""`stsviz replay`: load recordings, then print one frame or open the replay screen."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from stsviz.commands.common import EXIT_OK, UsageError, can_draw, stall_seconds
from stsviz.examples import DESCRIPTIONS, example_path
from stsviz.model import build_frame
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable_line
from stsviz.model.times import rfc3339
from stsviz.render.output import write_frame
from stsviz.sources.replay.errors import ReplayInputError
from stsviz.sources.replay.formats import RecordingLoad, load_recording
from stsviz.sources.replay.player import MAX_SPEED, MIN_SPEED, Player, parse_at

NO_TERMINAL = (
    "the replay screen needs a terminal that can draw (not a pipe, nor TERM=dumb): use --plain or --json for one frame"
)


def run_replay(args: argparse.Namespace) -> int:
    if args.list_examples:
        for name, description in DESCRIPTIONS.items():
            print(f"{name:15} {description}")
        return EXIT_OK
    if args.color and not args.plain:
        raise UsageError("--color only applies to --plain")
    if not MIN_SPEED <= args.speed <= MAX_SPEED:  # also refuses nan
        raise UsageError(f"--speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}, not {args.speed:g}")
    stall_after = stall_seconds(args.stall_after, DEFAULT_STALL_SECONDS)
    files = resolve_files(args)
    one_shot = args.plain or args.json
    if not one_shot and not can_draw():
        raise UsageError(NO_TERMINAL)  # the screen would write escape codes into a pipe, and never end
    if not one_shot and args.at is None:
        return _replay_while_loading(args, files, stall_after)
    try:
        at = parse_at(args.at if args.at is not None else "end" if one_shot else "+0")
        # A one-shot frame of a big recording takes a while: say how far the load is, where a person sees it.
        progress = LoadProgress(sys.stderr) if one_shot and sys.stderr.isatty() else None
        try:
            recording = load_recording(files, progress)
        finally:
            if progress is not None:
                progress.clear()
    except ReplayInputError as error:
        raise UsageError(str(error)) from None
    for warning in recording.warnings:
        print(f"stsviz: warning: {printable_line(warning)}", file=sys.stderr)
    # One frame never seeks back: no checkpoints (one interval longer than the recording).
    player = Player(recording, checkpoint_every=len(recording) + 1 if one_shot else None)
    player.set_speed(args.speed)
    outside = player.seek_at(at)
    if one_shot:
        # The frame is of the moment asked for (`frame_time` is the playhead's), between two
        # events or after the last: a rollout can turn "stalled" with time alone.
        now, asked = player.frame_time, player.asked_time(at)
        if asked is not None and now is not None and asked > now:
            # The timeline's end, where `end` and G go: the recorder's stop when it came after the last event.
            outside = f"--at {at}: after the end of the recording ({rfc3339(now)}); as if nothing happened since"
            now = asked
        if outside is not None:
            print(f"stsviz: warning: {outside}", file=sys.stderr)
        frame = build_frame(player.state, now=player.verdict_time(now), stall_seconds=stall_after)
        write_frame(frame, as_json=args.json, color=args.color)
        return EXIT_OK
    from stsviz.ui.app import run_replay_app

    if not args.paused and not player.at_end and args.at is None:
        player.play()  # like a video: it runs until you press space (at the end, play would start over)
    # With --at it opens paused there: the moment asked for is what is to be looked at (playing left it at once).
    warnings = (*recording.warnings, *([outside] if outside is not None else []))
    return run_replay_app(player, title=_title(args), stall_seconds=stall_after, warnings=warnings)


# How long the screen waits for a load's first events before it opens anyway (with a progress bar).
FIRST_EVENTS_WAIT = 0.5


def _replay_while_loading(args: argparse.Namespace, files: list[str], stall_after: float) -> int:
    """The replay screen from the start of the recording, opened while the rest of it loads.

    A file that cannot be read at all says so before the screen opens, as a
    one-line error; one that turns out unusable later (only found at its end)
    closes the screen and says so the same way.
    """
    try:
        load = RecordingLoad(files)
    except ReplayInputError as error:
        raise UsageError(str(error)) from None
    # Imported before the load starts: importing beside it, on the same interpreter, takes twice as long.
    from stsviz.ui.app import run_replay_app

    load.start(hold_first_frame=True)
    deadline = time.monotonic() + FIRST_EVENTS_WAIT
    while not load.finished and len(load.recording) == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    if load.error is not None:
        raise UsageError(load.error)
    player = Player(load.recording)
    player.seek_offset(0.0)  # what happened at the very start, as `--at +0` shows it
    player.set_speed(args.speed)
    if not args.paused:
        player.play()  # like a video: it runs until you press space (and waits for what is loading)
    code = run_replay_app(player, title=_title(args), stall_seconds=stall_after, loading=load)
    load.cancel()
    if load.error is not None and load.error != "loading cancelled":
        raise UsageError(load.error)
    return code


def _title(args: argparse.Namespace) -> str:
    return replay_title(args.files, args.example)


# The longest file name the header shows whole: its title and the frame's time share 80 columns.
TITLE_NAME = 24


def replay_title(files: list[str], example: str | None = None) -> str:
    """The header's name for what is replayed: `rolling/merged.jsonl +2` (the first, and how many more).

    Short, so the frame's time beside it is never cut off at 80 columns: a name
    is its file's, with its folder when two files share one name, and at most
    TITLE_NAME characters (the end kept: it tells the files apart).
    """
    paths = [Path(name) for name in files]
    base = [path.name for path in paths]
    names = [f"{path.parent.name}/{path.name}" if base.count(path.name) > 1 else path.name for path in paths]
    if example:
        names.append(f"example {example}")
    if not names:
        return ""
    first = names[0] if len(names[0]) <= TITLE_NAME else "…" + names[0][-(TITLE_NAME - 1) :]
    more = f" +{len(names) - 1}" if len(names) > 1 else ""
    # File names are shown in the header: a name may carry escape sequences too.
    return printable_line(first + more)


class LoadProgress:
    """`stsviz: loading 42% (150 of 369 MB)` on a terminal's stderr, redrawn in place, erased when done.

    Nothing is drawn for a load that ends within DELAY seconds (most do), and
    the line is redrawn at most every INTERVAL: a redraw per slice read would
    cost more than the slice.
    """

    DELAY = 0.3  # seconds
    INTERVAL = 0.1

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.drawn = False
        self._next = clock() + self.DELAY

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now < self._next:
            return
        self._next = now + self.INTERVAL
        percent = done * 100 // total if total else 100
        self.stream.write(f"\rstsviz: loading {percent}% ({_megabytes(done)} of {_megabytes(total)} MB)\x1b[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Erase the line, so warnings and the frame start on a clean one."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f}"


def resolve_files(args: argparse.Namespace) -> list[str]:
    """The FILE arguments, then the bundled example if one was named."""
    files = list(args.files)
    if args.example:
        path = example_path(args.example)
        if path is None:
            raise UsageError(f"no example named {args.example!r}; choose one of: {', '.join(DESCRIPTIONS)}")
        files.append(str(path))
    if not files:
        raise UsageError("nothing to replay: give FILE arguments or --example NAME")
    return files
