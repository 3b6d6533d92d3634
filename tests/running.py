"""A LiveSource running in a task and folding into a ClusterState, for tests."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from stsviz.model import ClusterState
from stsviz.sources.live.source import LiveSource


class Running:
    def __init__(self, source: LiveSource, state: ClusterState | None = None) -> None:
        self.source = source
        self.state = state if state is not None else ClusterState()
        self.batches: list[list] = []
        self.task = asyncio.create_task(source.run(self._sink))

    def _sink(self, changes: list) -> None:
        self.batches.append(changes)
        for change in changes:
            self.state.apply_change(change)

    def phase(self, resource: str) -> str:
        return self.source.informer(resource).phase

    def stores(self) -> dict[str, dict]:
        return {informer.kind.resource: informer.store for informer in self.source.informers}

    async def stop(self) -> None:
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task
        await self.source.close()

    def resume(self) -> None:
        """Run the same informers again, into the same state: they resume from their resourceVersions."""
        assert self.task.done()
        self.task = asyncio.create_task(self.source.run(self._sink))
