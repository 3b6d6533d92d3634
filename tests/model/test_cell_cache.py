"""A row built with the cell cache is the row built from scratch, after any sequence of events.

The grid rebuilds a changed row reusing the cells of pods that did not
change; a reused cell that should have changed would show a pod's old state.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.model import CellCache, ClusterState, WatchEvent, build_row
from tests.k8s_objects import pod, statefulset
from tests.model.test_fold_property import events
from tests.ui.helpers import T0


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), max_size=40))
def test_cached_rows_equal_rows_built_from_scratch(sequence):
    state = ClusterState()
    cache = CellCache()
    for event in sequence:
        state.apply(event)
        for sts in state.sets.values():
            assert build_row(state, sts, cache=cache) == build_row(state, sts)


def test_a_ready_pod_becomes_available_after_min_ready_seconds_with_the_cache():
    sts = statefulset(replicas=1)
    sts["spec"]["minReadySeconds"] = 10
    ready = pod("web-0", ready=True)
    ready["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-25T14:00:00Z"}]
    state = ClusterState()
    state.apply(WatchEvent("ADDED", sts, T0))
    state.apply(WatchEvent("ADDED", ready, T0))
    cache = CellCache()
    [record] = state.sets.values()
    assert not build_row(state, record, now=T0 + timedelta(seconds=5), cache=cache).cells[0].available
    # Nothing changed but the clock: the cached cell must not hide that the pod is now available.
    assert build_row(state, record, now=T0 + timedelta(seconds=11), cache=cache).cells[0].available


def test_a_new_update_revision_recolours_cells_whose_pods_did_not_change():
    state = ClusterState()
    state.apply(WatchEvent("ADDED", statefulset(replicas=1, status={"updateRevision": "r1"}), T0))
    state.apply(WatchEvent("ADDED", pod("web-0", revision="r1", ready=True), T0))
    cache = CellCache()
    assert build_row(state, state.sets[("default", "web")], cache=cache).cells[0].revision == "updated"
    state.apply(WatchEvent("MODIFIED", statefulset(replicas=1, status={"updateRevision": "r2"}), T0))
    assert build_row(state, state.sets[("default", "web")], cache=cache).cells[0].revision == "old"
