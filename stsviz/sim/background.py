"""The demo cluster on a thread of its own, for a caller with its own event loop.

Tests use it to keep the cluster in their process. `stsviz demo` does not: a
thread still shares the interpreter's lock, and the controllers of thousands
of pods then stall the screen's keys; it runs `process.DemoProcess` instead.
Talk to it only over HTTP (its url and tokens) and stop it with `stop()`, from
any thread.

    with BackgroundDemo("rolling-update", speed=2.0) as demo:
        demo.url, demo.tokens, demo.write_kubeconfig(path)
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

from .kubeconfig import write_kubeconfig
from .scenarios import Demo


class BackgroundDemo:
    def __init__(self, scenario: str = "rolling-update", speed: float = 1.0, **cluster_options: Any) -> None:
        self._demo = Demo(scenario, speed, **cluster_options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: Future[None] | None = None

    @property
    def url(self) -> str:
        return self._demo.url

    @property
    def tokens(self) -> dict[str, str]:
        return self._demo.tokens

    def now(self) -> datetime:
        """Cluster time (it runs `speed` times faster than the wall clock); thread-safe."""
        return self._demo.cluster.clock.now()

    def write_kubeconfig(self, path: str | Path, user: str = "admin") -> Path:
        return write_kubeconfig(path, self.url, self.tokens, user=user)

    def start(self, timeout: float = 10.0) -> BackgroundDemo:
        """Start the thread and return once the API answers on its port."""
        started: Future[None] = Future()
        stopped: Future[None] = Future()
        self._stopped = stopped

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._demo.start())
                started.set_result(None)
                loop.run_forever()
                loop.run_until_complete(self._demo.stop())
            except BaseException as exc:
                if not started.done():
                    started.set_exception(exc)
            finally:
                loop.close()
                stopped.set_result(None)

        self._thread = threading.Thread(target=run, name="stsviz-demo-cluster", daemon=True)
        self._thread.start()
        started.result(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the cluster and its thread (idempotent, any thread)."""
        if self._loop is None or self._stopped is None or self._stopped.done():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._stopped.result(timeout)

    def __enter__(self) -> BackgroundDemo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
