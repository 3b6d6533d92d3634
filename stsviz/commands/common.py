"""What every command shares: exit codes, the errors that end a command, validators, logging.

Each command module (`live`, `replay`, `demo`) imports this module and no
other command, so the command layer has no cycle: `stsviz.cli` parses and
dispatches, the commands do the work, and this is the floor they stand on.

Errors end in one line on stderr and an exit code, never a traceback: the
user may be mid-incident and pasting output.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from typing import TextIO

from stsviz.model.text import PrintableFilter, printable_line
from stsviz.settings import Settings, SettingsError, load_settings
from stsviz.sources.live.scrub import ScrubFilter

EXIT_OK = 0
EXIT_SERVER = 1  # the server refused or failed; credentials refused
EXIT_USAGE = 2  # what the user can fix here: options, files, kubeconfig, an unreachable server
EXIT_INTERRUPTED = 130  # Ctrl+C, as a shell reports SIGINT


class CommandError(Exception):
    """A one-line reason a command stopped; `exit_code` says whose problem it is."""

    exit_code = EXIT_USAGE


class UsageError(CommandError):
    """A problem with what the user asked for: options, files, kubeconfig, reaching the server."""

    exit_code = EXIT_USAGE


class ServerError(CommandError):
    """The server refused or failed. Not a usage error: the user's command was fine."""

    exit_code = EXIT_SERVER


# An error names what went wrong and where (a path, a server): longer than a warning may be.
ERROR_LIMIT = 1000


def fail(message: str, exit_code: int = EXIT_USAGE) -> int:
    """Print `message` as stsviz's one error line; the exit code to return.

    Messages quote files, servers and clusters: one printable line, never terminal controls.
    """
    print(f"stsviz: error: {printable_line(message, limit=ERROR_LIMIT)}", file=sys.stderr)
    return exit_code


def stall_seconds(value: float | None, default: float) -> float:
    """`--stall-after` as given (or `default`), refused unless a positive finite number of seconds."""
    seconds = default if value is None else value
    if not 0 < seconds < math.inf:  # also refuses nan
        raise UsageError("--stall-after must be a positive number of seconds")
    return seconds


def user_settings() -> Settings:
    """The settings file (read-only and protected contexts, colours); a broken one is a usage error."""
    try:
        return load_settings()
    except SettingsError as error:
        raise UsageError(str(error)) from None


def configure_logging(stream: TextIO | None) -> None:
    """Warnings to `stream` (None: nowhere), and everything to $STSVIZ_LOG if set; always scrubbed.

    The log file is created readable by its owner only: it holds server
    messages and names from the cluster, which are not for everyone on the box.
    """
    root = logging.getLogger()
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else logging.NullHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("stsviz: %(levelname)s: %(message)s"))
    handlers = [handler]
    path = os.environ.get("STSVIZ_LOG")
    if path:
        file_handler = logging.StreamHandler(_private_log(path))
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(file_handler)
        root.setLevel(logging.DEBUG)
    elif root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for each in handlers:
        each.addFilter(ScrubFilter())
        each.addFilter(PrintableFilter())  # a server's message must not write to the terminal or the log
        root.addHandler(each)


def _private_log(path: str) -> TextIO:
    """`path` opened for appending, created 0600, never through a symlink; an existing file made 0600."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise UsageError(f"STSVIZ_LOG={path}: {error.strerror or error}") from None
    os.fchmod(descriptor, 0o600)
    return open(descriptor, "a", encoding="utf-8", errors="replace", buffering=1)


def can_draw() -> bool:
    """Whether a screen can be drawn here: stdin and stdout are terminals, and TERM is not `dumb`
    (Emacs' shell, some CI consoles: escape codes would come out as text, and k9s refuses it too)."""
    return sys.stdin.isatty() and sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
