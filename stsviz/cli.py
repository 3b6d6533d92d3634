"""Command line: `stsviz replay ...` (and `python -m stsviz`).

Parsing and dispatch only. Bad input ends in one line on stderr and exit 2,
never a traceback: the user may be mid-incident and pasting output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stsviz import __version__
from stsviz.examples import DESCRIPTIONS, example_path

EXIT_OK = 0
EXIT_USAGE = 2


class UsageError(Exception):
    """A one-line problem with what the user asked for."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stsviz",
        description="Watch Kubernetes StatefulSet rollouts in the terminal, live or replayed.",
    )
    parser.add_argument("--version", action="version", version=f"stsviz {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    replay = commands.add_parser(
        "replay",
        help="replay recorded watch streams (stsviz recordings or kubectl -w captures)",
        description=(
            "Replay stsviz recordings or `kubectl get TYPE -w --output-watch-events -o json` "
            "captures (one file per type; gzip welcome). Files are merged by resourceVersion."
        ),
    )
    replay.add_argument("files", nargs="*", metavar="FILE", help="recording files")
    replay.add_argument(
        "--example",
        metavar="NAME",
        help=f"replay a bundled example recording: {', '.join(DESCRIPTIONS)}",
    )
    replay.add_argument("--list-examples", action="store_true", help="list the bundled examples")
    replay.add_argument(
        "--at",
        metavar="WHEN",
        help="start at: end, +SECONDS from the start, or an RFC3339 time (default: the start; "
        "with --plain/--json: the end)",
    )
    output = replay.add_mutually_exclusive_group()
    output.add_argument("--plain", action="store_true", help="print the frame at --at as text and exit")
    output.add_argument("--json", action="store_true", help="print the frame at --at as JSON and exit")
    replay.add_argument("--color", action="store_true", help="with --plain: keep the screen's colours")
    replay.add_argument("--paused", action="store_true", help="open the replay screen paused")
    replay.add_argument("--speed", type=float, default=1.0, metavar="X", help="playback speed (default 1)")
    replay.add_argument(
        "--stall-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="call a rollout stalled after this long without progress (default 300)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "replay":
            from stsviz.replay_command import run_replay

            return run_replay(args)
        parser.print_usage(sys.stderr)
        raise UsageError("choose a command; try `stsviz replay --example web-lifecycle`")
    except UsageError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `stsviz replay --plain | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK


def fail(message: str) -> int:
    print(f"stsviz: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def resolve_files(args: argparse.Namespace) -> list[str]:
    files = list(args.files)
    if args.example:
        path = example_path(args.example)
        if path is None:
            raise UsageError(f"no example named {args.example!r}; choose one of: {', '.join(DESCRIPTIONS)}")
        files.append(str(path))
    if not files:
        raise UsageError("nothing to replay: give FILE arguments or --example NAME")
    return files
