"""The detail pane's text: the pod, a missing ordinal, claims, events, the verdict; cluster strings literal."""

from __future__ import annotations

from datetime import timedelta

from stsviz.model import build_frame
from stsviz.render.describe import describe
from tests.k8s_objects import claim, event, pod, statefulset
from tests.ui.helpers import T0, fold

MARKUP_SET = "[bold]web[/]"


def crashing_pod(name: str = "web-1", **kwargs) -> dict:
    obj = pod(name, ready=False, waiting="CrashLoopBackOff", restarts=4, claims=(f"www-{name}",), **kwargs)
    obj["metadata"]["creationTimestamp"] = "2026-11-25T14:00:00Z"
    obj["status"]["containerStatuses"][0]["state"]["waiting"]["message"] = "back-off 40s [/] restarting [bold]"
    return obj


def test_a_pod_is_described_with_its_claims_events_and_the_verdict():
    state = fold(
        ("ADDED", statefulset(replicas=2, status={"updateRevision": "web-new", "readyReplicas": 1})),
        ("ADDED", crashing_pod()),
        ("ADDED", claim("www-web-1", volume="pv-7")),
        ("ADDED", event("web-1.1", "web-1", "Back-off restarting failed container")),
    )
    [row] = build_frame(state).rows
    cell = row.cells[1]
    text = describe(state, row, cell, T0 + timedelta(seconds=75)).plain
    assert text.startswith("StatefulSet default/web\nWaiting for 1 pods to be ready...\n")  # kubectl's words
    assert "\nPod web-1  ordinal 1\n" in text
    for expected in (
        "phase     Running",
        "cell      X failed",  # upper case: on the update revision
        "revision  web-new (updated)",
        "node      node-1",
        "age       75s",  # against the frame's time, not the wall clock
        "restarts  4",
        "app  waiting CrashLoopBackOff",
        "back-off 40s [/] restarting [bold]",
        "www-web-1  Bound  pv-7",
        "71s Warning BackOff x3: Back-off restarting failed container",
    ):
        assert expected in text, expected


def test_repeated_events_are_said_once_with_how_often():
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", pod("web-0")),
        ("ADDED", event("e1", "web-0", "0/2 nodes are available", reason="FailedScheduling")),
        ("ADDED", event("e2", "web-0", "0/2 nodes are available", reason="FailedScheduling")),
        ("ADDED", event("e3", "web-0", "Successfully assigned", reason="Scheduled", type_="Normal")),
    )
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[0], T0 + timedelta(seconds=10)).plain
    events = text[text.index("Events\n") :].splitlines()[1:3]
    assert events == [
        "     6s Warning FailedScheduling x6: 0/2 nodes are available",  # two Events of count 3
        "     6s Normal Scheduled x3: Successfully assigned",
    ]


def test_an_old_revision_names_the_update_revision():
    state = fold(
        ("ADDED", statefulset(replicas=1, status={"updateRevision": "web-new"})),
        ("ADDED", pod("web-0", revision="web-old")),
    )
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[0], T0).plain
    assert "revision  web-old (old)" in text
    assert "update    web-new" in text


def test_a_missing_ordinal_says_so_and_shows_its_claims():
    state = fold(("ADDED", statefulset(replicas=3)), ("ADDED", claim("www-web-2", phase="Pending", volume=None)))
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[2], T0).plain
    assert "\nPod web-2  ordinal 2\n" in text
    assert "cell      . missing" in text
    assert "No pod at this ordinal" in text
    assert "www-web-2  Pending" in text
    assert "phase" not in text and "Conditions" not in text  # nothing invented for a pod that is not there


def test_a_missing_ordinal_says_why_the_controller_has_not_made_it():
    # OrderedReady: a scale-up to 3 waits for web-1, crash-looping, before it makes web-2.
    state = fold(("ADDED", statefulset(replicas=3)), ("ADDED", pod("web-0")), ("ADDED", crashing_pod()))
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[2], T0).plain
    assert (
        "No pod at this ordinal: OrderedReady: the controller creates it once every ordinal below is Running"
        " and Ready; web-1 is failed." in " ".join(text.split())
    )
    # Parallel makes every pod at once: that is not why.
    parallel = statefulset(replicas=3)
    parallel["spec"]["podManagementPolicy"] = "Parallel"
    state = fold(("ADDED", parallel), ("ADDED", pod("web-0")), ("ADDED", crashing_pod()))
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[2], T0).plain
    assert "OrderedReady" not in text
    assert "strategy  RollingUpdate, pods Parallel" in text  # the policy is said when it is not the default
    # The controller tried and the API refused: its own event says why.
    refused = 'create Pod web-2 in StatefulSet web failed error: pods "web-2" is forbidden: exceeded quota: pods'
    state = fold(
        ("ADDED", parallel),
        ("ADDED", event("web.1", "web", refused, kind="StatefulSet", reason="FailedCreate")),
    )
    [row] = build_frame(state).rows
    text = " ".join(describe(state, row, row.cells[2], T0).plain.split())
    assert f"No pod at this ordinal: the controller could not create it: {refused}" in text


def test_an_ordinal_is_not_called_missing_while_pods_are_not_read():
    state = fold(("ADDED", statefulset(replicas=2)))
    state.note_pods_unread("forbidden: pods is forbidden")
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[0], T0).plain
    assert "Not known yet: pods are not read (forbidden: pods is forbidden)." in text
    assert "No pod at this ordinal" not in text


def test_a_pending_claim_says_why_it_waits_as_its_last_event_said():
    failed = 'storageclass.storage.k8s.io "broken" not found'
    state = fold(
        ("ADDED", statefulset(replicas=1)),
        ("ADDED", claim("www-web-0", phase="Pending", volume=None)),
        ("ADDED", event("c.1", "www-web-0", failed, kind="PersistentVolumeClaim", reason="ProvisioningFailed")),
    )
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[0], T0).plain
    assert f"www-web-0  Pending\n    ProvisioningFailed: {failed}\n" in text


def test_a_condemned_pod_is_called_so():
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", pod("web-0")), ("ADDED", pod("web-2", deleting=True)))
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[-1], T0).plain
    assert "Condemned: ordinal 2 is outside the wanted ordinals (0..0)" in text
    assert "deleting  for " in text


def test_cluster_strings_are_text_not_markup():
    pod_name = f"{MARKUP_SET}-0"
    obj = crashing_pod(pod_name, owner=MARKUP_SET)
    state = fold(
        ("ADDED", statefulset(MARKUP_SET, replicas=1)),
        ("ADDED", obj),
        ("ADDED", event("e1", pod_name, "image [/] not found [bold]")),
    )
    [row] = build_frame(state).rows
    text = describe(state, row, row.cells[0], T0)
    assert f"\nPod {pod_name}  ordinal 0\n" in text.plain
    assert "image [/] not found [bold]" in text.plain
    assert text.plain.startswith(f"StatefulSet default/{MARKUP_SET}\n")  # markup would have eaten the brackets


def test_nothing_selected():
    state = fold()
    assert describe(state, None, None, None).plain == "No StatefulSet selected."


def test_events_that_are_not_current_say_why_instead_of_none_recorded():
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", pod("web-0")))
    row = build_frame(state).rows[0]
    current = describe(state, row, row.cells[0], T0).plain
    assert "(none recorded)" in current
    forbidden = describe(state, row, row.cells[0], T0, events_note="events forbidden").plain
    assert "not current: events forbidden" in forbidden
    assert "(none recorded)" not in forbidden


def test_a_pod_with_fifteen_thousand_containers_is_described_in_a_screenful_failing_ones_first():
    """A pod object of 1.2 MB (within etcd's limit) must not freeze the pane: draw a few, count the rest."""
    hostile = pod("web-0", claims=tuple(f"data-{n}" for n in range(500)))
    statuses = [{"name": f"c{n}", "ready": True, "restartCount": 0, "state": {"running": {}}} for n in range(15_000)]
    statuses[12_345] = {
        "name": "the-bad-one",
        "ready": False,
        "restartCount": 9,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "x" * 5_000}},
    }
    hostile["status"]["containerStatuses"] = statuses
    hostile["status"]["conditions"] += [{"type": f"custom.io/gate-{n}", "status": "False"} for n in range(200)]
    state = fold(("ADDED", statefulset(replicas=1)), ("ADDED", hostile))
    [row] = build_frame(state, now=T0).rows
    text = describe(state, row, row.cells[0], T0).plain
    assert "the-bad-one  waiting CrashLoopBackOff" in text.splitlines()[text.splitlines().index("Containers") + 1]
    assert "+14980 more containers" in text
    assert "+186 more conditions" in text  # PodScheduled, Ready and 200 gates, 16 drawn
    assert "+485 more claims" in text  # the template claim www-web-0 and 500 volumes, 16 drawn
    assert "x" * 299 + "…" in text and "x" * 301 not in text
    assert len(text.splitlines()) < 150


def test_a_restarted_containers_last_run_is_named_as_kubectl_logs_live_only():
    """Mid-incident, a crash loop's first question is what it printed before it died (k9s: `l`, then `p`)."""
    state = fold(("ADDED", statefulset(replicas=2)), ("ADDED", pod("web-0")), ("ADDED", crashing_pod()))
    [row] = build_frame(state).rows

    def kubectl(namespace: str, *words: str) -> str:
        return " ".join(["kubectl", "--context", "prod", "-n", namespace, *words])

    crashing = describe(state, row, row.cells[1], T0, kubectl=kubectl).plain
    assert "    logs kubectl --context prod -n default logs web-1 -c app --previous" in crashing.splitlines()
    assert "logs kubectl" not in describe(state, row, row.cells[0], T0, kubectl=kubectl).plain  # no restarts
    assert "logs kubectl" not in describe(state, row, row.cells[1], T0).plain  # replay: no cluster to ask
