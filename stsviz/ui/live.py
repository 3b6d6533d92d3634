"""Live mode's frame source: the screen's worker follows a LiveSource and posts batches.

The worker (`RolloutScreen._follow_live`, `@work(exclusive=True)`) runs
`LiveFrameSource.follow`: it starts the source, collects its changes, and every
`batch_interval` posts one `LiveBatch` with what arrived and the source's
freshness. One message per event would not keep up with a busy cluster. The
screen hands each batch back to `push`; its timer's `tick` folds them, for at
most `fold_budget` seconds a tick, so a key never waits behind a big batch (a
first list or a relist of 20,000 pods): what is left is folded on the next ticks.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from stsviz.model import ClusterState
from stsviz.model.events import Change
from stsviz.sources.heap import FreezeAfterFullCollection
from stsviz.sources.live import freshness as phases
from stsviz.ui.header import REC

if TYPE_CHECKING:  # kubernetes_asyncio is slow to import; replay never needs it
    from stsviz.sources.live.freshness import SourceStatus
    from stsviz.sources.live.source import LiveSource
    from stsviz.sources.record.recorder import Recorder

# Redraw at least this often without changes, so ages, verdicts and countdowns move on.
IDLE_FRAME_SECONDS = 1.0
# Folding stops for the tick after this long (at 30 ticks a second, a quarter of the time),
# checked every FOLD_SLICE changes: folding one takes a few microseconds, reading the clock too.
FOLD_BUDGET = 0.008
FOLD_SLICE = 256
ROWS_KINDS = ("statefulsets", "pods")  # the kinds the rows and their verdicts are made of


class LiveBatch(Message):
    """Changes that arrived since the last batch, and how fresh each kind is now."""

    def __init__(self, changes: list[Change], status: SourceStatus, source: object = None) -> None:
        super().__init__()
        self.changes = changes
        self.status = status
        self.source = source  # which LiveSource sent it: after a switch, the old one's last batch is dropped


class LiveFrameSource:
    """A FrameSource over a LiveSource; `follow` is the body of the screen's worker."""

    def __init__(
        self,
        source: LiveSource,
        *,
        batch_interval: float = 0.05,
        fold_budget: float = FOLD_BUDGET,
        clock: Callable[[], float] | None = None,
        recorder: Recorder | None = None,
        label: str | None = None,
    ) -> None:
        self.source = source
        # What the header calls the cluster instead of its context: the demo's description, kept after `:ns`.
        self.label = label
        self._labelled_context = source.target.context
        self.recorder = recorder  # `--record FILE`: the header says so, with what it has written
        self.batch_interval = batch_interval
        self.fold_budget = fold_budget
        self.state = ClusterState()
        self.status: SourceStatus = source.status()
        self._clock = clock or source.timing.clock
        self._wall = source.timing.wall
        self._pending: list[Change] = []
        self._next = 0  # _pending[:_next] is folded already
        # Changes received and folded since the source began, and how many had been received once the
        # pods' first list was in: until that many are folded, the pods are not read yet on screen.
        self._received = self._folded = self._pods_listed_at = 0
        self._last_frame: float | None = None
        self._status_changed = False
        self.batches = 0
        self.heap = FreezeAfterFullCollection()  # installed while following

    # -- FrameSource --------------------------------------------------------------

    @property
    def frame_time(self) -> datetime | None:
        """Live, the frame is "now"; how current each kind is, the header says.

        While the sets or the pods are stale, the frame's clock stops when they went stale: what the
        screen shows is the cluster as of then, and a rollout seen to stop moving only because the
        watch stopped showing it must not turn "stalled".
        """
        now = self._wall()
        stale = [
            k.stale_since for k in self.status.kinds if k.resource in ROWS_KINDS and k.stale_since and not k.current
        ]
        return min([now, *stale])

    @property
    def backlog(self) -> int:
        """Changes received and not folded yet."""
        return len(self._pending) - self._next

    def tick(self) -> bool:
        start = self._clock()
        self.heap.tick(start)
        folded = self._fold(start + self.fold_budget)
        self.state.note_pods_unread(self._pods_unread())
        now = self._clock()
        due = self._last_frame is None or now - self._last_frame >= IDLE_FRAME_SECONDS
        changed = folded or self._status_changed or due
        if changed:
            self._last_frame = now
            self._status_changed = False
        return changed

    def _fold(self, deadline: float) -> bool:
        """Fold pending changes in order until `deadline` (at least one slice); True if any were."""
        pending, start = self._pending, self._next
        apply = self.state.apply_change
        index = start
        while index < len(pending):
            for change in pending[index : index + FOLD_SLICE]:
                apply(change)
            index = min(index + FOLD_SLICE, len(pending))
            if self._clock() >= deadline:
                break
        self._folded += index - start
        if index >= len(pending):
            pending.clear()
            self._next = 0
        elif index > FOLD_SLICE * 16:
            del pending[:index]  # now and then, so a long backlog does not keep what is folded
            self._next = 0
        else:
            self._next = index
        return index > start

    # -- what the screen calls -------------------------------------------------------

    def push(self, batch: LiveBatch) -> None:
        if batch.source is not None and batch.source is not self.source:
            return  # from the source followed before a switch of context or namespace
        self.batches += 1
        self._pending.extend(batch.changes)
        self._received += len(batch.changes)
        if _pods_listed(batch.status) and not _pods_listed(self.status):
            self._pods_listed_at = self._received  # the list's changes are in this batch or before it
        if batch.status.kinds != self.status.kinds:
            self._status_changed = True
        self.status = batch.status

    def _pods_unread(self) -> str | None:
        """Why pods are not read yet (never listed: listing, failing, forbidden), or None."""
        for kind in self.status.kinds:
            if kind.resource == "pods" and not kind.listed:
                return kind.message or kind.phase
        if self._folded < self._pods_listed_at:  # listed, but a big list takes a few ticks to fold
            return phases.LISTING
        return None

    def not_current(self, resource: str) -> str | None:
        for kind in self.status.kinds:
            if kind.resource == resource and not kind.current:
                return kind.describe(self._clock())
        return None

    def failure(self, error: BaseException) -> str:
        """Why following stopped, in the source's words (scrubbed, one line)."""
        return self.source.failure(error)

    def header(self) -> str:
        """The header's sub-title, short: watching, listing, stale since T, or not connected.

        The details (each kind, why, the event rate) are on the freshness line under it: the
        header says only the state, so that it is whole at 80 columns beside a long context.
        """
        status = self.status
        if any(kind.resource == "statefulsets" and kind.phase == phases.FORBIDDEN for kind in status.kinds):
            text = "forbidden"  # `current` as far as it goes, but not one set can be shown
        elif status.current:
            text = "watching"
        elif (since := status.stale_since()) is not None:
            text = f"stale since {since.astimezone().strftime('%H:%M:%S')}"
        elif status.headline() is not None and not any(kind.listed for kind in status.kinds):
            text = "not connected"
        else:
            text = "listing"
        return text

    def recording(self) -> str | None:
        """The header's last part while recording (`rec rec.jsonl: 140 events, 107.3 KB`), or None.

        Last, and the first part shortened at 80 columns (see header.fit_header): the namespace and the row
        order matter more mid-incident than the byte count.
        """
        recorder = self.recorder
        if recorder is None:
            return None
        text = f"{REC} {recorder.path.name}: {recorder.describe()}"
        return text + f" ({recorder.warning})" if recorder.warning else text

    def freshness(self) -> tuple[SourceStatus, float]:
        """What the freshness line draws: the source's status and the clock it is measured on."""
        return self.status, self._clock()

    def problem(self) -> str | None:
        """Why the picture is not current, in the words `--plain` uses; None while it is."""
        return self.status.headline()

    def retrying(self) -> str:
        """When the next attempt is, and why credentials were not sent if that is why it was refused."""
        status = self.status
        wait = status.retry_in(self._clock())
        text = f"Retrying in {math.ceil(wait)}s." if wait is not None else "Retrying."
        refused = any(kind.phase in (phases.FORBIDDEN, phases.EXPIRED) for kind in status.kinds)
        if status.withheld and refused:
            text = f"The {status.withheld}. {text}"
        return text

    def stale(self) -> bool:
        """The rows are not current: the sets or the pods are not being watched."""
        return any(k.resource in ROWS_KINDS and not k.current for k in self.status.kinds)

    def switch(self, source: LiveSource) -> None:
        """Follow `source` from now on (another context or namespace): a fresh fold, nothing carried over.

        The screen restarts its worker; the old worker closes the old source.
        """
        self.source = source
        self.state = ClusterState()
        self.status = source.status()
        self._pending = []
        self._next = 0
        self._received = self._folded = self._pods_listed_at = 0
        self._last_frame = None
        self._status_changed = True

    def describe(self) -> str:
        """What is watched: the context and the scope ("kind-dev namespace shop")."""
        target, scope = self.source.target, self.source.scope
        if self.label is None or target.context != self._labelled_context:
            return f"{target.describe()} {scope.describe()}"
        # The scope is said for a labelled cluster (the demo) too: after `:ns all` the header said nothing of it.
        return f"{self.label} {scope.describe()}"

    async def follow(self, post: Callable[[Message], object]) -> None:
        """Run the source and post a LiveBatch every `batch_interval` until cancelled."""
        source = self.source  # a switch replaces self.source; this worker keeps to its own
        collected: list[Change] = []
        task = asyncio.create_task(source.run(collected.extend))
        self.heap.install()
        try:
            while True:
                await asyncio.sleep(self.batch_interval)
                if task.done():
                    task.result()  # the source stopped: its error is the worker's error
                    return
                changes = collected[:]
                collected.clear()
                post(LiveBatch(changes, source.status(), source))
        finally:
            if self.source is source:  # after a switch the new worker keeps the collector's hook
                self.heap.uninstall()
            task.cancel()
            await asyncio.wait([task])  # not `await task`: its error, raised above, would skip the close
            await source.close()


def _pods_listed(status: SourceStatus) -> bool:
    return any(kind.resource == "pods" and kind.listed for kind in status.kinds)
