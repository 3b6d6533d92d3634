"""What the screen's marks mean, built from the same tables the rows are drawn with.

The help screen shows it; because it reads GLYPHS and CELL_STYLES, the legend
cannot drift from the grid.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from stsviz.model.cells import CELL_STATES, READY
from stsviz.render.rows import (
    CELL_STYLES,
    CONDEMNED_MARK,
    GLYPHS,
    MARK_STYLE,
    OLD_REVISION,
    PARTITION_MARK,
    READY_NOT_AVAILABLE,
    VERDICT_STYLES,
)

# What each state means, in the order the rules are tried (first match wins).
STATE_MEANINGS = {
    "missing": "ordinal in range, no pod",
    "terminating": "deletionTimestamp set",
    "failed": "phase Failed, or CrashLoopBackOff, ImagePullBackOff, ErrImagePull...",
    "unscheduled": "Pending, not scheduled to a node",
    "creating": "Pending on a node: init containers, pulling, ContainerCreating",
    "running": "Running, not Ready",
    "ready": "Ready (brighter once Ready for minReadySeconds)",
    "unknown": "pods not read yet (listing, forbidden), phase Unknown, or anything else",
}

VERDICT_MEANINGS = (
    ("done", "complete, as kubectl rollout status says (down to the partition)"),
    ("observing", "the controller has not seen the latest spec yet"),
    ("ready N/M", "N of M pods Ready; the rollout waits for the rest"),
    ("rolling N/M", "N of M pods on the update revision"),
    ("ondel N/M", "OnDelete: N of M pods on the update revision; the rest update when deleted"),
    ("stalled", "no progress for --stall-after seconds, a pod failed or not ready"),
    ("deleting", "the StatefulSet itself is being deleted"),
    ("no status", "an update strategy kubectl has no rollout status for"),
)


def cell_legend() -> Text:
    """One line per cell state: the updated and old glyph in their colours, and the rule."""
    text = Text()
    for state in CELL_STATES:
        updated, old = GLYPHS[state]
        style = CELL_STYLES[state]
        text.append(" ")
        text.append(updated, style)
        text.append(" ")
        text.append(old, style + OLD_REVISION)
        text.append(f"  {state:<12} {STATE_MEANINGS[state]}\n")
    text.append(" ")
    text.append(GLYPHS[READY][0], READY_NOT_AVAILABLE)
    text.append(f"    {'ready':<12} Ready, but not yet for minReadySeconds (darker)\n")
    text.append("\n Upper case: the pod runs the update revision. Lower case, underlined: an old revision\n")
    text.append(" (or the set has not reported an updateRevision yet).\n")
    text.append(" ")
    text.append(PARTITION_MARK, MARK_STYLE)
    text.append("  the partition: ordinals left of it keep the old revision\n")
    text.append(" pN in UPDATED: the set's partition is N (3/5 p2: 3 of 5 pods updated, ordinals 2 on may update)\n")
    text.append(" ")
    text.append(CONDEMNED_MARK, MARK_STYLE)
    text.append("  the end of the desired range: pods after it are condemned (scale-down)\n")
    text.append(" +N after the cells: the row has N more ordinals than it draws;\n")
    text.append("    in READY: N condemned pods are still alive (READY and UPDATED count the desired range)\n")
    return text


def verdict_legend() -> Text:
    """The verdict words of the VERDICT column, in their colours."""
    text = Text()
    for word, meaning in VERDICT_MEANINGS:
        style = VERDICT_STYLES.get(word, Style(color="yellow"))
        text.append(f" {word:<12}", style)
        text.append(f" {meaning}\n")
    return text
