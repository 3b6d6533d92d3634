"""The verdict: kubectl's StatefulSetStatusViewer branch by branch, then what we add."""

from __future__ import annotations

from stsviz.model import StatefulSet, kubectl_status, verdict
from tests.k8s_objects import statefulset


def sts(**kwargs) -> StatefulSet:
    return StatefulSet.from_dict(statefulset(**kwargs))


def test_ondelete_is_refused_like_kubectl():
    status = kubectl_status(sts(strategy="OnDelete"))
    assert status.branch == "unsupported" and status.done
    assert status.message == "error: rollout status is only available for RollingUpdate strategy type"


def test_unobserved_generation_waits_for_the_controller():
    raw = statefulset(generation=3)
    raw["status"]["observedGeneration"] = 2
    status = kubectl_status(StatefulSet.from_dict(raw))
    assert (status.message, status.done) == ("Waiting for statefulset spec update to be observed...", False)


def test_observed_generation_zero_also_waits():
    raw = statefulset()
    del raw["status"]["observedGeneration"]
    assert kubectl_status(StatefulSet.from_dict(raw)).message.startswith("Waiting for statefulset spec update")


def test_ready_replicas_below_spec_waits_for_pods():
    status = kubectl_status(sts(replicas=5, status={"readyReplicas": 2}))
    assert (status.message, status.done) == ("Waiting for 3 pods to be ready...", False)


def test_absent_ready_replicas_counts_as_zero():
    # The 1.20 server omits zero counts from status.
    assert kubectl_status(sts(replicas=3)).message == "Waiting for 3 pods to be ready..."


def test_partition_not_reached_waits_for_partitioned_rollout():
    status = kubectl_status(sts(replicas=3, partition=1, status={"readyReplicas": 3, "updatedReplicas": 1}))
    assert status.message == "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..."
    assert not status.done


def test_partition_reached_is_complete():
    status = kubectl_status(sts(replicas=3, partition=1, status={"readyReplicas": 3, "updatedReplicas": 2}))
    assert (status.message, status.done) == ("partitioned roll out complete: 2 new pods have been updated...", True)


def test_rolling_update_without_partition_is_complete_like_kubectl():
    # kubectl says "complete" whenever rollingUpdate is set and has no partition, whatever the revisions.
    status = kubectl_status(
        sts(
            rolling_update=True,
            status={"readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"},
        )
    )
    assert (status.message, status.done) == ("partitioned roll out complete: 1 new pods have been updated...", True)


def test_no_rolling_update_and_revisions_differ_waits():
    status = kubectl_status(
        sts(status={"readyReplicas": 3, "updatedReplicas": 2, "currentRevision": "web-a", "updateRevision": "web-b"})
    )
    assert status.message == "waiting for statefulset rolling update to complete 2 pods at revision web-b..."
    assert not status.done


def test_no_rolling_update_and_revisions_equal_is_complete():
    status = kubectl_status(
        sts(status={"readyReplicas": 3, "currentReplicas": 3, "currentRevision": "web-a", "updateRevision": "web-a"})
    )
    assert status.message == "statefulset rolling update complete 3 pods at revision web-a..."
    assert status.done


def test_replicas_default_to_one_when_absent():
    assert kubectl_status(sts(replicas=None)).message == "Waiting for 1 pods to be ready..."


def test_ondelete_verdict_counts_pods_awaiting_delete():
    result = verdict(
        sts(strategy="OnDelete", status={"readyReplicas": 3, "updateRevision": "web-b"}),
        updated_pods=1,
        unhealthy_pods=0,
        idle_seconds=0,
    )
    assert not result.done
    assert result.label == "ondel 1/3"
    assert result.message == "OnDelete: 1 of 3 pods at revision web-b, 2 to delete"


def test_ondelete_verdict_done_when_all_updated_and_ready():
    result = verdict(
        sts(strategy="OnDelete", status={"readyReplicas": 3, "updateRevision": "web-b"}),
        updated_pods=3,
        unhealthy_pods=0,
        idle_seconds=0,
    )
    assert result.done and result.label == "done"


def test_stalled_after_no_progress_with_an_unhealthy_pod():
    waiting = sts(status={"readyReplicas": 2})
    result = verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=301, stall_seconds=300)
    assert result.stalled and not result.done and result.label == "stalled"
    assert "no progress for 5m01s" in result.message
    assert result.message.endswith("Waiting for 1 pods to be ready...")


def test_not_stalled_before_the_threshold():
    waiting = sts(status={"readyReplicas": 2})
    result = verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=299, stall_seconds=300)
    assert not result.stalled


def test_not_stalled_when_every_pod_is_healthy():
    # A partitioned rollout parked on purpose is not stalled.
    parked = sts(partition=2, status={"readyReplicas": 3, "updatedReplicas": 0})
    result = verdict(parked, updated_pods=0, unhealthy_pods=0, idle_seconds=10_000)
    assert not result.stalled


def test_done_is_never_stalled():
    done = sts(status={"readyReplicas": 3, "currentReplicas": 3, "currentRevision": "a", "updateRevision": "a"})
    assert not verdict(done, updated_pods=3, unhealthy_pods=1, idle_seconds=10_000).stalled


def test_unknown_strategy_is_not_called_done():
    result = verdict(
        sts(strategy="Surprise", status={"readyReplicas": 3}), updated_pods=3, unhealthy_pods=0, idle_seconds=0
    )
    assert (result.done, result.label) == (False, "no status")
    assert result.message == "error: rollout status is only available for RollingUpdate strategy type"


# -- partition: 0, what a real server sends for every RollingUpdate set ---------------------


def test_partition_zero_mid_rollout_waits_for_every_pod():
    # The API server defaults rollingUpdate.partition to 0; 0 is a partition, not "none".
    rolling = sts(replicas=3, partition=0, status={"readyReplicas": 3, "updatedReplicas": 1})
    assert rolling.partition == 0
    status = kubectl_status(rolling)
    assert status.message == "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated..."
    assert not status.done
    result = verdict(rolling, updated_pods=1, unhealthy_pods=0, idle_seconds=0)
    assert (result.done, result.label) == (False, "rolling 1/3")


def test_a_partitioned_label_counts_the_pods_the_partition_lets_roll_as_kubectls_message():
    canary = sts(replicas=4, partition=3, status={"readyReplicas": 4, "updatedReplicas": 0})
    result = verdict(canary, updated_pods=0, unhealthy_pods=0, idle_seconds=0)
    assert result.message == "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated..."
    assert result.label == "rolling 0/1"  # not 0/4: three pods stay on purpose


def test_partition_zero_waits_for_ready_pods_first():
    rolling = sts(replicas=3, partition=0, status={"readyReplicas": 2, "updatedReplicas": 1})
    status = kubectl_status(rolling)
    assert (status.message, status.done) == ("Waiting for 1 pods to be ready...", False)


def test_partition_zero_is_complete_only_when_every_pod_is_updated():
    done = sts(replicas=3, partition=0, status={"readyReplicas": 3, "updatedReplicas": 3})
    status = kubectl_status(done)
    assert (status.message, status.done) == ("partitioned roll out complete: 3 new pods have been updated...", True)


def test_ondelete_verdict_is_not_done_while_a_pod_is_not_ready():
    result = verdict(
        sts(strategy="OnDelete", status={"readyReplicas": 2, "updateRevision": "web-b"}),
        updated_pods=3,
        unhealthy_pods=1,
        idle_seconds=0,
    )
    assert (result.done, result.label) == (False, "ondel 3/3")
    assert result.message == "OnDelete: 3 of 3 pods at revision web-b, 0 to delete, 1 not ready"


# -- the stall threshold: "not moved for --stall-after seconds" includes exactly that long ------


def test_stalled_at_exactly_the_threshold():
    waiting = sts(status={"readyReplicas": 2})
    result = verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=300.0, stall_seconds=300)
    assert (result.stalled, result.done, result.label) == (True, False, "stalled")
    assert result.message.startswith("stalled: no progress for 5m00s with 1 pod missing, failed or not ready; ")


def test_not_stalled_just_below_the_threshold():
    waiting = sts(status={"readyReplicas": 2})
    result = verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=299.999, stall_seconds=300)
    assert (result.stalled, result.label) == (False, "ready 2/3")
    assert result.message == "Waiting for 1 pods to be ready..."


def test_default_threshold_is_300_seconds_inclusive():
    waiting = sts(status={"readyReplicas": 2})
    assert verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=300.0).stalled
    assert not verdict(waiting, updated_pods=1, unhealthy_pods=1, idle_seconds=299.5).stalled


def test_a_stalled_verdict_names_the_first_pod_in_trouble_and_why():
    """Mid-incident, "1 pod(s) missing, failed or not ready" sent the reader hunting through the cells."""
    from datetime import timedelta

    from stsviz.model import build_row
    from tests.k8s_objects import pod
    from tests.ui.helpers import fold

    state = fold(
        ("ADDED", statefulset("web", replicas=4, status={"updateRevision": "web-new"})),
        ("ADDED", pod("web-0")),
        ("ADDED", pod("web-2", ready=False, waiting="CrashLoopBackOff")),
        ("ADDED", pod("web-3", ready=False)),
    )
    later = state.now + timedelta(minutes=6)
    message = build_row(state, state.sets[("default", "web")], now=later).verdict.message
    assert message.startswith("stalled: no progress for 6m"), message
    assert "with 3 pods missing, failed or not ready; web-1 missing; Waiting for" in message
    state = fold(
        ("ADDED", statefulset("db", replicas=1, status={"updateRevision": "db-new"})),
        ("ADDED", pod("db-0", owner="db", ready=False, waiting="CrashLoopBackOff")),
    )
    message = build_row(state, state.sets[("default", "db")], now=state.now + timedelta(minutes=6)).verdict.message
    assert "; db-0 CrashLoopBackOff; Waiting for" in message, message
