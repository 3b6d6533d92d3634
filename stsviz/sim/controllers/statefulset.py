"""The StatefulSet controller, a port of kube-controller-manager 1.20's.

Per set: find or create the update revision, build the ordinal → pod table,
then walk it as upstream does (stateful_set_control.go updateStatefulSet):
recreate failed pods, create missing ones (claims first), and under
OrderedReady stop at the first pod that is not Running and Ready; delete
condemned pods (outside start .. start + replicas - 1) from the highest down; then, for
RollingUpdate, delete the highest ordinal ≥ partition not on the update
revision, one at a time, waiting for each to come back healthy. OnDelete
never deletes for an update. Status counts, the "ordinal < currentReplicas
keeps the current revision" rule and Event wording are upstream's, including
its known quirks (a crash-looping pod on a reverted revision stays until
deleted, kubernetes#67250).

Newer fields are honoured when a set carries them, as current controllers
do: spec.ordinals.start, spec.persistentVolumeClaimRetentionPolicy,
spec.minReadySeconds (OrderedReady progress, scale-down and the rolling update
wait for a pod to be available, not just Ready; status.availableReplicas) and
spec.updateStrategy.rollingUpdate.maxUnavailable (the MaxUnavailableStatefulSet
path: up to that many pods ≥ partition deleted at once). A set without them
behaves exactly as on 1.20.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import StatusError
from ..registry import Registry
from ..resources import PODS, PVCS, REVISIONS, STATEFULSETS
from ..selection import from_label_selector_object, labels_match
from ..store import Write, deep_copy
from . import claim_retention
from . import statefulset_pods as sp
from .base import Controller
from .events import EventRecorder
from .revisions import apply_revision, controller_ref, new_revision, same_data

COMPONENT = "statefulset-controller"
_STATUS_FIELDS = (
    "observedGeneration",
    "replicas",
    "readyReplicas",
    "availableReplicas",
    "currentReplicas",
    "updatedReplicas",
    "currentRevision",
    "updateRevision",
)
# A little past the availability instant: IsPodAvailable needs now strictly after ready + minReadySeconds.
_AVAILABILITY_SLACK = 0.01


def _owner_uid(obj: dict) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "StatefulSet":
            return ref.get("uid")
    return None


def _owner_name(obj: dict) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "StatefulSet":
            return ref.get("name")
    return None


def status_document(status: dict) -> dict:
    """The status as the 1.20 server serialises it: zero counts and empty strings omitted.

    availableReplicas (1.22+, never omitted there) appears only when the
    controller computed it, i.e. for a set using a post-1.20 availability field,
    so 1.20 sets keep the exact 1.20 shape.
    """
    out = {}
    for key in (
        "observedGeneration",
        "replicas",
        "readyReplicas",
        "availableReplicas",
        "currentReplicas",
        "updatedReplicas",
        "currentRevision",
        "updateRevision",
        "collisionCount",
    ):
        value = status.get(key)
        if key in ("replicas", "collisionCount") or (key == "availableReplicas" and key in status) or value:
            out[key] = value
    return out


def reports_availability(sts: dict) -> bool:
    """Whether the set uses minReadySeconds or maxUnavailable, and so gets status.availableReplicas."""
    rolling = (sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    return sts["spec"].get("minReadySeconds") is not None or rolling.get("maxUnavailable") is not None


class StatefulSetController(Controller[tuple[str, str]]):
    name = COMPONENT

    def __init__(self, registry: Registry, recorder: EventRecorder) -> None:
        super().__init__(registry)
        self.recorder = recorder
        # Indexes kept from the change stream, as an informer's: pods by owning set uid, orphans by namespace.
        self._owned: dict[str, set[str]] = {}
        self._orphans: dict[str, set[str]] = {}

    def on_change(self, change: Write) -> None:
        obj = change.object
        namespace = obj["metadata"].get("namespace", "")
        if change.resource is STATEFULSETS:
            self.enqueue((namespace, obj["metadata"]["name"]))
        elif change.resource in (PODS, REVISIONS):
            if change.resource is PODS:
                self._index_pod(change)
            owner = _owner_name(obj) or (change.previous and _owner_name(change.previous))
            if owner:
                self.enqueue((namespace, owner))
            elif change.resource is PODS and change.type != "DELETED":
                # An orphan: every set whose selector matches may adopt it.
                for sts in self.store.items(STATEFULSETS, namespace):
                    selector = from_label_selector_object(sts["spec"].get("selector"))
                    if selector and labels_match(selector, obj["metadata"].get("labels")):
                        self.enqueue((namespace, sts["metadata"]["name"]))

    def _index_pod(self, change: Write) -> None:
        name, namespace = change.object["metadata"]["name"], change.object["metadata"]["namespace"]
        if change.previous is not None:
            old_owner = _owner_uid(change.previous)
            if old_owner:
                self._owned.get(old_owner, set()).discard(name)
            else:
                self._orphans.get(namespace, set()).discard(name)
        if change.type != "DELETED":
            owner = _owner_uid(change.object)
            if owner:
                self._owned.setdefault(owner, set()).add(name)
            else:
                self._orphans.setdefault(namespace, set()).add(name)

    # listing --------------------------------------------------------------------------------

    def _revisions(self, sts: dict) -> list[dict]:
        """ListRevisions with ClaimControllerRevisions: the set's own, and orphans its selector matches adopted
        (a set deleted with --cascade=orphan and created again, to resize its claims, keeps its history)."""
        uid = sts["metadata"]["uid"]
        namespace = sts["metadata"]["namespace"]
        selector = from_label_selector_object(sts["spec"].get("selector"))
        adopting = bool(selector) and not sts["metadata"].get("deletionTimestamp")
        revisions = []
        for revision in self.store.items(REVISIONS, namespace):
            owner = _owner_uid(revision)
            if owner is None and adopting and labels_match(selector, revision["metadata"].get("labels")):
                adopted = deep_copy(revision)
                adopted["metadata"].setdefault("ownerReferences", []).append(controller_ref(sts))
                revision = self.registry.update(REVISIONS, adopted, namespace, revision["metadata"]["name"])
                owner = uid
            if owner == uid:
                revisions.append(revision)
        return sorted(revisions, key=lambda r: (r.get("revision", 0), r["metadata"]["name"]))

    def _claim_pods(self, sts: dict) -> list[dict]:
        """getPodsForStatefulSet: adopt matching orphans, release non-matching pods, keep members."""
        uid = sts["metadata"]["uid"]
        selector = from_label_selector_object(sts["spec"].get("selector"))
        deleting = bool(sts["metadata"].get("deletionTimestamp"))
        pods = []
        namespace = sts["metadata"]["namespace"]
        candidates = sorted(self._owned.get(uid, set()) | self._orphans.get(namespace, set()))
        for name in candidates:
            pod = self.store.view(PODS, namespace, name)
            if pod is None:
                continue
            owner = _owner_uid(pod)
            # ClaimPods with isMemberOf as its filter: the selector and the set's name (`web-N`) both, so a
            # bare pod that merely carries the labels is neither adopted nor counted (a budget then sees it).
            matches = (
                bool(selector)
                and labels_match(selector, pod["metadata"].get("labels"))
                and sp.parent_and_ordinal(pod)[0] == sts["metadata"]["name"]
            )
            if owner == uid and not matches:
                released = deep_copy(pod)
                released["metadata"]["ownerReferences"] = [
                    r for r in pod["metadata"]["ownerReferences"] if r.get("uid") != uid
                ]
                self.registry.update(PODS, released, pod["metadata"]["namespace"], pod["metadata"]["name"])
                continue
            if owner is None and matches and not deleting and not sp.is_terminating(pod):
                adopted = deep_copy(pod)
                adopted["metadata"].setdefault("ownerReferences", []).append(controller_ref(sts))
                pod = self.registry.update(PODS, adopted, pod["metadata"]["namespace"], pod["metadata"]["name"])
                owner = uid
            if owner == uid:
                pods.append(pod)
        return pods

    # reconcile ---------------------------------------------------------------------------------

    def reconcile(self, key: tuple[str, str]) -> None:
        namespace, name = key
        stored = self.store.view(STATEFULSETS, namespace, name)
        if stored is None:
            return
        sts = deep_copy(stored)
        revisions = self._revisions(sts)
        if sts["metadata"].get("deletionTimestamp") and not revisions:
            # Being deleted with its history already collected: creating a revision
            # now would only feed the garbage collector in a loop.
            return
        pods = self._claim_pods(sts)
        current, update, collision_count = self._revisions_for(sts, revisions)
        try:
            status = self._update_statefulset(sts, current, update, collision_count, pods)
            self._write_status(sts, status)
        finally:
            self._truncate_history(sts, pods, revisions, current, update)
        self._recheck_when_available(key, sts, pods)

    def _recheck_when_available(self, key: tuple[str, str], sts: dict, pods: list[dict]) -> None:
        """No store change marks the end of a pod's minReadySeconds, so wake up when the
        first Ready pod becomes available (upstream requeues after minReadySeconds)."""
        min_ready, now = sp.min_ready_seconds(sts), self.clock.now()
        waits = [w for w in (sp.seconds_until_available(p, min_ready, now) for p in pods) if w is not None]
        if waits:
            self.enqueue_after(key, max(0.0, min(waits)) + _AVAILABILITY_SLACK)

    def _revisions_for(self, sts: dict, revisions: list[dict]) -> tuple[dict, dict, int]:
        """getStatefulSetRevisions: reuse an equal revision (rolling back renumbers it) or create one."""
        collision_count = (sts.get("status") or {}).get("collisionCount") or 0
        number = (revisions[-1].get("revision", 0) + 1) if revisions else 1
        candidate = new_revision(sts, number, collision_count)
        equal = [r for r in revisions if same_data(r, candidate)]
        if sts["metadata"].get("deletionTimestamp"):
            update = equal[-1] if equal else revisions[-1]  # no new history for a set on its way out
        elif equal and revisions[-1]["metadata"]["name"] == equal[-1]["metadata"]["name"]:
            update = revisions[-1]
        elif equal:
            renumbered = deep_copy(equal[-1])
            renumbered["revision"] = number
            update = self.registry.update(
                REVISIONS, renumbered, sts["metadata"]["namespace"], renumbered["metadata"]["name"]
            )
        else:
            update, collision_count = self._create_revision(sts, number, collision_count)
        current_name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
        return current, update, collision_count

    def _create_revision(self, sts: dict, number: int, collision_count: int) -> tuple[dict, int]:
        while True:
            revision = new_revision(sts, number, collision_count)
            existing = self.store.view(REVISIONS, sts["metadata"]["namespace"], revision["metadata"]["name"])
            if existing is None:
                return self.registry.create(REVISIONS, revision, sts["metadata"]["namespace"]), collision_count
            if same_data(existing, revision):
                return deep_copy(existing), collision_count
            collision_count += 1  # a hash collision with different data: probe the next name

    def _update_statefulset(
        self, sts: dict, current: dict, update: dict, collision_count: int, pods: list[dict]
    ) -> dict:
        current_set = apply_revision(sts, current)
        update_set = apply_revision(sts, update)
        current_name, update_name = current["metadata"]["name"], update["metadata"]["name"]
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "currentRevision": current_name,
            "updateRevision": update_name,
            "collisionCount": collision_count,
            "replicas": 0,
            "readyReplicas": 0,
            "currentReplicas": 0,
            "updatedReplicas": 0,
        }
        min_ready, now = sp.min_ready_seconds(sts), self.clock.now()
        if reports_availability(sts):
            status["availableReplicas"] = 0
        replica_count = sts["spec"].get("replicas", 1)
        # spec.ordinals.start (Kubernetes 1.26+; absent on 1.20, where it is 0): slot i holds ordinal start + i.
        start = sp.start_ordinal(sts)
        slots: list[dict | None] = [None] * replica_count
        condemned: list[dict] = []
        for pod in pods:
            status["replicas"] += 1
            if sp.is_running_and_ready(pod):
                status["readyReplicas"] += 1
                if "availableReplicas" in status and sp.is_running_and_available(pod, min_ready, now):
                    status["availableReplicas"] += 1
            if sp.is_created(pod) and not sp.is_terminating(pod):
                if sp.pod_revision(pod) == current_name:
                    status["currentReplicas"] += 1
                if sp.pod_revision(pod) == update_name:
                    status["updatedReplicas"] += 1
            ordinal = sp.ordinal_of(pod)
            if start <= ordinal < start + replica_count:
                slots[ordinal - start] = pod
            elif ordinal >= 0:
                condemned.append(pod)

        def versioned_pod(index: int) -> dict:
            # newVersionedStatefulSetPod, including its precedence quirk.
            ordinal = start + index
            strategy = current_set["spec"]["updateStrategy"]
            rolling = strategy.get("rollingUpdate")
            if (
                strategy.get("type") == "RollingUpdate"
                and rolling is None
                and ordinal < start + (current_set.get("status") or {}).get("currentReplicas", 0)
            ) or (rolling is not None and ordinal < start + rolling.get("partition", 0)):
                return sp.new_pod(current_set, ordinal, current_name)
            return sp.new_pod(update_set, ordinal, update_name)

        # From here on every slot holds a pod: the one that exists or the one to create.
        replicas = [pod if pod is not None else versioned_pod(index) for index, pod in enumerate(slots)]
        condemned.sort(key=sp.ordinal_of)
        first_unhealthy: dict | None = None
        for pod in replicas + condemned:
            # With minReadySeconds 0, unavailable is exactly "not healthy" (1.20's test).
            if sp.is_unavailable(pod, min_ready, now) and (
                first_unhealthy is None or sp.ordinal_of(pod) < sp.ordinal_of(first_unhealthy)
            ):
                first_unhealthy = pod

        if sts["metadata"].get("deletionTimestamp"):
            return status
        monotonic = sts["spec"].get("podManagementPolicy", "OrderedReady") != "Parallel"

        for index in range(replica_count):
            pod = replicas[index]
            if sp.is_failed(pod):
                self.recorder.record(
                    sts,
                    "Warning",
                    "RecreatingFailedPod",
                    f"StatefulSet {sts['metadata']['namespace']}/{sts['metadata']['name']} is "
                    f"recreating failed Pod {pod['metadata']['name']}",
                    COMPONENT,
                )
                self._delete_pod(sts, pod)
                if sp.pod_revision(pod) == current_name:
                    status["currentReplicas"] -= 1
                if sp.pod_revision(pod) == update_name:
                    status["updatedReplicas"] -= 1
                status["replicas"] -= 1
                pod = replicas[index] = versioned_pod(index)
            if not sp.is_created(pod):
                self._create_pod(sts, pod)
                status["replicas"] += 1
                if sp.pod_revision(pod) == current_name:
                    status["currentReplicas"] += 1
                if sp.pod_revision(pod) == update_name:
                    status["updatedReplicas"] += 1
                if monotonic:
                    return status
                continue
            if sp.is_terminating(pod) and monotonic:
                return status
            if not sp.is_running_and_ready(pod) and monotonic:
                return status
            # OrderedReady also waits out minReadySeconds before the next ordinal.
            if not sp.is_running_and_available(pod, min_ready, now) and monotonic:
                return status
            self._retain_claims(sts, pod, condemned=False)
            if sp.identity_matches(sts, pod) and sp.storage_matches(sts, pod):
                continue
            self._update_pod(update_set, pod)

        for pod in condemned:
            self._retain_claims(sts, pod, condemned=True)
        for pod in reversed(condemned):
            if sp.is_terminating(pod):
                if monotonic:
                    return status
                continue
            if not sp.is_running_and_ready(pod) and monotonic and pod is not first_unhealthy:
                return status
            if not sp.is_running_and_available(pod, min_ready, now) and monotonic and pod is not first_unhealthy:
                return status
            self._delete_pod(sts, pod)
            if sp.pod_revision(pod) == current_name:
                status["currentReplicas"] -= 1
            if sp.pod_revision(pod) == update_name:
                status["updatedReplicas"] -= 1
            if monotonic:
                return status

        strategy = sts["spec"]["updateStrategy"]
        if strategy.get("type") == "OnDelete":
            return status
        rolling = strategy.get("rollingUpdate") or {}
        update_min = rolling.get("partition", 0)
        if rolling.get("maxUnavailable") is not None:
            return self._update_with_max_unavailable(sts, replicas, update_name, update_min, status, min_ready, now)
        for index in range(len(replicas) - 1, update_min - 1, -1):
            pod = replicas[index]
            if sp.pod_revision(pod) != update_name and not sp.is_terminating(pod):
                self._delete_pod(sts, pod)
                status["currentReplicas"] -= 1
                return status
            if sp.is_unavailable(pod, min_ready, now):
                return status
        return status

    def _update_with_max_unavailable(
        self,
        sts: dict,
        replicas: list[dict],
        update_name: str,
        update_min: int,
        status: dict,
        min_ready: int,
        now: datetime,
    ) -> dict:
        """updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet): the budget is
        maxUnavailable minus the pods already unavailable anywhere in the set (below the partition
        too); spend it on the highest ordinals ≥ partition not yet on the update revision.

        Only a set that carries maxUnavailable takes this path, so a 1.20 set keeps 1.20's
        one-at-a-time walk (with OrderedReady the two agree at maxUnavailable 1 anyway).
        """
        budget = sp.max_unavailable(sts, len(replicas)) - sum(
            1 for pod in replicas if sp.is_unavailable(pod, min_ready, now)
        )
        for index in range(len(replicas) - 1, update_min - 1, -1):
            if budget <= 0:
                break
            pod = replicas[index]
            if sp.pod_revision(pod) != update_name and not sp.is_terminating(pod):
                self._delete_pod(sts, pod)
                status["currentReplicas"] -= 1
                budget -= 1
        return status

    # the controller's writes ----------------------------------------------------------------

    def _retain_claims(self, sts: dict, pod: dict, condemned: bool) -> None:
        """Make the claims' owner references express the retention policy, if the set has one."""
        if claim_retention.policy(sts) is None:
            return
        for template in sp.claims_for(sts, sp.ordinal_of(pod)):
            claim = self.store.view(PVCS, template["metadata"]["namespace"], template["metadata"]["name"])
            if claim is None or claim["metadata"].get("deletionTimestamp"):
                continue
            refs = claim_retention.desired_owner_refs(claim, sts, pod, condemned)
            if refs != (claim["metadata"].get("ownerReferences") or []):
                updated = deep_copy(claim)
                updated["metadata"]["ownerReferences"] = refs
                self.registry.update(PVCS, updated, claim["metadata"]["namespace"], claim["metadata"]["name"])

    def _create_claims(self, sts: dict, pod: dict) -> None:
        """createPersistentVolumeClaims: each missing claim created; raises with upstream's aggregate of what
        failed (a claim not created, or one being deleted: the pod must not start on a claim that is going)."""
        failed: list[str] = []
        for claim in sp.claims_for(sts, sp.ordinal_of(pod)):
            name = claim["metadata"]["name"]
            existing = self.store.view(PVCS, claim["metadata"]["namespace"], name)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    failed.append(f"pvc {name} is being deleted")
                continue
            if claim_retention.policy(sts) is not None:
                claim["metadata"]["ownerReferences"] = claim_retention.desired_owner_refs(claim, sts, None, False)
            try:
                self.registry.create(PVCS, claim, claim["metadata"]["namespace"])
            except StatusError as exc:
                failed.append(f"failed to create PVC {name}: {exc.message}")
                if exc.reason != "AlreadyExists":
                    self.recorder.record(
                        sts,
                        "Warning",
                        "FailedCreate",
                        f"create Claim {name} for Pod {pod['metadata']['name']} "
                        f"in StatefulSet {sts['metadata']['name']} failed error: {exc.message}",
                        COMPONENT,
                    )
                continue
            self.recorder.record(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Claim {name} Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} success",
                COMPONENT,
            )
        if failed:
            # errors.NewAggregate's words: one error as itself, more in brackets. A StatusError, so the set is
            # synced again after a back-off, as upstream requeues it.
            raise StatusError(500, None, failed[0] if len(failed) == 1 else "[" + ", ".join(failed) + "]")

    def _pod_event(self, verb: str, sts: dict, pod: dict, error: StatusError | None) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        if error is None:
            self.recorder.record(
                sts,
                "Normal",
                f"Successful{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} successful",
                COMPONENT,
            )
        else:
            self.recorder.record(
                sts,
                "Warning",
                f"Failed{verb.title()}",
                f"{verb} Pod {name} in StatefulSet {set_name} failed error: {error.message}",
                COMPONENT,
            )

    def _create_pod(self, sts: dict, pod: dict) -> None:
        try:
            self._create_claims(sts, pod)
        except StatusError as exc:
            self._pod_event("create", sts, pod, exc)
            raise
        try:
            self.registry.create(PODS, pod, sts["metadata"]["namespace"])
        except StatusError as exc:
            if exc.reason != "AlreadyExists":
                self._pod_event("create", sts, pod, exc)
            raise
        self._pod_event("create", sts, pod, None)

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        try:
            self.registry.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        except StatusError as exc:
            self._pod_event("delete", sts, pod, exc)
            raise
        self._pod_event("delete", sts, pod, None)

    def _update_pod(self, sts: dict, pod: dict) -> None:
        updated = deep_copy(pod)
        sp.update_identity(sts, updated)
        if not sp.storage_matches(sts, updated):
            try:
                self._create_claims(sts, updated)
            except StatusError as exc:
                self._pod_event("update", sts, pod, exc)
                raise
            sp.update_storage(sts, updated)
        try:
            self.registry.update(PODS, updated, pod["metadata"]["namespace"], pod["metadata"]["name"])
        except StatusError as exc:
            self._pod_event("update", sts, pod, exc)
            raise

    def _write_status(self, sts: dict, status: dict) -> None:
        if (
            sts["spec"]["updateStrategy"].get("type") == "RollingUpdate"
            and status["updatedReplicas"] == status["replicas"]
            and status["readyReplicas"] == status["replicas"]
        ):
            # completeRollingUpdate
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        old = sts.get("status") or {}
        if all((old.get(k) or 0) == (status.get(k) or 0) for k in _STATUS_FIELDS if "Revision" not in k) and all(
            old.get(k, "") == status.get(k, "") for k in ("currentRevision", "updateRevision")
        ):
            return
        sts["status"] = status_document(status)
        self.registry.update_status(STATEFULSETS, sts)

    def _truncate_history(
        self, sts: dict, pods: list[dict], revisions: list[dict], current: dict, update: dict
    ) -> None:
        live = {current["metadata"]["name"], update["metadata"]["name"]} | {sp.pod_revision(p) for p in pods}
        history = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = sts["spec"].get("revisionHistoryLimit", 10)
        for revision in history[: max(0, len(history) - limit)]:
            try:
                self.registry.delete(REVISIONS, revision["metadata"]["namespace"], revision["metadata"]["name"])
            except StatusError:
                pass
