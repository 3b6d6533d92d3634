"""Property: folding any event sequence gives what a naive reference fold gives.

The reference keeps whole objects in a dict and recomputes everything from
scratch; ClusterState keeps slim records and incremental indexes. They must
agree on which objects exist, which incarnation (UID) is current, and what each
cell shows. The reference reads the raw objects with its own plain copy of
DESIGN.md's cell rules, so a wrong rule in `cell_state` cannot agree with itself.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.model import ClusterState, WatchEvent, build_frame
from tests.folds import fold_contents
from tests.k8s_objects import claim, controller_revision, pod, statefulset
from tests.k8s_objects import event as k8s_event

NAMES = ["web", "db"]


@st.composite
def pod_objects(draw, name: str = "web-0", *, uid: str = "a", owner: str | None = "web"):
    """A pod of the given identity in any of the shapes the cell rules tell apart."""
    return pod(
        name,
        uid=uid,
        owner=owner,
        revision=draw(st.sampled_from(["r1", "r2", None])),
        phase=draw(st.sampled_from(["Pending", "Running", "Failed", "Unknown", "Succeeded", None])),
        ready=draw(st.booleans()),
        scheduled=draw(st.sampled_from([True, False, None])),
        deleting=draw(st.booleans()),
        waiting=draw(
            st.sampled_from([None, "ContainerCreating", "PodInitializing", "CrashLoopBackOff", "ErrImagePull"])
        ),
    )


@st.composite
def events(draw):
    kind = draw(st.sampled_from(["StatefulSet", "Pod", "Pod", "Pod", "PersistentVolumeClaim"]))
    type_ = draw(st.sampled_from(["ADDED", "MODIFIED", "DELETED"]))
    owner = draw(st.sampled_from(NAMES))
    if kind == "StatefulSet":
        obj = statefulset(
            owner,
            uid=draw(st.sampled_from(["u1", "u2"])),
            replicas=draw(st.integers(0, 4)),
            ordinals_start=draw(st.sampled_from([None, 0, 2])),
            status={"updateRevision": draw(st.sampled_from(["r1", "r2"]))},
        )
    elif kind == "Pod":
        obj = draw(
            pod_objects(
                f"{owner}-{draw(st.integers(0, 5))}",
                uid=draw(st.sampled_from(["a", "b", "c"])),
                owner=draw(st.sampled_from([owner, owner, None, "other"])),
            )
        )
    else:
        obj = claim(f"www-{owner}-{draw(st.integers(0, 5))}", phase=draw(st.sampled_from(["Pending", "Bound"])))
    return WatchEvent(type_, obj)


def reference_fold(sequence):
    objects: dict[tuple[str, str], dict] = {}
    for event in sequence:
        key = (event.object["kind"], event.object["metadata"]["name"])
        if event.type == "DELETED":
            current = objects.get(key)
            if current is not None and current["metadata"]["uid"] == event.object["metadata"]["uid"]:
                del objects[key]
        else:
            objects[key] = event.object
    return objects


# DESIGN.md: waiting reasons after which a container will not start without intervention.
REFERENCE_FAILING = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
}


def reference_state(obj: dict | None) -> str:
    """DESIGN.md's cell rules on the raw object, first match wins."""
    if obj is None:
        return "missing"
    if obj["metadata"].get("deletionTimestamp"):
        return "terminating"
    status = obj.get("status") or {}
    phase = status.get("phase")
    containers = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    reasons = {((c.get("state") or {}).get("waiting") or {}).get("reason") for c in containers}
    if phase == "Failed" or reasons & REFERENCE_FAILING:
        return "failed"
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
    if phase == "Pending":
        return "creating" if conditions.get("PodScheduled") == "True" else "unscheduled"
    if conditions.get("Ready") == "True":
        return "ready"
    if phase == "Running":
        return "running"
    return "unknown"


def reference_cells(objects, set_obj):
    start = (set_obj["spec"].get("ordinals") or {}).get("start", 0)
    replicas = set_obj["spec"]["replicas"]
    name = set_obj["metadata"]["name"]
    owned = {}
    for (kind, pod_name), obj in objects.items():
        refs = obj["metadata"].get("ownerReferences") or []
        if kind == "Pod" and refs and refs[0]["name"] == name and pod_name.rsplit("-", 1)[0] == name:
            owned[int(pod_name.rsplit("-", 1)[1])] = obj
    cells = [(o, reference_state(owned.get(o))) for o in range(start, start + replicas)]
    cells += [(o, reference_state(owned[o])) for o in sorted(owned) if not start <= o < start + replicas]
    return cells


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), max_size=60))
def test_fold_agrees_with_reference(sequence):
    state = ClusterState()
    for event in sequence:
        state.apply(event)
    objects = reference_fold(sequence)

    assert {("Pod", n) for (_, n) in state.pods} == {k for k in objects if k[0] == "Pod"}
    assert {n: p.uid for (_, n), p in state.pods.items()} == {
        n: o["metadata"]["uid"] for (k, n), o in objects.items() if k == "Pod"
    }
    assert {n for (_, n) in state.sets} == {n for (k, n) in objects if k == "StatefulSet"}
    assert {n for (_, n) in state.claims} == {n for (k, n) in objects if k == "PersistentVolumeClaim"}

    frame = build_frame(state)
    for row in frame.rows:
        expected = reference_cells(objects, objects[("StatefulSet", row.set.name)])
        assert [(c.ordinal, c.state) for c in row.cells] == expected


@settings(max_examples=300, deadline=None)
@given(pod_objects())
def test_every_pod_shape_gets_the_reference_cell(raw):
    # One pod in range of its set: the cell shows exactly what the reference rules say.
    state = ClusterState()
    state.apply(WatchEvent("ADDED", statefulset(replicas=1)))
    state.apply(WatchEvent("ADDED", raw))
    [cell] = build_frame(state).rows[0].cells
    assert cell.state == reference_state(raw)


@st.composite
def any_events(draw):
    """Events of every kind the nested indexes hold: pods per set, Events per object, revisions per set."""
    kind = draw(st.sampled_from(["fold", "Event", "ControllerRevision"]))
    if kind == "fold":
        return draw(events())
    type_ = draw(st.sampled_from(["ADDED", "MODIFIED", "DELETED"]))
    owner = draw(st.sampled_from(NAMES))
    if kind == "Event":
        name = f"ev-{draw(st.integers(0, 30))}"
        obj = k8s_event(name, f"{owner}-{draw(st.integers(0, 2))}", draw(st.sampled_from(["a", "b"])))
    else:
        obj = controller_revision(f"{owner}-{draw(st.sampled_from(['r1', 'r2']))}", number=draw(st.integers(1, 3)))
    return WatchEvent(type_, obj)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(any_events(), max_size=40),
    st.lists(any_events(), max_size=40),
    st.lists(any_events(), max_size=40),
    st.lists(any_events(), max_size=20),
)
def test_a_copy_and_its_original_fold_on_apart(before, after, branch, later):
    """Replay's keyframes share inner indexes with the state they were copied from: neither sees the other's changes.

    The original folds `after`, a copy `branch`, a copy of that copy `later`; each
    must equal a fresh fold of its own history, and the first copy must be
    unchanged by its own copy folding on.
    """
    original = ClusterState()
    for item in before:
        original.apply(item)
    keyframe = original.copy()
    for item in after:
        original.apply(item)
    branched = keyframe.copy()
    for item in branch:
        branched.apply(item)
    again = branched.copy()
    for item in later:
        again.apply(item)

    def fresh(*parts):
        state = ClusterState()
        for part in parts:
            for item in part:
                state.apply(item)
        return fold_contents(state)

    assert fold_contents(original) == fresh(before, after)
    assert fold_contents(keyframe) == fresh(before)
    assert fold_contents(branched) == fresh(before, branch)
    assert fold_contents(again) == fresh(before, branch, later)
