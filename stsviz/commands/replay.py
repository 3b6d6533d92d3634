"""`stsviz replay`: load recordings, then print one frame or open the replay screen."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stsviz.commands.common import EXIT_OK, UsageError, stall_seconds
from stsviz.examples import DESCRIPTIONS, example_path
from stsviz.model import build_frame
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable_line
from stsviz.render.output import write_frame
from stsviz.sources.replay.errors import ReplayInputError
from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import MAX_SPEED, MIN_SPEED, Player, parse_at


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
    try:
        at = parse_at(args.at or ("end" if one_shot else "+0"))
        recording = load_recording(files)
    except ReplayInputError as error:
        raise UsageError(str(error)) from None
    for warning in recording.warnings:
        print(f"stsviz: warning: {printable_line(warning)}", file=sys.stderr)
    # One frame never seeks back: no checkpoints (one interval longer than the recording).
    player = Player(recording, checkpoint_every=len(recording) + 1 if one_shot else None)
    player.set_speed(args.speed)
    player.seek_at(at)
    if one_shot:
        # The frame is of the moment asked for, which may be after the last event
        # (a rollout can turn "stalled" with time alone).
        now = player.frame_time
        if at.time is not None and now is not None:
            now = max(now, at.time)
        frame = build_frame(player.state, now=now, stall_seconds=stall_after)
        write_frame(frame, as_json=args.json, color=args.color)
        return EXIT_OK
    from stsviz.ui.app import run_replay_app

    if not args.paused:
        player.play()  # like a video: it runs until you press space
    names = [Path(name).name for name in args.files]
    if args.example:
        names.append(f"example {args.example}")
    # File names are shown in the header: a name may carry escape sequences too.
    title = printable_line(", ".join(names))
    return run_replay_app(player, title=title, stall_seconds=stall_after, warnings=tuple(recording.warnings))


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
