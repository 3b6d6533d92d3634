"""Command line: `stsviz [live options]`, `stsviz replay|record|demo|sim ...` (and `python -m stsviz`).

Parsing and dispatch only: the work is in `stsviz.commands`, imported on use
so that `stsviz --help` never pays for kubernetes_asyncio or Textual. Bad input
ends in one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from stsviz import __version__
from stsviz.commands.common import EXIT_INTERRUPTED, EXIT_OK, CommandError, UsageError, fail
from stsviz.examples import DESCRIPTIONS
from stsviz.model.text import printable_line

# Live-mode options (the top level, no command): their dests, to refuse them with `replay`.
LIVE_OPTIONS = {
    "kubeconfig": "--kubeconfig",
    "context": "--context",
    "namespace": "--namespace",
    "all_namespaces": "--all-namespaces",
    "selector": "--selector",
    "read_only": "--read-only",
    "live_plain": "--plain",
    "live_json": "--json",
    "live_color": "--color",
    "live_stall_after": "--stall-after",
    "record": "--record",
}


class Parser(argparse.ArgumentParser):
    """The parser of stsviz and its commands. An option no parser knows is reported by the command it was
    given to (`stsviz demo --bogus` points at demo's --help), as argparse alone reports it at the top level."""

    commands: argparse._SubParsersAction | None = None

    def error(self, message: str) -> NoReturn:
        """One line, as every error of stsviz: what was wrong, and where the usage is (a usage block
        before it pushed the reason off an 80x24 screen's last line)."""
        self.exit(2, printable_line(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: None = None) -> argparse.Namespace:  # type: ignore[override]
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            words = list(sys.argv[1:] if args is None else args)
            command = self.commands.choices.get(parsed.command) if self.commands and parsed.command else None
            given_after = parsed.command in words and words.index(unknown[0]) > words.index(parsed.command)
            reporter = command if command is not None and given_after else self
            reporter.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="stsviz",
        description="Watch Kubernetes StatefulSet rollouts in the terminal, live or replayed. "
        "Without a command, stsviz watches the cluster of the current kubeconfig context.",
    )
    parser.add_argument("--version", action="version", version=f"stsviz {__version__}")
    add_live_options(parser)
    commands = parser.commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    replay = commands.add_parser(
        "replay",
        help="replay recorded watch streams (stsviz recordings or kubectl -w captures)",
        description=(
            "Replay stsviz recordings or `kubectl get TYPE -w --output-watch-events -o json` "
            "captures (one file per type; gzip welcome). Files are merged by receive time when"
            " each has one, else by resourceVersion; the parts of one rotated recording play in order."
        ),
    )
    add_demo_commands(commands)
    add_record_command(commands)
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
        help="start at, paused there: end, +SECONDS from the start, or an RFC3339 time (default: the start, "
        "playing; with --plain/--json: the end)",
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


# The demo's scenarios, in stsviz.sim.scenarios.SCENARIOS's order. Importing the demo cluster here
# would slow every command by a third of a second; tests/cli/test_demo.py checks the two agree.
SCENARIO_NAMES = (
    "rolling-update",
    "stuck-rollout",
    "scale-up-down",
    "canary-partition",
    "parallel",
    "pvc-pending",
    "ondelete",
    "many",
)


def add_demo_commands(commands: argparse._SubParsersAction) -> None:
    scenarios = ", ".join(SCENARIO_NAMES)
    demo = commands.add_parser(
        "demo",
        help="the live screen on an embedded demo cluster (no cluster needed)",
        description="Start an embedded Kubernetes-compatible demo cluster on 127.0.0.1, run a scenario "
        "on it, and watch it live through the same client path as a real cluster.",
    )
    demo.add_argument(
        "--scenario", default="rolling-update", metavar="NAME", help=f"one of: {scenarios} (default rolling-update)"
    )
    demo.add_argument(
        "--speed", type=float, default=2.0, metavar="X", help="cluster time runs X times faster (default 2)"
    )
    demo.add_argument(
        "--stall-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="call a rollout stalled after this many cluster seconds without progress (default 60)",
    )
    demo.add_argument(
        "--read-only", dest="demo_read_only", action="store_true", help="refuse every action that would change it"
    )
    sim = commands.add_parser(
        "sim",
        help="run the demo cluster alone, for kubectl and other clients",
        description="Serve the demo cluster on 127.0.0.1 until Ctrl+C. kubectl sends no token over "
        "plain http, so anonymous requests act as admin unless --auth strict.",
    )
    sim.add_argument("--port", type=int, default=0, metavar="P", help="port (default: any free one)")
    sim.add_argument("--kubeconfig-out", metavar="FILE", help="write a kubeconfig for the cluster here")
    sim.add_argument("--scenario", metavar="NAME", help=f"run a scenario: {scenarios} (default: none)")
    sim.add_argument("--speed", type=float, default=1.0, metavar="X", help="cluster time speed (default 1)")
    sim.add_argument(
        "--auth",
        choices=("open", "strict"),
        default="open",
        help="strict: refuse anonymous requests (default open: they act as admin)",
    )


def add_record_command(commands: argparse._SubParsersAction) -> None:
    record = commands.add_parser(
        "record",
        help="record the cluster's StatefulSets, pods, claims, Events, ControllerRevisions and PersistentVolumes "
        "to a file, until stopped",
        description="Watch the cluster as `stsviz` does, headless, and write every event to FILE "
        "(stsviz v1 JSON Lines, 0600, crash-safe; env values, commands, args, annotations and probes hashed). "
        "Ctrl+C or SIGTERM closes the file. Replay it with `stsviz replay FILE`.",
    )
    record.add_argument(
        "-o", "--output", metavar="FILE", help="the recording file (required; appended to if it is one)"
    )
    record.add_argument("--kubeconfig", dest="record_kubeconfig", metavar="FILE", help="kubeconfig file")
    record.add_argument("--context", dest="record_context", metavar="NAME", help="kubeconfig context")
    scope = record.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", dest="record_namespace", metavar="NS", help="record this namespace")
    scope.add_argument(
        "-A", "--all-namespaces", dest="record_all_namespaces", action="store_true", help="record every namespace"
    )
    record.add_argument(
        "-l",
        "--selector",
        dest="record_selector",
        metavar="SELECTOR",
        help="label selector for the StatefulSets (the other kinds are recorded whole)",
    )
    record.add_argument(
        "--rotate-size",
        metavar="SIZE",
        help="start a new part once the file holds SIZE (e.g. 100MB) recorded after the snapshot of every object "
        "that opens it, or as much as that snapshot if it is larger (so snapshots are at most half of what is "
        "written); closed parts are gzipped as FILE.N.gz",
    )
    record.add_argument(
        "--keep", type=int, default=None, metavar="N", help="rotated parts to keep (default 5; with --rotate-size)"
    )
    record.add_argument(
        "--no-redact",
        action="store_true",
        help="keep env values, commands, args, annotations and probes as they are"
        " (the header says so; objects are still pruned)",
    )


def add_live_options(parser: argparse.ArgumentParser) -> None:
    """Live mode's options, kubectl's spelling; they belong to the top level, not to `replay`."""
    live = parser.add_argument_group("live mode (no command)")
    live.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    live.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    scope = live.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", metavar="NS", help="watch this namespace (default: the context's)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    live.add_argument(
        "-l",
        "--selector",
        metavar="SELECTOR",
        help="label selector for the StatefulSets, as kubectl get sts -l (their pods and claims are all watched)",
    )
    live.add_argument("--read-only", action="store_true", help="refuse every action that would change the cluster")
    live.add_argument(
        "--record", metavar="FILE", help="record what the screen watches to FILE meanwhile (as `stsviz record -o FILE`)"
    )
    output = live.add_mutually_exclusive_group()
    output.add_argument(
        "--plain", dest="live_plain", action="store_true", help="print the current frame as text and exit"
    )
    output.add_argument(
        "--json", dest="live_json", action="store_true", help="print the current frame as JSON and exit"
    )
    live.add_argument("--color", dest="live_color", action="store_true", help="with --plain: keep the screen's colours")
    live.add_argument(
        "--stall-after",
        dest="live_stall_after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="call a rollout stalled after this long without progress (default 300)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in ("replay", "demo", "sim", "record"):
            given = [flag for dest, flag in LIVE_OPTIONS.items() if getattr(args, dest, None) not in (None, False)]
            if given:
                raise UsageError(
                    f"{', '.join(given)}: live-mode option{'s' if len(given) > 1 else ''}, not for "
                    f"`{args.command}` ({args.command}'s own options go after the word `{args.command}`)"
                )
        if args.command == "replay":
            from stsviz.commands.replay import run_replay

            return run_replay(args)
        if args.command == "record":
            from stsviz.commands.record import run_record

            return run_record(args)
        if args.command == "demo":
            from stsviz.commands.demo import run_demo

            return run_demo(args)
        if args.command == "sim":
            from stsviz.commands.demo import run_sim

            return run_sim(args)
        from stsviz.commands.live import run_live

        return run_live(args)
    except CommandError as error:
        return fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `stsviz replay --plain | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK
