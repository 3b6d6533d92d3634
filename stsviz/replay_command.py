"""`stsviz replay`: load recordings, then print one frame or open the replay screen."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import orjson

from stsviz.cli import EXIT_OK, UsageError, resolve_files
from stsviz.examples import DESCRIPTIONS
from stsviz.model import build_frame
from stsviz.model.frame import Frame, rfc3339
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable_line
from stsviz.sources.replay.formats import ReplayInputError, load_recording
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
    stall_seconds = DEFAULT_STALL_SECONDS if args.stall_after is None else args.stall_after
    if not 0 < stall_seconds < math.inf:
        raise UsageError("--stall-after must be a positive number of seconds")
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
        frame = build_frame(player.state, now=now, stall_seconds=stall_seconds)
        write_frame(frame, as_json=args.json, color=args.color)
        return EXIT_OK
    from stsviz.ui.app import run_replay_app

    if not args.paused:
        player.play()  # like a video: it runs until you press space
    names = [Path(name).name for name in args.files]
    if args.example:
        names.append(f"example {args.example}")
    # File names are shown in the header: a name may carry escape sequences too.
    return run_replay_app(player, title=printable_line(", ".join(names)), stall_seconds=stall_seconds)


def write_frame(frame: Frame, *, as_json: bool, color: bool) -> None:
    """One frame on stdout: the JSON contract, or the screen's rows as text."""
    if as_json:
        document = frame.to_json()
        try:
            data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        except TypeError:  # a lone surrogate from a hand-edited file: orjson refuses it, say it as \ud800
            data = json.dumps(document, indent=2).encode()
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
        return
    from stsviz.ui.rows import plain_frame

    lines = plain_frame(frame.rows, color=color)
    time_line = f"time {rfc3339(frame.time) or 'unknown'}"
    if color:
        from rich.console import Console

        console = Console(force_terminal=True, soft_wrap=True, highlight=False)
        console.print(time_line, markup=False)
        for line in lines:
            console.print(line)
        return
    out = sys.stdout
    out.reconfigure(errors="replace")  # a lone surrogate in a name prints as "?", not a traceback
    out.write(time_line + "\n")
    for line in lines:
        out.write(line.plain.rstrip() + "\n")
    out.flush()
