"""Strings from outside stsviz made safe to print: one filter for the screen, stderr and `--plain`.

Names, kinds, event and Status messages come from a cluster, an API server or
a recording file, and any of them may carry bytes meant for the terminal
rather than the reader: ESC starts sequences that retitle the terminal (OSC 0),
write the clipboard (OSC 52) or repaint it; a newline in a name forges a row;
bidi controls reorder what follows and zero-width characters hide text, both
shifting columns. Each such character becomes U+FFFD, one for one, so a
string keeps its length (the detail pane relies on that for its styles) and
the damage stays visible instead of being silently dropped.
"""

from __future__ import annotations

import logging
import re

REPLACEMENT = "\ufffd"
# Longest warning or error line printed: a hostile value must not fill the screen.
LINE_LIMIT = 300

_UNSAFE_RANGES = (
    (0x00, 0x09),  # C0 controls: ESC, BEL, BS, CR, TAB...
    (0x0B, 0x1F),  # (0x0A, the newline, has its own switch)
    (0x7F, 0x9F),  # DEL, C1 controls (0x9B is a one-byte CSI for some terminals)
    (0x061C, 0x061C),  # Arabic letter mark
    (0x180E, 0x180E),  # Mongolian vowel separator (zero width)
    (0x200B, 0x200F),  # zero width space/non-joiner/joiner, LRM, RLM
    (0x2028, 0x202E),  # line and paragraph separators; LRE, RLE, PDF, LRO, RLO
    (0x2060, 0x206F),  # word joiner, invisible operators; LRI, RLI, FSI, PDI; deprecated format controls
    (0xFEFF, 0xFEFF),  # zero width no-break space (BOM)
    (0xFFF9, 0xFFFB),  # interlinear annotation controls
)
_SPANS = "".join(f"{chr(low)}-{chr(high)}" if low != high else chr(low) for low, high in _UNSAFE_RANGES)
_TABLE = {code: REPLACEMENT for low, high in _UNSAFE_RANGES for code in range(low, high + 1)}
_TABLE_LINE = {**_TABLE, 0x0A: REPLACEMENT}
# No character of the ranges is special inside a class (and re.escape would escape their "-").
_unsafe = re.compile(f"[{_SPANS}]").search
_unsafe_line = re.compile(f"[{_SPANS}\n]").search


def printable(text: str, *, newlines: bool = True) -> str:
    """`text` with every control, bidi-control and invisible format character as U+FFFD.

    `newlines=False` replaces newlines too: for anything shown on one line
    (a name in a row, a warning), where a newline would start a forged line.
    """
    if newlines:
        return text.translate(_TABLE) if _unsafe(text) else text
    return text.translate(_TABLE_LINE) if _unsafe_line(text) else text


def printable_line(text: object, limit: int = LINE_LIMIT) -> str:
    """One safe line of at most `limit` characters, for stderr and logs."""
    line = printable(str(text), newlines=False)
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PrintableFilter(logging.Filter):
    """A log handler filter: the formatted message made printable (tracebacks keep their newlines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: show it raw
            message = f"{record.msg} {record.args}"
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = printable(message)
        record.args = None
        return True
