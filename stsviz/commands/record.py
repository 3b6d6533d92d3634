"""`stsviz record -o FILE`: record the cluster's StatefulSet story to a file, headless, until stopped.

It runs the live source (list, then watch every kind, as `stsviz` does) with a
`Recorder` as its tap, and nothing else: no screen, no fold. SIGINT and
SIGTERM end it cleanly with exit 0: what is queued is written for up to 10 s
(what is left then is counted in a gap marker and a warning), then the stop
mark, and the file is synced; the rotated parts still queued are compressed
meanwhile. All of it is bounded by one deadline, 15 s after the signal: a
part not compressed by then stays plain (it replays, and the next recorder on
the file compresses it), and a disk that stalls is left then, with a warning.
The file, and its lock, is closed once the writing and the compression are
done. Before recording it checks the kubeconfig (exit 2), that
the server answers (exit 2 if unreachable) and what it says it is (exit 1 if
it refuses). While running, the kinds reconnect on their own as in live mode;
on a terminal one line on stderr shows events, bytes and each kind's state.
Sets the user may not list from the start (403, or credentials refused) end
it with exit 1 and why, the file closed as on a signal: there would be
nothing to record. Refused later, they are waited out as in live mode.

The live screen's `--record FILE` (commands/live.py) builds its recorder from
the same parts in `stsviz.sources.record`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from contextlib import suppress
from typing import Any

from stsviz import __version__
from stsviz.commands.common import EXIT_OK, ServerError, UsageError, configure_logging
from stsviz.model.text import printable_line
from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import ConfigError, Target, resolve_target
from stsviz.sources.live.informer import CREDENTIALS_EXPIRED
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.wire import ApiError, Unreachable
from stsviz.sources.record.files import RecordFileError
from stsviz.sources.record.recorder import Recorder
from stsviz.sources.record.session import header_fields, server_version

PROGRESS_INTERVAL = 1.0
DEFAULT_KEEP = 5
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "KI": 1024, "MI": 1024**2, "GI": 1024**3}


def parse_size(text: str) -> int:
    """ "100MB" -> 100,000,000; "64MiB", "500K", "1G", "2048" (bytes). UsageError otherwise."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"--rotate-size {text!r}: expected a size such as 100MB, 64MiB or 500K")
    unit = (match.group(2) or "").upper().removesuffix("B")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 4096:
        raise UsageError(
            f"--rotate-size {text!r}: at least 4KiB (4096 bytes), so that a part holds more than its header"
        )
    return size


def run_record(args: argparse.Namespace) -> int:
    if not args.output:
        raise UsageError("record needs -o FILE: where to write the recording")
    rotate_size = parse_size(args.rotate_size) if args.rotate_size is not None else None
    if args.keep is not None and args.rotate_size is None:
        raise UsageError("--keep applies to rotated parts: give --rotate-size too")
    keep = DEFAULT_KEEP if args.keep is None else args.keep
    if keep < 0:
        raise UsageError("--keep must be 0 or more rotated parts")
    if args.record_selector is not None and not args.record_selector.strip():
        raise UsageError("-l/--selector needs a label selector, e.g. app=web")
    try:
        target = resolve_target(args.record_kubeconfig, args.record_context)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    namespace = None if args.record_all_namespaces else (args.record_namespace or target.namespace)
    scope = Scope(namespace, args.record_selector)
    configure_logging(sys.stderr)
    return asyncio.run(_record(target, scope, args.output, not args.no_redact, rotate_size, keep))


async def _record(target: Target, scope: Scope, output: str, redacted: bool, rotate_size: int | None, keep: int) -> int:
    probe = LiveSource(target, scope)
    try:
        version = await server_version(probe)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    except Unreachable as error:
        raise UsageError(f"cannot reach {target.address}: {error}") from None
    except ApiError as error:
        if error.status == 401:  # in kubectl's words, as --plain and the screen say it
            raise ServerError(f"{target.address}: 401 Unauthorized: {CREDENTIALS_EXPIRED}") from None
        if error.status not in (403, 404):  # /version may be forbidden or absent; the watches may still work
            raise ServerError(f"{target.address}: {error}") from None
        version = None
    finally:
        await probe.close()
    recorder = Recorder(
        output,
        header=header_fields(target, scope, version, __version__),
        redacted=redacted,
        rotate_size=rotate_size,
        keep=keep,
    )
    try:
        recorder.start()
    except RecordFileError as error:
        raise UsageError(str(error)) from None
    if recorder.appending:  # said, so that a file left from yesterday is not extended unawares
        print(printable_line(f"stsviz: appending to {output}, a recording of the same watch"), file=sys.stderr)
    source = LiveSource(target, scope, tap=recorder)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    terminal = sys.stderr.isatty()
    refused: str | None = None
    task = asyncio.create_task(source.run(_discard))
    try:
        while not stop.is_set() and not task.done():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PROGRESS_INTERVAL)
            if terminal:
                _progress(output, recorder, source)
            refused = _sets_refused(source)
            if refused is not None:
                break  # no set can be recorded: say why and end, as --plain does (it used to retry forever)
        if task.done() and not task.cancelled():
            task.result()  # the source ended by itself: its error ends the command
    finally:
        task.cancel()
        await asyncio.wait([task])  # not `await task`: its error, raised above, would skip what follows
        try:
            await source.close()
        finally:
            await asyncio.to_thread(recorder.close)  # the file's stop mark and last fsync, whatever happened
            if terminal:
                sys.stderr.write("\r\x1b[K")
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
    summary = f"stsviz: recorded {recorder.describe()} to {output}"
    print(printable_line(summary), file=sys.stderr)
    if recorder.warning:
        print(f"stsviz: warning: {printable_line(recorder.warning)}", file=sys.stderr)
    if refused is not None:
        raise ServerError(refused)
    return EXIT_OK


def _sets_refused(source: LiveSource) -> str | None:
    """Why no StatefulSet can be recorded from the start (the sets forbidden, the credentials refused, the
    request refused as bad: a label selector that does not parse), or None.

    Once the sets were listed, a 403 or 401 is waited out as live mode does (a RoleBinding recreated, a
    token pasted into the kubeconfig): the recorder keeps what it has and goes on when it may again.
    """
    status = source.status()
    sets = status.kind("statefulsets")
    if sets.listed:
        return None
    if source.informer("statefulsets").bad_request:  # `-l 'app in ('`: as --plain, said once and ended
        return status.headline() or "statefulsets: 400 BadRequest"
    if sets.phase not in (phases.FORBIDDEN, phases.EXPIRED):
        return None
    why = status.headline() or f"statefulsets {sets.phase}"
    return f"{why} ({status.withheld})" if status.withheld else why  # e.g. no credentials over plain http


def _progress(output: str, recorder: Recorder, source: LiveSource) -> None:
    line = f"recording {output}: {recorder.describe()} · {source.status().describe()}"
    if recorder.warning:
        line += f" · {recorder.warning}"
    sys.stderr.write("\r" + printable_line(line, limit=200) + "\x1b[K")
    sys.stderr.flush()


def _discard(changes: list[Any]) -> None:
    pass  # headless: the recorder taps the raw stream; nothing is folded
