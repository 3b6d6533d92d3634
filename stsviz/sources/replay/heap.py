"""Keeping Python's cycle collector out of bulk work on millions of event dicts."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


class _Pause:
    freeze = False


@contextmanager
def gc_paused() -> Iterator[_Pause]:
    """Pause the cycle collector while building millions of dicts that all stay alive.

    Every allocation-triggered collection would walk the whole growing heap for
    nothing: parsed JSON has no cycles. It more than halves ingest time. Set
    `.freeze` on the yielded object to move everything alive out of the
    collector's sight (gc.freeze) before it resumes: otherwise the first
    collection after, and every full one while the screen runs, walks millions
    of event dicts (most of a second each at 1M events). Frozen objects are
    still freed by refcount; JSON has no cycles to leak.
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
