"""The replay timeline as one line: the recording's span, the playhead, what has played, the recorder's marks.

Cell i of a track `width` cells wide stands for the moment i / (width - 1) of
the way through, so the first cell is the first event and the last cell the
last; `seconds_at` is the inverse, for a click on the track. While a recording
loads, the track spans what has loaded (the load bar says how much that is).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.style import Style
from rich.text import Text

from stsviz.model.text import printable_line

PLAYED = "━"
AHEAD = "─"
PLAYHEAD = "●"
MARK = "◆"  # a marker the recorder wrote: disconnect, relist, gap, an action taken

PLAYED_STYLE = Style(color="green")
AHEAD_STYLE = Style(dim=True)
PLAYHEAD_STYLE = Style(color="green", bold=True)
MARK_STYLE = Style(color="yellow", bold=True)


def cell_at(seconds: float, duration: float, width: int) -> int:
    """The cell of the track that shows this moment."""
    if width <= 1 or duration <= 0:
        return 0
    return max(0, min(width - 1, round(seconds / duration * (width - 1))))


def seconds_at(cell: int, duration: float, width: int) -> float:
    """The moment a cell of the track stands for (where a click on it seeks to)."""
    if width <= 1 or duration <= 0:
        return 0.0
    return max(0.0, min(duration, cell / (width - 1) * duration))


def timeline(width: int, duration: float, playhead: float, marks: Iterable[float] = ()) -> Text:
    """`━━━━━◆━━●────◆────`: played, the playhead, ahead, and the marks, `width` cells."""
    text = Text(no_wrap=True, overflow="crop")
    if width <= 0:
        return text
    head = cell_at(playhead, duration, width)
    marked = {cell_at(mark, duration, width) for mark in marks}
    for cell in range(width):
        if cell == head:
            text.append(PLAYHEAD, PLAYHEAD_STYLE)
        elif cell in marked:
            text.append(MARK, MARK_STYLE)
        elif cell < head:
            text.append(PLAYED, PLAYED_STYLE)
        else:
            text.append(AHEAD, AHEAD_STYLE)
    return text


def timeline_legend() -> Text:
    """The timeline's marks, for the help screen."""
    text = Text()
    for glyph, style, meaning in (
        (PLAYED, PLAYED_STYLE, "played"),
        (PLAYHEAD, PLAYHEAD_STYLE, "the playhead (click or drag on the line to go there)"),
        (AHEAD, AHEAD_STYLE, "still to play (of what has loaded)"),
        (MARK, MARK_STYLE, "a recorder's mark: disconnect, relist, gap, an action taken (on one, the bar says which)"),
    ):
        text.append(" ")
        text.append(glyph, style)
        text.append(f"  {meaning}\n")
    return text


def describe_mark(mark: dict[str, Any]) -> str:
    """A recorder's mark in words, one line ("pods watch broke: the watch went silent"); file text, made printable."""
    kind = mark.get("mark")
    resource, reason, objects = mark.get("resource"), mark.get("reason"), mark.get("objects")
    because = f": {reason}" if reason else ""
    words = {
        "list": f"{resource} listed ({objects} objects)",
        "relist": f"{resource} listed again ({objects} objects){because}",
        "disconnect": f"{resource} watch broke{because}",
        "reconnect": f"{resource} watch open again",
        "gap": f"{mark.get('lost')} events not recorded{because}",
        "snapshot": f"a recording part opens ({objects} objects)",
        "start": "the recorder started again, appending",
        "stop": "the recorder stopped",
        "action": f"{mark.get('action')}: {mark.get('outcome')}",
    }.get(str(kind), f"{kind}{because}")
    return printable_line(words)
