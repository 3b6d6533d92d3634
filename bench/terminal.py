"""A terminal for the screen benchmarks: stsviz on a pseudo-terminal, its frames timed as they arrive.

It plays the part of a terminal emulator that supports synchronized output
(it answers Textual's `CSI ? 2026 $ p` query), so Textual wraps every frame in
`CSI ? 2026 h` ... `CSI ? 2026 l`: a frame is counted, and timed, when its end
arrives on the pty. Its text (escape sequences removed) is kept for a short
while, so a benchmark can wait for what a key should make appear.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_ANSWER = b"\x1b[?2026;2$y"
SYNC_END = b"\x1b[?2026l"
ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<=>$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]"
)
KEEP_FRAMES = 400  # text of the newest frames, for `wait_for`


class Terminal:
    """`argv` running on a pty of `columns` x `lines`; frames and exit observed from a reader thread."""

    def __init__(self, argv: list[str], columns: int, lines: int, env: dict[str, str] | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        environment = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", **(env or {}))
        environment.pop("STSVIZ_LOG", None)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), environment.get("PYTHONPATH"))))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=environment, cwd=REPO, start_new_session=True
        )
        os.close(slave)
        self._master = master
        self._lock = threading.Condition()
        self.frame_times: list[float] = []
        self._texts: list[tuple[float, str]] = []
        self.exited_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._master, 1 << 16)
            except OSError:  # EIO: the last holder of the pty's other end has gone
                chunk = b""
            now = time.perf_counter()
            if not chunk:
                with self._lock:
                    self.exited_at = now
                    self._lock.notify_all()
                return
            pending += chunk
            if SYNC_QUERY in pending:
                os.write(self._master, SYNC_ANSWER)
                pending = pending.replace(SYNC_QUERY, b"")
            *frames, pending = pending.split(SYNC_END)
            if frames:
                with self._lock:
                    for frame in frames:
                        self.frame_times.append(now)
                        self._texts.append((now, ESCAPES.sub(b"", frame).decode(errors="replace")))
                    del self._texts[:-KEEP_FRAMES]
                    self._lock.notify_all()

    def press(self, keys: bytes) -> float:
        """Write keys as typed; the time they were written."""
        os.write(self._master, keys)
        return time.perf_counter()

    def wait_for(self, text: str, since: float, timeout: float) -> float | None:
        """When a frame that ended after `since` first showed `text`; None if none did within `timeout`."""
        deadline = time.perf_counter() + timeout
        with self._lock:
            while True:
                for at, shown in self._texts:
                    if at >= since and text in shown:
                        return at
                left = deadline - time.perf_counter()
                if left <= 0 or self.exited_at is not None:
                    return None
                self._lock.wait(left)

    def wait_until(self, check: Callable[[str], bool], timeout: float) -> str | None:
        """The text of the newest frame once `check` accepts one; None after `timeout`."""
        deadline = time.perf_counter() + timeout
        with self._lock:
            while True:
                for _, shown in reversed(self._texts):
                    if check(shown):
                        return shown
                left = deadline - time.perf_counter()
                if left <= 0 or self.exited_at is not None:
                    return None
                self._lock.wait(left)

    def frames_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for at in self.frame_times if start <= at < end)

    def wait_exit(self, timeout: float) -> float | None:
        """When the process exited (its pty closed and it was reaped); None if it is still running."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.perf_counter()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        os.close(self._master)


def stsviz(*args: str) -> list[str]:
    return [sys.executable, "-m", "stsviz", *args]


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc), e.g. the demo cluster's."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
