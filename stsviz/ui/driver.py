"""Textual's Linux driver, with an input thread that stops at once when the app quits.

Textual 8's input thread waits on the terminal in 0.1 s slices and, told to
stop, looks once more with a 0.1 s wait on no file at all; the app's exit
joins it. Measured on `stsviz demo --scenario many`: 210 ms of a 265 ms quit
were that join. Here the thread also waits on a pipe that `disable_input`
writes to, and its last look at the terminal does not wait: `q` quits in
tens of ms.

The loop is Textual's (8.2.8, textual/drivers/linux_driver.py), changed only
in what it waits on; everything else is the stock driver. It is the one place
stsviz reaches into Textual's private modules (the xterm parser): app.py falls
back to the stock driver if they are gone, and tests/ui/test_driver.py fails
when Textual's loop is no longer the one copied here.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class PromptDriver(LinuxDriver):
    """LinuxDriver whose input thread is woken, not waited for, when input is disabled."""

    # The pipe (read end, write end) the running input thread also waits on. The thread makes
    # it and closes it: a suspend and resume runs a new thread with a new pipe.
    _wake: tuple[int, int] | None = None

    def disable_input(self) -> None:
        wake = self._wake
        if wake is not None and not self.exit_event.is_set():
            # Before exit_event is set, so the thread (which only leaves once it is) still holds the pipe.
            try:
                os.write(wake[1], b"x")
            except OSError:
                pass
        super().disable_input()

    def run_input_thread(self) -> None:
        """Textual's input loop, also woken by the pipe."""
        wake_read, wake_write = os.pipe()
        self._wake = (wake_read, wake_write)
        try:
            self._read_input(wake_read)
        finally:
            self._wake = None
            os.close(wake_read)
            os.close(wake_write)

    def _read_input(self, wake_read: int) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        decode = getincrementaldecoder("utf-8")().decode
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            for index, (selector_key, mask) in enumerate(selector_events):
                last = index == len(selector_events) - 1
                if selector_key.fd != fileno:
                    # The wake pipe: disable_input writes it just before it sets exit_event.
                    read(wake_read, 64)
                    self.exit_event.wait(0.1)
                    continue
                if mask & EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        break  # stdin piped and at its end
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            # Textual looks once more at no file at all (a 0.1 s sleep); keys typed after the quit
            # belong to the shell, so only the parser's pending escape is flushed, without the wait.
            process_selector_events([], final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
