"""The two ways replay input goes wrong: a fatal `ReplayInputError`, or a warning.

Both are one line a user can act on, naming the file (and line). Fatal errors
are printed as `stsviz: error: <message>`; warnings are shown and the rest of
the recording is replayed. `Problems` keeps a file's warnings few: a file with
100,000 bad lines yields a handful of line numbers and one "and N more".
Warnings quote the file (a kind, a type, a time), so each is made printable
and one line of bounded length: a recording must not write to the terminal.
"""

from __future__ import annotations

from stsviz.model.text import printable_line

# Enough line numbers to find the damage with an editor, few enough to read.
LINES_SHOWN = 5


class ReplayInputError(Exception):
    """A recording that cannot be replayed at all; the message is one line for the user."""


class Problems:
    """Per-file warnings about individual lines, capped at LINES_SHOWN."""

    def __init__(self, name: str, warnings: list[str]) -> None:
        self.name = name
        self.warnings = warnings
        self.count = 0

    def line(self, lineno: int, what: str) -> None:
        self.count += 1
        if self.count <= LINES_SHOWN:
            self.warnings.append(printable_line(f"{self.name}: line {lineno}: {what}"))

    def file(self, what: str) -> None:
        """A warning about the file as a whole (not capped in number: there are few kinds)."""
        self.warnings.append(printable_line(f"{self.name}: {what}"))

    def finish(self) -> None:
        hidden = self.count - LINES_SHOWN
        if hidden > 0:
            self.warnings.append(f"{self.name}: and {hidden} more bad line{'s' if hidden != 1 else ''} skipped")
