"""`stsviz` with no command: watch the cluster, or print one frame of it (`--plain/--json`).

The one-shot path connects, lists every kind once, prints the frame exactly as
`stsviz replay --plain/--json` does and exits, like `kubectl get`. Problems
end in one line on stderr, never a traceback: exit 2 for what the user can fix
here (kubeconfig, context, options, an unreachable server), 1 when the server
refused or failed. Every line printed is scrubbed of credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stsviz.commands.common import (
    EXIT_OK,
    ServerError,
    UsageError,
    can_draw,
    configure_logging,
    stall_seconds,
    user_settings,
)
from stsviz.model import build_frame
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable_line
from stsviz.render.output import write_frame
from stsviz.sources.live.config import ConfigError, Target, resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.scrub import one_line
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.wire import ApiError, Unreachable, Unreadable
from stsviz.sources.record.files import RecordFileError
from stsviz.sources.record.recorder import Recorder
from stsviz.sources.record.session import header_fields, server_version

NO_TERMINAL = (
    "the live screen needs a terminal that can draw (not a pipe, nor TERM=dumb): use --plain or --json for one frame, "
    "or choose a command; try `stsviz replay --example web-lifecycle`"
)


def run_live(args: argparse.Namespace) -> int:
    one_shot = args.live_plain or args.live_json
    if args.live_color and not args.live_plain:
        raise UsageError("--color only applies to --plain")
    if args.record and one_shot:
        raise UsageError("--record records while the live screen runs; to record without it: stsviz record -o FILE")
    stall_after = stall_seconds(args.live_stall_after, DEFAULT_STALL_SECONDS)
    if args.selector is not None and not args.selector.strip():
        raise UsageError("-l/--selector needs a label selector, e.g. app=web")
    if not one_shot and not can_draw():
        raise UsageError(NO_TERMINAL)
    settings = user_settings()
    try:
        target = resolve_target(args.kubeconfig, args.context)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    namespace = None if args.all_namespaces else (args.namespace or target.namespace)
    scope = Scope(namespace, args.selector)
    if one_shot:
        configure_logging(sys.stderr)
        return asyncio.run(
            print_frame(target, scope, as_json=args.live_json, color=args.live_color, stall_after=stall_after)
        )
    configure_logging(None)  # stderr belongs to the screen now
    from stsviz.ui.app import run_live_app
    from stsviz.ui.live import LiveFrameSource

    recorder = start_recorder(args.record, target, scope) if args.record else None
    try:
        live = LiveFrameSource(LiveSource(target, scope, tap=recorder), recorder=recorder)
        return run_live_app(
            live,
            description=f"{target.describe()} {scope.describe()}",
            stall_seconds=stall_after,
            read_only=args.read_only,
            settings=settings,
            action_listeners=(record_action(recorder),) if recorder is not None else (),
        )
    finally:
        if recorder is not None:
            recorder.close()
            print(f"stsviz: recorded {recorder.describe()} to {printable_line(args.record)}", file=sys.stderr)
            if recorder.warning:
                print(f"stsviz: warning: {printable_line(recorder.warning)}", file=sys.stderr)


def record_action(recorder: Recorder) -> Callable[[Any, str, bool], None]:
    """A gate listener that writes each change sent from the screen, and its outcome, as a marker."""

    def write(action: Any, outcome: str, ok: bool) -> None:
        recorder.mark("action", action=action.summary, kubectl=action.kubectl(), outcome=outcome, ok=ok)

    return write


def start_recorder(path: str, target: Target, scope: Scope) -> Recorder:
    """`--record FILE`: the recorder the live screen's source taps, started (the file is open).

    The server's version goes in the header when it answers; when it does not,
    the screen says why as it always does, and the recording starts anyway.
    """
    from stsviz import __version__

    async def probe() -> dict[str, str] | None:
        source = LiveSource(target, scope)
        try:
            return await server_version(source)
        except (ConfigError, ApiError, Unreachable):
            return None
        finally:
            await source.close()

    version = asyncio.run(probe())
    recorder = Recorder(path, header=header_fields(target, scope, version, __version__))
    try:
        return recorder.start()
    except RecordFileError as error:
        raise UsageError(str(error)) from None


async def print_frame(target: Target, scope: Scope, *, as_json: bool, color: bool, stall_after: float) -> int:
    """List every kind once and print the frame; the exit code."""
    source = LiveSource(target, scope)
    try:
        state, warnings = await source.snapshot()
    except ConfigError as error:
        raise UsageError(str(error)) from None
    except Unreadable as error:  # it answered, with JSON of another shape: the server's fault, as a 5xx
        raise ServerError(f"{target.address}: {error}") from None
    except Unreachable as error:
        raise UsageError(f"cannot reach {target.address}: {error}") from None
    except ApiError as error:
        raise ServerError(f"{target.address}: {error}") from None
    finally:
        await source.close()
    for warning in warnings:
        print(f"stsviz: warning: {printable_line(one_line(warning))}", file=sys.stderr)
    frame = build_frame(state, now=datetime.now(UTC), stall_seconds=stall_after)
    write_frame(frame, as_json=as_json, color=color)
    return EXIT_OK
