"""Keeping Python's cycle collector out of bulk work on millions of records."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    freeze = False


@contextmanager
def gc_paused() -> Iterator[_Pause]:
    """Pause the cycle collector while building millions of records that all stay alive.

    Every allocation-triggered collection would walk the whole growing heap for
    nothing: records have no cycles. Measured with replay keeping slim Changes
    (200,000 real events): loading takes ~15% longer without the pause, and a
    bulk fold up to ~40% longer. Set `.freeze` on the yielded object to move
    everything alive out of the collector's sight (gc.freeze) before it
    resumes: a loaded recording is ~3 tracked objects per event, so otherwise
    every full collection while the screen runs walks them all (~0.25 s at
    200,000 events, ~1 s at a million; ~0.02 s frozen). Frozen objects are
    still freed by refcount; records have no cycles to leak.
    """
    pause = _Pause()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield pause
    finally:
        if pause.freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
