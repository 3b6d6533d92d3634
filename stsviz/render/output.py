"""One frame on stdout, for `--plain` and `--json` of every command: the JSON contract or the screen's rows as text.

Textual-free: the one-shot commands print without starting the app.
"""

from __future__ import annotations

import io
import json
import sys

import orjson

from stsviz.model.frame import Frame
from stsviz.model.times import rfc3339
from stsviz.render.rows import plain_frame


def write_frame(frame: Frame, *, as_json: bool, color: bool) -> None:
    """One frame on stdout: the JSON contract, or the screen's rows as text."""
    if as_json:
        document = frame.to_json()
        try:
            data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        except TypeError:  # a lone surrogate from a hand-edited file: orjson refuses it, say it as \ud800
            data = json.dumps(document, indent=2).encode()
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
        return

    lines = plain_frame(frame.rows, color=color)
    time_line = f"time {rfc3339(frame.time) or 'unknown'}"
    if color:
        from rich.console import Console

        console = Console(force_terminal=True, soft_wrap=True, highlight=False)
        console.print(time_line, markup=False)
        for line in lines:
            console.print(line)
        return
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(errors="replace")  # a lone surrogate in a name prints as "?", not a traceback
    out.write(time_line + "\n")
    for line in lines:
        out.write(line.plain.rstrip() + "\n")
    out.flush()
