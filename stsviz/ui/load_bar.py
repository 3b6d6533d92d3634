"""The replay screen's load progress: a bar over the status line while a recording is still being read.

The screen plays what has loaded meanwhile; the bar says how much of the files
that is, and goes away when the load ends.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from stsviz.ui.frame_source import Loading


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f}"


class LoadBar(Horizontal):
    """`loading ━━━━━━╺━━━━ 42%  150 of 369 MB` on one line (it fits in 80 columns)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bar = ProgressBar(show_eta=False, id="load-progress")
        self._amount = Label("", id="load-size")
        self._shown: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Label(" loading ", id="load-label")
        yield self._bar
        yield self._amount

    def show(self, loading: Loading) -> None:
        done, total = loading.done, loading.total
        if (done, total) == self._shown:
            return
        self._shown = (done, total)
        self._bar.update(total=max(total, 1), progress=done)
        self._amount.update(f" {megabytes(done)} of {megabytes(total)} MB")
