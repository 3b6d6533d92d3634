"""FreezeAfterFullCollection: after each full collection the survivors are frozen; now and then all thawed."""

from __future__ import annotations

import gc

from stsviz.sources.heap import FreezeAfterFullCollection


def test_survivors_of_a_full_collection_are_frozen_at_the_next_tick_and_thawed_every_so_often():
    heap = FreezeAfterFullCollection(thaw_every=60.0)
    heap.install()
    try:
        heap.tick(0.0)
        assert gc.get_freeze_count() == 0  # no full collection yet: nothing to trust as garbage-free
        gc.collect()
        assert gc.get_freeze_count() == 0  # never inside the collector's callback
        heap.tick(1.0)
        assert gc.get_freeze_count() > 0 and heap.freezes == 1
        heap.tick(2.0)
        assert heap.freezes == 1  # once per full collection
        heap.tick(60.0)
        assert gc.get_freeze_count() == 0  # thawed: the next full collection walks everything once
    finally:
        heap.uninstall()
    assert gc.get_freeze_count() == 0
    assert heap._on_collection not in gc.callbacks


def test_uninstall_unfreezes_what_it_froze():
    heap = FreezeAfterFullCollection()
    heap.install()
    gc.collect()
    heap.tick(0.0)
    assert gc.get_freeze_count() > 0
    heap.uninstall()
    assert gc.get_freeze_count() == 0
