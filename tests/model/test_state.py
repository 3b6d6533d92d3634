"""The fold: what ClusterState keeps after ADDED/MODIFIED/DELETED, and what a row shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stsviz.model import ClusterState, WatchEvent, build_frame
from tests.k8s_objects import claim, pod, statefulset

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def fold(*events: tuple[str, dict], start: datetime = T0) -> ClusterState:
    state = ClusterState()
    for offset, (type_, obj) in enumerate(events):
        state.apply(WatchEvent(type_, obj, start + timedelta(seconds=offset)))
    return state


def states(state: ClusterState) -> str:
    return " ".join(f"{c.ordinal}:{c.state}" for c in build_frame(state).rows[0].cells)


def test_cells_cover_the_ordinal_range_with_missing_pods():
    state = fold(("ADDED", statefulset(replicas=3)), ("ADDED", pod("web-1")))
    assert states(state) == "0:missing 1:ready 2:missing"


def test_an_ordinal_with_no_pod_is_unknown_while_pods_are_not_read_then_missing():
    from stsviz.model.frame import CellCache, build_row

    state = fold(("ADDED", statefulset(replicas=2)))
    cache = CellCache()
    sts = state.sets[("default", "web")]
    state.note_pods_unread("forbidden: pods is forbidden")  # not known missing: `?`, never `.`
    assert [c.state for c in build_row(state, sts, cache=cache).cells] == ["unknown", "unknown"]
    state.note_pods_unread(None)  # read: none there
    assert [c.state for c in build_row(state, sts, cache=cache).cells] == ["missing", "missing"]


def test_ordinals_start_shifts_the_range():
    state = fold(("ADDED", statefulset(replicas=2, ordinals_start=5)), ("ADDED", pod("web-5")), ("ADDED", pod("web-0")))
    # web-0 is below the range: condemned, shown after the range.
    assert states(state) == "5:ready 6:missing 0:ready"
    assert [c.condemned for c in build_frame(state).rows[0].cells] == [False, False, True]


def test_condemned_pods_above_the_range_follow_in_ordinal_order():
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", pod("web-0")),
        ("ADDED", pod("web-4", deleting=True)),
        ("ADDED", pod("web-2")),
    )
    assert states(state) == "0:ready 2:ready 4:terminating"


def test_pods_are_matched_by_owner_reference_and_name():
    state = fold(
        ("ADDED", statefulset(replicas=2)),
        ("ADDED", pod("web-0", owner=None)),  # orphan: not ours
        ("ADDED", pod("web-1", owner="other")),  # owned by another controller
        ("ADDED", pod("webby-1", owner="web")),  # name does not match the set
    )
    assert states(state) == "0:missing 1:missing"


def test_recreated_pod_replaces_the_old_one_and_a_late_delete_keeps_it():
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", pod("web-0", uid="first")),
        ("MODIFIED", pod("web-0", uid="first", deleting=True)),
        ("ADDED", pod("web-0", uid="second", phase="Pending", ready=False, waiting="ContainerCreating")),
        ("DELETED", pod("web-0", uid="first", deleting=True)),
    )
    cell = build_frame(state).rows[0].cells[0]
    assert (cell.pod.uid, cell.state) == ("second", "creating")
    assert state.recreations == 1


def test_deleted_pod_leaves_a_missing_cell():
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", pod("web-0")), ("DELETED", pod("web-0")))
    assert states(state) == "0:missing"
    assert state.pods == {}


def test_revision_follows_update_revision():
    sts = statefulset(replicas=2, status={"updateRevision": "web-new", "currentRevision": "web-old"})
    state = fold(("ADDED", sts), ("ADDED", pod("web-0", revision="web-old")), ("ADDED", pod("web-1")))
    row = build_frame(state).rows[0]
    assert [c.revision for c in row.cells] == ["old", "updated"]


def test_partition_boundary_index():
    state = fold(("ADDED", statefulset(replicas=3, partition=1)))
    assert build_frame(state).rows[0].partition_index == 1


def test_claims_of_a_cell_come_from_templates_before_the_pod_exists():
    state = fold(("ADDED", statefulset(replicas=2)), ("ADDED", claim("www-web-0")))
    cells = build_frame(state).rows[0].cells
    assert [(c.name, c.phase, c.volume) for c in cells[0].claims] == [("www-web-0", "Bound", "pv-0")]
    assert [(c.name, c.phase) for c in cells[1].claims] == [("www-web-1", None)]


def test_claim_change_marks_its_set_dirty():
    state = fold(("ADDED", statefulset("my-db", replicas=1, templates=("data-dir",))))
    state.take_dirty()
    state.apply(WatchEvent("ADDED", claim("data-dir-my-db-0", phase="Pending")))
    assert state.take_dirty() == {("default", "my-db")}


def test_unknown_kinds_and_types_are_counted_not_folded():
    state = fold(("ADDED", {"kind": "ConfigMap", "metadata": {"name": "x"}}), ("BOOKMARK", statefulset()))
    assert state.sets == {}
    assert state.skipped == {"kind ConfigMap": 1, "type BOOKMARK": 1}


def test_recent_events_per_pod_are_bounded_and_newest_last():
    state = ClusterState()
    for n in range(30):
        state.apply(
            WatchEvent(
                "ADDED",
                {
                    "kind": "Event",
                    "metadata": {"name": f"e{n}", "namespace": "default"},
                    "involvedObject": {"kind": "Pod", "name": "web-0"},
                    "reason": "BackOff",
                    "message": f"back-off {n}",
                },
            )
        )
    recent = state.recent_events("default", "Pod", "web-0")
    assert len(recent) == 20
    assert recent[-1].message == "back-off 29"


def test_stalled_when_status_does_not_move_while_a_pod_is_not_ready():
    sts = statefulset(replicas=2, status={"readyReplicas": 1, "updateRevision": "web-new"})
    state = fold(
        ("ADDED", sts), ("ADDED", pod("web-0")), ("ADDED", pod("web-1", ready=False, waiting="CrashLoopBackOff"))
    )
    assert not build_frame(state, stall_seconds=60).rows[0].verdict.stalled
    later = T0 + timedelta(minutes=10)
    row = build_frame(state, now=later, stall_seconds=60).rows[0]
    assert row.verdict.stalled and row.verdict.label == "stalled"


def stuck_since(minutes_before: int) -> tuple[dict, dict]:
    """web 1/2 ready; web-1 not ready (crash-looping) since `minutes_before` T0, as its own times say."""
    since = (T0 - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")
    crashing = pod("web-1", ready=False, waiting="CrashLoopBackOff")
    crashing["metadata"]["creationTimestamp"] = since
    for condition in crashing["status"]["conditions"]:
        condition["lastTransitionTime"] = since
    return statefulset(replicas=2, status={"readyReplicas": 1}), crashing


def test_a_rollout_stuck_before_it_was_first_seen_is_stalled_at_once():
    # stsviz started (or re-listed) mid-incident: the pods' own times say when the set last moved.
    sts, crashing = stuck_since(minutes_before=10)
    state = fold(("ADDED", sts), ("ADDED", pod("web-0")), ("ADDED", crashing))
    row = build_frame(state, now=T0, stall_seconds=300).rows[0]
    assert row.verdict.stalled
    assert row.verdict.message.startswith("stalled: no progress for 10m00s with 1 pod missing")


def test_a_pod_that_changed_just_before_the_first_sight_keeps_the_rollout_unstalled():
    sts, crashing = stuck_since(minutes_before=2)
    state = fold(("ADDED", sts), ("ADDED", crashing))
    assert state.idle_seconds(("default", "web"), T0) == 120
    assert not build_frame(state, now=T0, stall_seconds=300).rows[0].verdict.stalled


def test_a_rollout_just_begun_when_first_seen_is_not_stalled():
    # `kubectl rollout restart` a moment ago: the pods are two hours old, but web-1 is being replaced and
    # the update revision is new. That is progress, not two hours without it.
    sts, crashing = stuck_since(minutes_before=120)
    old = pod("web-0")
    old["metadata"]["creationTimestamp"] = "2026-11-25T12:00:00Z"
    crashing["metadata"]["deletionTimestamp"] = "2026-11-25T14:00:25Z"  # graceful: now + its grace period
    state = fold(("ADDED", sts), ("ADDED", old), ("ADDED", crashing))
    assert state.idle_seconds(("default", "web"), T0 + timedelta(seconds=5)) == 5  # since the first sight
    assert not build_frame(state, now=T0 + timedelta(seconds=5), stall_seconds=300).rows[0].verdict.stalled


def test_a_status_change_seen_live_is_timed_by_its_event_not_by_the_pods():
    sts, crashing = stuck_since(minutes_before=30)
    state = fold(("ADDED", sts), ("ADDED", crashing))
    moved = statefulset(replicas=2, status={"readyReplicas": 1, "updatedReplicas": 1})
    state.apply(WatchEvent("MODIFIED", moved, T0 + timedelta(minutes=1)))
    assert state.idle_seconds(("default", "web"), T0 + timedelta(minutes=2)) == 60


def test_status_change_resets_the_stall_clock():
    sts = statefulset(replicas=2, status={"readyReplicas": 1})
    state = fold(("ADDED", sts), ("ADDED", pod("web-1", ready=False)))
    state.apply(WatchEvent("MODIFIED", statefulset(replicas=2, status={"readyReplicas": 2}), T0 + timedelta(minutes=9)))
    assert state.idle_seconds(("default", "web"), T0 + timedelta(minutes=10)) == 60


def test_set_deleted_removes_its_row():
    state = fold(("ADDED", statefulset()), ("DELETED", statefulset()))
    assert build_frame(state).rows == ()


def test_partition_counts_from_the_first_ordinal():
    # The controller indexes replicas[ordinal - start]: partition 2 with start 5 keeps 5 and 6 old.
    state = fold(("ADDED", statefulset(replicas=4, ordinals_start=5, partition=2)))
    assert build_frame(state).rows[0].partition_index == 2


def test_partition_past_the_end_marks_the_end_of_the_range():
    for partition in (3, 7):
        state = fold(("ADDED", statefulset(replicas=3, partition=partition)))
        assert build_frame(state).rows[0].partition_index == 3


def test_missing_pods_count_toward_a_stall():
    # A pod the controller cannot create (quota, admission) never appears: that is a stall too.
    sts = statefulset(replicas=2, status={"readyReplicas": 1})
    state = fold(("ADDED", sts), ("ADDED", pod("web-0")))
    row = build_frame(state, now=T0 + timedelta(minutes=10), stall_seconds=60).rows[0]
    assert row.verdict.stalled


def test_events_of_a_recreated_pod_are_its_own():
    def event(name, uid):
        return {
            "kind": "Event",
            "metadata": {"name": name, "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-0", "uid": uid},
            "reason": "Scheduled",
            "message": f"assigned {uid}",
        }

    state = fold(("ADDED", event("e1", "first")), ("ADDED", event("e2", "second")))
    assert [e.message for e in state.recent_events("default", "Pod", "web-0", "second")] == ["assigned second"]
    assert len(state.recent_events("default", "Pod", "web-0")) == 2


def test_a_huge_replica_count_builds_a_bounded_row():
    from stsviz.model.frame import MAX_CELLS

    state = fold(("ADDED", statefulset(replicas=2_147_483_647)))
    row = build_frame(state).rows[0]
    assert len(row.cells) == MAX_CELLS
    assert row.hidden == 2_147_483_647 - MAX_CELLS


def test_available_after_min_ready_seconds():
    sts = statefulset(replicas=1)
    sts["spec"]["minReadySeconds"] = 30
    ready = pod("web-0")
    ready["status"]["conditions"][-1]["lastTransitionTime"] = "2026-11-25T14:00:00Z"
    state = fold(("ADDED", sts), ("ADDED", ready))
    assert not build_frame(state, now=T0 + timedelta(seconds=10)).rows[0].cells[0].available
    assert build_frame(state, now=T0 + timedelta(seconds=31)).rows[0].cells[0].available


def test_bookmarks_and_malformed_objects_never_raise():
    state = ClusterState()
    state.apply(WatchEvent("BOOKMARK", {"kind": "Pod", "metadata": {"resourceVersion": "12"}}))
    state.apply(WatchEvent("ADDED", {"kind": "Pod", "metadata": {"name": ["not", "a", "string"]}}))
    state.apply(WatchEvent("ADDED", {"kind": "Pod", "metadata": {"name": "web-0"}, "status": "Running"}))
    assert state.pods == {}
    assert state.skipped == {"type BOOKMARK": 1, "malformed Pod": 2}


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p["metadata"].update(creationTimestamp=12),
        lambda p: p["metadata"].update(deletionTimestamp={"when": "now"}),
        lambda p: p["status"].update(conditions="Ready"),
        lambda p: p["status"]["containerStatuses"][0].update(restartCount="x"),
        lambda p: p["status"]["containerStatuses"][0].update(ready="true"),
    ],
)
def test_a_pod_with_a_wrongly_typed_field_is_skipped_and_counted_not_shown_with_a_default(damage):
    raw = pod("web-0")
    damage(raw)
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", raw))
    [cell] = build_frame(state).rows[0].cells
    assert cell.pod is None and state.skipped == {"malformed Pod": 1}


@pytest.mark.parametrize("replicas", ["three", "3", 2.5, True])
def test_a_set_whose_replicas_are_not_a_number_is_skipped_not_drawn_as_one_replica(replicas):
    state = fold(("ADDED", statefulset(replicas=replicas)))
    assert build_frame(state).rows == () and state.skipped == {"malformed StatefulSet": 1}


def ondelete_row(*pods: dict, ready: int):
    sts = statefulset(replicas=3, strategy="OnDelete", status={"readyReplicas": ready, "updateRevision": "web-new"})
    return build_frame(fold(("ADDED", sts), *[("ADDED", p) for p in pods])).rows[0]


def test_ondelete_terminating_pod_on_the_update_revision_is_not_counted_as_updated():
    # web-2 was updated, then deleted again: until its replacement exists it is not an updated pod.
    # Still Ready while it terminates, so the controller's readyReplicas counts it.
    row = ondelete_row(pod("web-0"), pod("web-1"), pod("web-2", deleting=True), ready=3)
    assert [c.state for c in row.cells] == ["ready", "ready", "terminating"]
    assert (row.verdict.done, row.verdict.label) == (False, "ondel 2/3")
    assert row.verdict.message == "OnDelete: 2 of 3 pods at revision web-new, 1 to delete"


def test_ondelete_all_updated_but_one_not_ready_is_not_done():
    row = ondelete_row(pod("web-0"), pod("web-1"), pod("web-2", ready=False), ready=2)
    assert (row.verdict.done, row.verdict.label) == (False, "ondel 3/3")
    assert row.verdict.message == "OnDelete: 3 of 3 pods at revision web-new, 0 to delete, 1 not ready"


def test_ondelete_all_updated_and_ready_is_done():
    row = ondelete_row(pod("web-0"), pod("web-1"), pod("web-2"), ready=3)
    assert (row.verdict.done, row.verdict.label) == (True, "done")


def test_a_frame_exactly_stall_seconds_after_the_last_progress_is_stalled():
    sts = statefulset(replicas=2, status={"readyReplicas": 1})
    state = fold(("ADDED", sts), ("ADDED", pod("web-0")))  # the set's status last moved at T0
    assert state.idle_seconds(("default", "web"), T0 + timedelta(seconds=60)) == 60
    assert build_frame(state, now=T0 + timedelta(seconds=60), stall_seconds=60).rows[0].verdict.stalled
    below = T0 + timedelta(seconds=59, microseconds=999_000)
    assert not build_frame(state, now=below, stall_seconds=60).rows[0].verdict.stalled
