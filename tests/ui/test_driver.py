"""The screen's terminal driver (stsviz/ui/driver.py) on a real pseudo-terminal: keys arrive, `q` leaves it clean.

Pilot tests run Textual's headless driver; only a pty exercises the one a
user's terminal gets.
"""

from __future__ import annotations

import fcntl
import os
import re
import selectors
import struct
import subprocess
import sys
import termios
import time

import pytest

ALT_SCREEN_OFF = b"\x1b[?1049l"
CURSOR_SHOWN = b"\x1b[?25h"


class Pty:
    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
        self.attrs_before = termios.tcgetattr(slave)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stsviz", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={k: v for k, v in os.environ.items() if k != "STSVIZ_LOG"} | {"TERM": "xterm-256color"},
            start_new_session=True,
        )
        self.slave = slave
        self.output = b""

    def read_until(self, wanted: bytes, timeout: float = 20.0) -> bool:
        """Read what the screen writes until `wanted` has appeared after the last call, or it exits."""
        start = len(self.output)
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.master, selectors.EVENT_READ)
            while wanted not in self.output[start:] and time.monotonic() < deadline:
                if selector.select(0.05):
                    try:
                        chunk = os.read(self.master, 1 << 16)
                    except OSError:
                        return wanted in self.output[start:]
                    if not chunk:
                        break
                    self.output += chunk
        return wanted in self.output[start:]

    def text(self) -> str:
        """What was written, without the terminal's control sequences (styles split a line's words)."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.output.decode(errors="replace"))

    def read_text_until(self, wanted: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while wanted not in self.text() and time.monotonic() < deadline:
            self.read_until(b"\x00", timeout=0.2)
        return wanted in self.text()

    def drain(self) -> None:
        """Read whatever is left once the process has exited."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.master, selectors.EVENT_READ)
            while selector.select(0.2):
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    return
                if not chunk:
                    return
                self.output += chunk

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)
        os.close(self.slave)


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


@pytest.fixture
def terminal():
    opened: list[Pty] = []

    def start(*args: str) -> Pty:
        opened.append(Pty(*args))
        return opened[-1]

    yield start
    for pty in opened:
        pty.close()


def test_keys_reach_the_screen_and_q_restores_the_terminal(terminal) -> None:
    screen = terminal("replay", "--example", "rolling", "--paused")
    assert screen.read_until(b"1/94"), screen.output[-500:]  # paused at +0: the first event shown
    os.write(screen.master, b".")  # step one event
    assert screen.read_until(b"2/94")
    os.write(screen.master, b"q")
    screen.read_until(ALT_SCREEN_OFF, timeout=10)
    assert screen.process.wait(10) == 0
    screen.drain()
    tail = screen.output[-200:]
    assert ALT_SCREEN_OFF in tail and CURSOR_SHOWN in tail  # the shell gets its screen and cursor back
    assert termios.tcgetattr(screen.slave)[3] == screen.attrs_before[3]  # echo and canonical mode as before


def test_after_a_suspend_and_fg_the_screen_takes_keys_again(terminal) -> None:
    import signal

    screen = terminal("replay", "--example", "rolling", "--paused")
    assert screen.read_until(b"1/94")
    os.kill(screen.process.pid, signal.SIGTSTP)  # a shell's suspend (Ctrl+Z is stsviz's unhealthy filter)
    assert screen.read_until(ALT_SCREEN_OFF, timeout=10)
    deadline = time.monotonic() + 10
    while process_state(screen.process.pid) != "T" and time.monotonic() < deadline:
        time.sleep(0.01)  # it stops itself once it has given the terminal back
    assert process_state(screen.process.pid) == "T"
    os.kill(screen.process.pid, signal.SIGCONT)  # `fg`
    assert screen.read_until(b"1/94", timeout=10)
    os.write(screen.master, b".")
    assert screen.read_until(b"2/94")  # the input thread came back with the screen
    os.write(screen.master, b"q")
    screen.read_until(ALT_SCREEN_OFF, timeout=10)  # read on: a full pty would hold the exit up
    assert screen.process.wait(10) == 0


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143)])
def test_sigterm_leaves_the_terminal_as_q_does(terminal, signal_name, code) -> None:
    import signal

    screen = terminal("replay", "--example", "rolling", "--paused")
    assert screen.read_until(b"1/94")
    os.kill(screen.process.pid, getattr(signal, signal_name))  # `kill`, `timeout`
    screen.read_until(ALT_SCREEN_OFF, timeout=10)
    assert screen.process.wait(10) == code  # as a shell reports a process ended by the signal
    screen.drain()
    tail = screen.output[-200:]
    assert ALT_SCREEN_OFF in tail and CURSOR_SHOWN in tail
    assert termios.tcgetattr(screen.slave)[3] == screen.attrs_before[3]


def test_the_demo_read_only_refuses_changes_and_offers_only_the_admins_context(terminal) -> None:
    screen = terminal("demo", "--read-only")
    assert screen.read_until(b"(read-only)", timeout=30)  # the header says so
    assert screen.read_until(b"ordinal 0", timeout=30)  # the grid and the pod's detail are drawn
    os.write(screen.master, b"+")
    assert screen.read_text_until("read-only (--read-only): stsviz changes nothing")  # refused, and why
    # Over plain http no token is sent: a "viewer" context would act as the admin. Only the admin's is offered.
    os.write(screen.master, b":")
    assert screen.read_until(b"ctx")
    os.write(screen.master, b"ctx\r")
    assert screen.read_text_until("admin@stsviz-sim")
    screen.read_until(b"\x00", timeout=1)  # whatever else the picker draws
    assert "viewer@stsviz-sim" not in screen.text()
    os.write(screen.master, b"\x1b")
    screen.read_until(b"\x00", timeout=0.5)
    os.write(screen.master, b"q")
    screen.read_until(ALT_SCREEN_OFF, timeout=10)
    assert screen.process.wait(10) == 0


# sha256 of textual.drivers.linux_driver.LinuxDriver.run_input_thread's source in Textual 8.2.8.
COPIED_LOOP = "d796af6d69db337d"


def test_textuals_input_loop_is_still_the_one_the_driver_copies():
    """driver.py copies Textual's input loop: an upgrade that changes it must be read before it is trusted."""
    import hashlib
    import inspect

    from textual.drivers.linux_driver import LinuxDriver

    source = inspect.getsource(LinuxDriver.run_input_thread)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == COPIED_LOOP, (
        "Textual's LinuxDriver.run_input_thread changed: bring stsviz/ui/driver.py's copy up to date, then COPIED_LOOP"
    )


def test_only_the_driver_imports_textuals_private_modules():
    """Private modules change between Textual releases without notice; the driver is the one exception."""
    import ast
    from pathlib import Path

    import stsviz

    allowed = {"ui/driver.py"}
    root = Path(stsviz.__file__).parent
    reaching = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            private = [name for name in names if name.startswith("textual") and "._" in name]
            if private and path.relative_to(root).as_posix() not in allowed:
                reaching.append(f"{path.relative_to(root)}: {private}")
    assert not reaching, reaching
