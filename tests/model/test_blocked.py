"""What the controller will not do (forced rollback, OnDelete) and the partition as stages: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stsviz.model import ClusterState, WatchEvent, build_frame
from stsviz.model.blocked import controller_notes, staged_rollout
from stsviz.model.frame import SetRow
from stsviz.model.revisions import ordinal_ranges
from tests.k8s_objects import pod, statefulset

REVERTED = {"currentRevision": "web-old", "updateRevision": "web-old"}


def row(sts: dict[str, Any], *pods: dict[str, Any]) -> SetRow:
    state = ClusterState()
    for obj in (sts, *pods):
        state.apply(WatchEvent("ADDED", obj))
    return build_frame(state).rows[0]


def reverted(**spec: Any) -> SetRow:
    """web reverted to web-old while web-2 still crash-loops on web-bad."""
    return row(
        statefulset(status=REVERTED, **spec),
        pod("web-0", revision="web-old"),
        pod("web-1", revision="web-old"),
        pod("web-2", revision="web-bad", ready=False, waiting="CrashLoopBackOff"),
    )


def test_after_a_revert_a_not_ready_pod_on_the_old_revision_is_named_for_deletion():
    (note,) = controller_notes(reverted())
    assert note.delete == ("web-2",)
    assert note.message.startswith("The controller will not replace web-2: not Ready on an old revision")
    assert "kubernetes#67250" in note.message and "ctrl+d" in note.message


def test_a_pod_only_starting_on_an_old_revision_is_not_named_until_the_rollout_stalls():
    """A scale-up or restart mid-rollout starts pods on the old revision: they become Ready and are replaced
    in turn. stsviz told the user to delete them. One that never becomes Ready is named once it stalls."""
    starting = statefulset(status={**REVERTED, "replicas": 3, "readyReplicas": 2})
    pods = (
        pod("web-0", revision="web-old"),
        pod("web-1", revision="web-old"),
        pod("web-2", revision="web-bad", ready=False),  # Running, not Ready yet
    )
    seen = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    state = ClusterState()
    for obj in (starting, *pods):
        state.apply(WatchEvent("ADDED", obj, time=seen))
    assert controller_notes(build_frame(state, now=seen + timedelta(seconds=5)).rows[0]) == ()
    stalled = build_frame(state, now=seen + timedelta(minutes=6)).rows[0]
    assert stalled.verdict.stalled
    (note,) = controller_notes(stalled)
    assert note.delete == ("web-2",)


def test_a_ready_pod_on_an_old_revision_or_one_below_the_partition_is_the_controllers_business():
    ready = row(
        statefulset(status=REVERTED),
        pod("web-0", revision="web-old"),
        pod("web-1", revision="web-old"),
        pod("web-2", revision="web-bad"),
    )
    assert controller_notes(ready) == ()  # it will be replaced in turn
    assert controller_notes(reverted(partition=3)) == ()  # held back by the partition on purpose


def test_parallel_sets_replace_old_pods_without_waiting():
    sts = statefulset(status=REVERTED)
    sts["spec"]["podManagementPolicy"] = "Parallel"
    assert controller_notes(row(sts, pod("web-2", revision="web-bad", ready=False))) == ()


def test_ondelete_names_the_ordinals_still_on_an_old_revision():
    sts = statefulset(strategy="OnDelete", status={"currentRevision": "web-old", "updateRevision": "web-new"})
    (note,) = controller_notes(
        row(sts, pod("web-0", revision="web-old"), pod("web-1", revision="web-old"), pod("web-2", revision="web-new"))
    )
    assert note.delete == ("web-0", "web-1")
    assert note.message.startswith("OnDelete: ordinals 0-1 still run an old revision")
    (one,) = controller_notes(row(sts, pod("web-0", revision="web-new"), pod("web-1", revision="web-old")))
    assert one.message.startswith("OnDelete: ordinal 1 still runs an old revision")
    assert "delete it (ctrl+d)" in one.message


def test_the_partition_reads_as_stages():
    assert staged_rollout(reverted(partition=3, replicas=5)) == "partition 3: ordinals 3-4 may update (2 of 5)"
    assert staged_rollout(reverted(partition=4, replicas=5)) == "partition 4: ordinal 4 may update (1 of 5)"
    assert staged_rollout(reverted(partition=5, replicas=5)) == "partition 5: no ordinal may update (0 of 5)"
    # Partition 0 is every set's default: "3 of 3 ordinals promoted" read as a finished rollout mid-way.
    assert staged_rollout(reverted(partition=0)) is None
    assert staged_rollout(reverted()) is None


def test_ordinal_ranges_are_compact():
    assert [ordinal_ranges(o) for o in ([0, 1], [2], [0, 1, 3, 5, 6], [])] == ["0-1", "2", "0-1,3,5-6", ""]
