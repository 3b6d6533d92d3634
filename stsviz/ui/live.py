"""Live mode's frame source: the screen's worker follows a LiveSource and posts batches.

The worker (`RolloutScreen._follow_live`, `@work(exclusive=True)`) runs
`LiveFrameSource.follow`: it starts the source, collects its changes, and every
`batch_interval` posts one `LiveBatch` with what arrived and the source's
freshness. One message per event would not keep up with a busy cluster. The
screen hands each batch back to `push`; its timer's `tick` folds them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from stsviz.model import ClusterState
from stsviz.model.events import Change

if TYPE_CHECKING:  # kubernetes_asyncio is slow to import; replay never needs it
    from stsviz.sources.live.freshness import SourceStatus
    from stsviz.sources.live.source import LiveSource
    from stsviz.sources.record.recorder import Recorder

# Redraw at least this often without changes, so ages, verdicts and countdowns move on.
IDLE_FRAME_SECONDS = 1.0


class LiveBatch(Message):
    """Changes that arrived since the last batch, and how fresh each kind is now."""

    def __init__(self, changes: list[Change], status: SourceStatus) -> None:
        super().__init__()
        self.changes = changes
        self.status = status


class LiveFrameSource:
    """A FrameSource over a LiveSource; `follow` is the body of the screen's worker."""

    def __init__(self, source: LiveSource, *, batch_interval: float = 0.05, recorder: Recorder | None = None) -> None:
        self.source = source
        self.recorder = recorder  # `--record FILE`: the header says so, with what it has written
        self.batch_interval = batch_interval
        self.state = ClusterState()
        self.status: SourceStatus = source.status()
        self._clock = source.timing.clock
        self._wall = source.timing.wall
        self._pending: list[Change] = []
        self._last_frame: float | None = None
        self._status_changed = False
        self.batches = 0

    # -- FrameSource --------------------------------------------------------------

    @property
    def frame_time(self) -> datetime | None:
        """Live, the frame is "now"; how current each kind is, the header says."""
        return self._wall()

    def tick(self) -> bool:
        pending, self._pending = self._pending, []
        for change in pending:
            self.state.apply_change(change)
        self.state.note_pods_unread(self._pods_unread())
        now = self._clock()
        due = self._last_frame is None or now - self._last_frame >= IDLE_FRAME_SECONDS
        changed = bool(pending) or self._status_changed or due
        if changed:
            self._last_frame = now
            self._status_changed = False
        return changed

    # -- what the screen calls -------------------------------------------------------

    def push(self, batch: LiveBatch) -> None:
        self.batches += 1
        self._pending.extend(batch.changes)
        if batch.status.kinds != self.status.kinds:
            self._status_changed = True
        self.status = batch.status

    def _pods_unread(self) -> str | None:
        """Why pods are not read yet (never listed: listing, failing, forbidden), or None."""
        for kind in self.status.kinds:
            if kind.resource == "pods" and not kind.listed:
                return kind.message or kind.phase
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
        """The header's sub-title: freshness per kind and the event rate (and the recording, if any)."""
        text = self.status.describe(self._clock())
        recorder = self.recorder
        if recorder is not None:
            text += f" · rec {recorder.path.name}: {recorder.describe()}"
            if recorder.warning:
                text += f" ({recorder.warning})"
        return text

    async def follow(self, post: Callable[[Message], object]) -> None:
        """Run the source and post a LiveBatch every `batch_interval` until cancelled."""
        collected: list[Change] = []
        task = asyncio.create_task(self.source.run(collected.extend))
        try:
            while True:
                await asyncio.sleep(self.batch_interval)
                if task.done():
                    task.result()  # the source stopped: its error is the worker's error
                    return
                changes = collected[:]
                collected.clear()
                post(LiveBatch(changes, self.source.status()))
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await self.source.close()
