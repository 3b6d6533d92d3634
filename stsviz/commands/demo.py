"""`stsviz demo` and `stsviz sim`: the embedded demo cluster, watched or served alone.

The demo goes through exactly the live path a real cluster does: a kubeconfig,
kubernetes_asyncio, list+watch over HTTP on 127.0.0.1. Only the clock differs:
the screen reads cluster time, which runs `--speed` times faster, so ages and
stalls are in the cluster's seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from stsviz.commands.common import (
    EXIT_OK,
    ServerError,
    UsageError,
    can_draw,
    configure_logging,
    stall_seconds,
    user_settings,
)

if TYPE_CHECKING:
    from stsviz.sim.process import DemoProcess

NO_TERMINAL = (
    "the demo needs a terminal that can draw (not a pipe, nor TERM=dumb);"
    " `stsviz sim` serves the demo cluster to other clients"
)


def _check(args: argparse.Namespace) -> None:
    from stsviz.sim.scenarios import SCENARIOS

    if args.scenario is not None and args.scenario not in SCENARIOS:
        raise UsageError(f"no scenario named {args.scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if not 0 < args.speed <= 100 or math.isnan(args.speed):
        raise UsageError(f"--speed must be above 0 and at most 100, not {args.speed:g}")


def run_demo(args: argparse.Namespace) -> int:
    _check(args)
    stall_after = stall_seconds(args.stall_after, default=60.0)
    if not can_draw():
        raise UsageError(NO_TERMINAL)
    from stsviz.sim.process import DemoProcess

    # The cluster gets a process of its own, as a real one would: its controllers
    # never hold the screen's interpreter. It boots while this one imports the screen.
    demo = DemoProcess(args.scenario, speed=args.speed).spawn()
    try:
        from stsviz.sources.live.config import resolve_target
        from stsviz.sources.live.kinds import Scope
        from stsviz.sources.live.source import LiveSource
        from stsviz.sources.live.timing import Timing
        from stsviz.ui.app import run_live_app
        from stsviz.ui.live import LiveFrameSource

        configure_logging(None)  # stderr belongs to the screen
        try:
            demo.wait_ready()
        except RuntimeError as error:
            raise ServerError(str(error)) from None
        with tempfile.TemporaryDirectory(prefix="stsviz-demo-") as folder, _hang_up_removes(folder, demo):
            # The admin's context alone: over plain http no token is sent, so a "viewer" context
            # offered by `:ctx` would change the cluster as the admin does.
            kubeconfig = demo.write_kubeconfig(Path(folder) / "kubeconfig", only=True)
            target = resolve_target(str(kubeconfig))
            source = LiveSource(target, Scope(None, None), timing=Timing(wall=demo.now))
            description = demo_description(args.scenario, args.speed, demo.url)
            return run_live_app(
                LiveFrameSource(source, label=description),
                description=f"{description} {source.scope.describe()}",  # as `:ns` and `0` say it after
                stall_seconds=stall_after,
                read_only=args.demo_read_only,
                settings=user_settings(),
                # The dialogs' kubectl lines name this kubeconfig's context: say where it is.
                notes=(f"kubectl reaches this demo cluster with: KUBECONFIG={kubeconfig} kubectl get sts -A",),
            )
    finally:
        demo.stop()


@contextmanager
def _hang_up_removes(folder: str, demo: DemoProcess) -> Iterator[None]:
    """On SIGHUP (the terminal closed, an ssh dropped, `tmux kill-session`) remove the demo's kubeconfig folder
    and stop its cluster, then end at once, as the default action would: nothing is drawn on a terminal that is
    gone (a clean exit writing to it could hang). The default action left the folder, and its token, behind."""

    def hang_up(signum: int, _frame: object) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        demo.stop(timeout=1.0)
        os._exit(128 + signum)

    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:  # nohup: hang-ups are to be ignored, and are
        yield
        return
    previous = signal.signal(signal.SIGHUP, hang_up)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


def demo_description(scenario: str | None, speed: float, url: str) -> str:
    """`demo stuck-rollout 2x 127.0.0.1:45793`: short, so the header's state beside it fits at 80 columns.

    The address is there for kubectl (`kubectl -s http://127.0.0.1:45793 get sts -A`).
    """
    return f"demo {scenario or 'empty'} {speed:g}x {url.removeprefix('http://')}"


def run_sim(args: argparse.Namespace) -> int:
    _check(args)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    from stsviz.sim.scenarios import serve

    def ready(cluster) -> None:
        where = f", kubeconfig in {args.kubeconfig_out}" if args.kubeconfig_out else ""
        if args.scenario is None:
            # Without a scenario nothing runs: say so first, or `kubectl get sts -A` finding nothing puzzles.
            where += (
                "; the cluster is empty: kubectl apply -f your manifests, or restart with "
                "--scenario NAME (stsviz sim --help lists them)"
            )
        print(f"stsviz sim: serving {cluster.url}{where}; Ctrl+C stops", flush=True)

    try:
        asyncio.run(
            serve(
                port=args.port,
                kubeconfig_out=args.kubeconfig_out,
                scenario=args.scenario,
                speed=args.speed,
                strict_auth=args.auth == "strict",
                ready=ready,
            )
        )
    except OSError as error:  # port taken, kubeconfig folder missing
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        pass
    return EXIT_OK
