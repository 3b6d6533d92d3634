"""The demo cluster in a process of its own, for `stsviz demo`.

In the screen's process the cluster's controllers (3,000 pods in the `many`
scenario) would compete with the screen for the interpreter's lock, so keys
waited behind them. A real cluster never shares the screen's process; the
demo's does not either. The child is `python -m stsviz.sim SCENARIO SPEED`:
it prints one JSON line (url, tokens, cluster time, speed) once its API
answers, and exits as soon as its stdin closes. The parent holds the write end
of that pipe, so the child goes away however the parent ends: `stop()`, an
exception, Ctrl+C, or a kill the parent never sees coming (the kernel closes
the pipe). It runs in a session of its own, so a signal meant for the screen's
terminal (Ctrl+C, a closed window) reaches only the parent, which then stops it.

    with DemoProcess("many", speed=2.0) as demo:
        demo.url, demo.tokens, demo.now(), demo.write_kubeconfig(path)
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from .kubeconfig import write_kubeconfig

# The package's root, so the child imports this very stsviz whatever the caller's sys.path was.
_ROOT = str(Path(__file__).resolve().parents[2])


class DemoProcess:
    """A demo cluster in a child process; same surface as BackgroundDemo (url, tokens, now, stop)."""

    def __init__(
        self,
        scenario: str = "rolling-update",
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        python: str = sys.executable,
    ) -> None:
        self.scenario = scenario
        self.speed = speed
        self._monotonic = monotonic
        self._python = python
        self._process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: nobody reads it while the child runs. Closed by stop().
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._url = ""
        self._tokens: dict[str, str] = {}
        self._anchor: tuple[datetime, float] | None = None  # (cluster time, our monotonic) at the handshake

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def url(self) -> str:
        return self._url

    @property
    def tokens(self) -> dict[str, str]:
        return self._tokens

    def now(self) -> datetime:
        """Cluster time: what it was at the handshake, moved on `speed` times faster than ours."""
        if self._anchor is None:
            raise RuntimeError("the demo cluster has not started")
        cluster, ours = self._anchor
        return cluster + timedelta(seconds=(self._monotonic() - ours) * self.speed)

    def write_kubeconfig(self, path: str | Path, user: str = "admin", *, only: bool = False) -> Path:
        """A kubeconfig for the cluster; `only`: with `user`'s context alone (the screen over plain http
        sends no token, so another user's context would act as the same anonymous admin)."""
        tokens = {user: self.tokens[user]} if only else self.tokens
        return write_kubeconfig(path, self.url, tokens, user=user)

    def spawn(self) -> DemoProcess:
        """Start the child and return at once; `wait_ready` waits for its API (start the screen's imports meanwhile)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (_ROOT, env.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [self._python, "-m", "stsviz.sim", self.scenario, repr(self.speed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 20.0) -> DemoProcess:
        """Read the child's handshake line; raise (and stop the child) if it fails or says nothing in time."""
        process = self._process
        assert process is not None and process.stdout is not None, "spawn() first"
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                line = process.stdout.readline() if selector.select(timeout) else b""
            if not line:
                raise RuntimeError(f"the demo cluster did not start: {self._why()}")
            hello = json.loads(line)
            self._anchor = (datetime.fromisoformat(hello["now"]), self._monotonic())
            self._url, self._tokens = hello["url"], hello["tokens"]
        except BaseException:
            self.stop()
            raise
        return self

    def start(self, timeout: float = 20.0) -> DemoProcess:
        return self.spawn().wait_ready(timeout)

    def _why(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no answer in time"

    def stop(self, timeout: float = 5.0) -> None:
        """Close the child's stdin, end it, and reap it; killed if it does not go in `timeout` s.

        Idempotent. Waits for the exit, so no orphan outlives the caller.
        """
        process = self._process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            try:
                process.stdin.close()
            except OSError:  # the child is already gone: nothing to tell
                pass
        if process.poll() is None:
            # It would see the closed pipe on its loop's next turn, which a busy
            # cluster may take tens of ms to reach; SIGTERM ends it at once.
            process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> DemoProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
