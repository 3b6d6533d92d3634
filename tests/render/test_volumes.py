"""`v`: an ordinal's claims followed until they bind, with what the cluster said about them."""

from __future__ import annotations

from datetime import timedelta

from stsviz.model import build_frame
from stsviz.render.volumes import describe_volumes
from tests.k8s_objects import claim, event, pod, statefulset
from tests.ui.helpers import T0, fold


def pending_then_bound() -> tuple[dict, dict]:
    pending = claim("www-web-0", phase="Pending", volume=None)
    pending["metadata"]["creationTimestamp"] = "2026-11-25T14:00:00Z"
    pending["spec"] |= {"storageClassName": "standard", "accessModes": ["ReadWriteOnce"]}
    bound = {**pending, "spec": {**pending["spec"], "volumeName": "pv-7"}}
    bound["status"] = {"phase": "Bound", "capacity": {"storage": "2Gi"}}
    return pending, bound


def test_a_claim_is_followed_from_pending_to_bound_with_its_events():
    pending, bound = pending_then_bound()
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", pending),
        (
            "ADDED",
            event(
                "e1",
                "www-web-0",
                "waiting for first consumer",
                kind="PersistentVolumeClaim",
                reason="WaitForFirstConsumer",
                type_="Normal",
                count=1,
                last_seen="2026-11-25T14:00:02Z",
            ),
        ),
        ("ADDED", pod("web-0", claims=("www-web-0",))),
        ("MODIFIED", bound),
    )
    [row] = build_frame(state, now=T0 + timedelta(seconds=30)).rows
    text = describe_volumes(state, row, row.cells[0], T0 + timedelta(seconds=30)).plain
    assert "phase     Bound" in text and "volume    pv-7" in text
    assert "class     standard" in text and "size      2Gi (asked 1Gi)" in text and "access    RWO" in text
    assert "Pending at " in text and "Bound 3s later" in text  # folded one second apart: 14:00:01 → :04
    assert "WaitForFirstConsumer: waiting for first consumer" in text


def test_a_claim_not_created_yet_points_at_nothing_that_is_not_there():
    state = fold(("ADDED", statefulset(replicas=1)))
    [row] = build_frame(state, now=T0).rows
    text = describe_volumes(state, row, row.cells[0], T0).plain
    assert "www-web-0\n  not created yet: the controller creates it just before the pod." in text
    assert "FailedCreate" not in text


def test_a_claim_the_controller_could_not_create_says_why_in_its_words():
    # The real StatefulSet controller's wording (pkg/controller/statefulset/stateful_pod_control.go).
    refused = (
        "create Claim www-web-0 for Pod web-0 in StatefulSet web failed error:"
        ' storageclass.storage.k8s.io "nope" not found'
    )
    state = fold(
        ("ADDED", statefulset(replicas=2)),
        (
            "ADDED",
            event("e1", "web", refused, kind="StatefulSet", reason="FailedCreate", last_seen="2026-11-25T14:00:02Z"),
        ),
    )
    [row] = build_frame(state, now=T0 + timedelta(seconds=30)).rows
    text = describe_volumes(state, row, row.cells[0], T0 + timedelta(seconds=30)).plain
    assert f"www-web-0\n  not created: the controller could not (FailedCreate, 28s ago): {refused}" in text
    other = describe_volumes(state, row, row.cells[1], T0 + timedelta(seconds=30)).plain
    assert "www-web-1\n  not created yet: the controller creates it just before the pod." in other


def test_the_timeline_survives_a_replay_checkpoint():
    pending, bound = pending_then_bound()
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", pending), ("MODIFIED", bound))
    copied = state.copy()
    assert copied.claim_phases == state.claim_phases
    assert [phase for phase, _ in copied.claim_phases[("default", "www-web-0")]] == ["Pending", "Bound"]


def volume(name: str, claim_name: str, *, phase: str = "Bound", reclaim: str = "Delete", message: str | None = None):
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "uid": f"uid-{name}"},
        "spec": {
            "capacity": {"storage": "2Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": reclaim,
            "storageClassName": "standard",
            "claimRef": {"namespace": "default", "name": claim_name},
            "hostPath": {"path": "/var/lib/secret-place"},
        },
        "status": {"phase": phase},
    }
    if message:
        body["status"]["message"] = message
    return body


def test_the_bound_volume_shows_its_phase_and_what_happens_to_the_data():
    _, bound = pending_then_bound()
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", bound), ("ADDED", volume("pv-7", "www-web-0")))
    [row] = build_frame(state, now=T0).rows
    text = describe_volumes(state, row, row.cells[0], T0).plain
    assert "pv        Bound, reclaim Delete" in text
    assert "No PersistentVolumes seen" not in text


def test_a_volume_bound_to_another_claim_or_failed_says_so():
    _, bound = pending_then_bound()
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", bound),
        ("ADDED", volume("pv-7", "www-old-0", phase="Failed", reclaim="Recycle", message="recycle failed: busy")),
    )
    [row] = build_frame(state, now=T0).rows
    text = describe_volumes(state, row, row.cells[0], T0).plain
    assert "pv        Failed, reclaim Recycle, bound to default/www-old-0" in text
    assert "pv says   recycle failed: busy" in text


def test_why_volumes_are_not_described_is_said():
    _, bound = pending_then_bound()
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", bound))
    [row] = build_frame(state, now=T0).rows
    # Replay of a recording without volumes:
    assert "No PersistentVolumes seen (not in the recording)" in describe_volumes(state, row, row.cells[0], T0).plain
    # Live, where the user may not list them: the source's own words.
    text = describe_volumes(state, row, row.cells[0], T0, volumes_note="pv forbidden: cannot list").plain
    assert "PersistentVolumes: pv forbidden: cannot list" in text and "not in the recording" not in text


def test_a_claim_first_seen_long_after_it_was_made_does_not_claim_when_it_bound():
    _, bound = pending_then_bound()  # created 14:00:00
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", bound), start=T0 + timedelta(minutes=10))
    [row] = build_frame(state, now=T0 + timedelta(minutes=10)).rows
    text = describe_volumes(state, row, row.cells[0], T0 + timedelta(minutes=10)).plain
    assert "timeline  Bound when first seen at " in text and "created 10m before" in text
