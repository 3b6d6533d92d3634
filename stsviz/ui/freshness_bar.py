"""The live screen's freshness line: is each kind current, since when not, and why.

It has a line of its own under the header so it fits at 80 columns: a chip
per kind (`sts ●` watching, `pods ⟳3s` reconnecting, `ev ✗ forbidden`,
`pods ✗` no answer to the probe…),
then "stale since" the oldest moment the screen stopped being current, then
the reason in the words `stsviz --plain` would print. Only the reason is cut
when the line is too narrow, with an ellipsis; the chips and the time stay.
When every kind is in the same trouble (the cluster went away, or every kind
is forbidden, or the server stopped answering) one chip says so for all
(`all ⟳3s`, `all ✗ forbidden`, `all ✗ no answer`), which
leaves the reason room at 80 columns; kinds forbidden beside others share
one (`pods pvc ev ✗ forbidden`).
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from stsviz.sources.live import freshness as phases
from stsviz.sources.live.freshness import KindStatus, SourceStatus
from stsviz.sources.live.kinds import SHORT_NAMES

GOOD = Style(color="green")
WAITING = Style(color="yellow")
BAD = Style(color="red", bold=True)
DIM = Style(dim=True)


def chip(kind: KindStatus, now: float, name: str | None = None) -> tuple[str, Style]:
    """One kind in a few cells: its short name (or `name`) and a mark of its phase."""
    name = name or SHORT_NAMES.get(kind.resource, kind.resource)
    if kind.phase == phases.WATCHING:
        return f"{name} ●", GOOD
    if kind.phase == phases.LISTING:
        return f"{name} …", WAITING
    if kind.phase == phases.FORBIDDEN:
        return f"{name} ✗ forbidden", DIM if kind.resource != "statefulsets" else BAD
    if kind.phase == phases.EXPIRED:
        return f"{name} ✗ 401", BAD
    if kind.phase == phases.UNANSWERED:
        return (f"{name} ✗ no answer" if name == "all" else f"{name} ✗"), WAITING
    if kind.retry_at is not None and kind.retry_at > now:
        return f"{name} ⟳{math.ceil(kind.retry_at - now)}s", WAITING
    return f"{name} ⟳", WAITING


def freshness_line(status: SourceStatus, now: float) -> Text:
    """The whole line, as Text: chips, rate or staleness, reason."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    kinds = status.kinds
    same = {kind.phase for kind in kinds}
    connecting = status.connection_retry_at if status.connection is not None else None
    # Forbidden counts as current (a kind the user may not read degrades alone), yet all forbidden is one trouble.
    if connecting is not None and connecting > now:
        # Not connected (an exec plugin failing): no kind has begun, the connection's retry speaks for all.
        text.append(f"all ⟳{math.ceil(connecting - now)}s", WAITING)
    elif len(kinds) > 1 and len(same) == 1 and phases.WATCHING not in same:
        # The soonest retry speaks for all: that is when the screen may change again.
        soonest = min(kinds, key=lambda kind: kind.retry_at if kind.retry_at is not None else math.inf)
        text.append(*chip(soonest, now, name="all"))
    else:
        # Forbidden kinds share one "✗ forbidden", where the first of them is (`sts ● pods pvc ev ✗ forbidden`):
        # a word per kind did not fit at 80 columns.
        forbidden = [k for k in kinds if k.phase == phases.FORBIDDEN and k.resource != "statefulsets"]
        shared = forbidden if len(forbidden) > 1 else []
        chips: list[tuple[str, Style]] = []
        for kind in kinds:
            if kind in shared[1:]:
                continue  # said in the first forbidden kind's chip
            names = " ".join(SHORT_NAMES.get(k.resource, k.resource) for k in shared) if kind in shared else None
            chips.append(chip(kind, now, name=names))
        for index, (label, style) in enumerate(chips):
            if index:
                text.append(" ")
            text.append(label, style)
    since = status.stale_since()
    if status.current and any(kind.current for kind in kinds):
        text.append(f" · {status.rate:.1f} ev/s", DIM)
    elif since is not None:
        text.append(f" · stale since {since.astimezone().strftime('%H:%M:%S')}", WAITING)
    headline = status.headline()
    if headline:
        text.append(" · ")
        text.append(headline, BAD if not any(kind.listed for kind in status.kinds) else WAITING)
    warnings = [k for k in status.kinds if k.warning]
    for kind in warnings:
        text.append(f" · {SHORT_NAMES.get(kind.resource, kind.resource)}: {kind.warning}", WAITING)
    if status.withheld and any(kind.phase in (phases.EXPIRED, phases.FORBIDDEN) for kind in status.kinds):
        text.append(f" · {status.withheld}", WAITING)
    return text


class FreshnessBar(Static):
    """One line: how current the live picture is. Repaints only when the text changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._shown: Text | None = None

    @property
    def text(self) -> str:
        """What the line says, as plain text."""
        return self._shown.plain if self._shown is not None else ""

    def show(self, status: SourceStatus, now: float) -> None:
        line = freshness_line(status, now)
        if self._shown is None or line.plain != self._shown.plain or line.spans != self._shown.spans:
            self._shown = line
            self.update(line)
