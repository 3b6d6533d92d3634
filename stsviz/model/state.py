"""ClusterState: the pure fold of watch events into slim, indexed records.

StatefulSet -> ordinal -> pod, claims by name, and recent Events per object.
It also remembers, per set, when its rollout last made progress, which is what
the "stalled" verdict is measured against. It never reads a clock: time comes
in on the events. Live, it is also told when pods have not been read yet (their
list failing or still running), so no set is called done on its status alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from stsviz.model.events import EVENT_TYPES, Change, WatchEvent
from stsviz.model.records import (
    MALFORMED,
    ORDINAL_NAME,
    Claim,
    ControllerRevision,
    Event,
    ObjectKey,
    PersistentVolume,
    Pod,
    SetKey,
    StatefulSet,
)
from stsviz.model.times import parse_rfc3339

K = TypeVar("K")  # a nested index's key, its inner dicts' keys and values
IK = TypeVar("IK")
V = TypeVar("V")

RECENT_EVENTS = 20
CLAIM_PHASES_KEPT = 8


class ClusterState:
    def __init__(self) -> None:
        self.sets: dict[SetKey, StatefulSet] = {}
        self.pods: dict[ObjectKey, Pod] = {}
        self.claims: dict[ObjectKey, Claim] = {}
        # claim -> (phase, when first seen in it), oldest first: "Pending at T, Bound at T+12s"
        self.claim_phases: dict[ObjectKey, tuple[tuple[str, datetime | None], ...]] = {}
        # (namespace, set name) -> ordinal -> pod, for pods owned by that set
        self.pods_by_set: dict[SetKey, dict[int, Pod]] = {}
        # (namespace, kind, name) -> event name -> Event, newest last
        self.events: dict[tuple[str, str, str], dict[str, Event]] = {}
        # (namespace, set name) -> revision name -> ControllerRevision, for revisions that set controls
        self.revisions_by_set: dict[SetKey, dict[str, ControllerRevision]] = {}
        # name -> PersistentVolume (cluster-scoped), where they are watched
        self.volumes: dict[str, PersistentVolume] = {}
        # Counts claim changes: a cell cache (frame.CellCache) keeps a cell's claims while it is unchanged.
        self.claims_version = 0
        self.now: datetime | None = None
        self.applied = 0
        self.skipped: Counter[str] = Counter()  # why events were not folded, for the user's warning
        self.recreations = 0  # pods replaced under the same name with a new UID
        self.pods_unread: str | None = None  # why pods are not read yet (live, before a pods list worked)
        # What the rollout looked like at its last progress, when that was, and whether that was only
        # when this state first saw it (its first list, a recording's start): then its objects say when
        # it last moved (idle_seconds).
        self._progress: dict[SetKey, tuple[tuple[object, ...], datetime | None, bool]] = {}
        # When a first-seen set's pods last moved, by their own times (None: no time known); dropped when
        # its pods, revisions or the set change. A row is rebuilt on every pod event: not parsed each time.
        self._moved: dict[SetKey, datetime | None] = {}
        self._dirty: set[SetKey] = set()
        # Copy-on-write of the nested indexes' inner dicts: once `copy()` has been taken both
        # states share them, and each copies one before it first changes it (`_inner`). These
        # are the keys whose inner dict this state has made its own since.
        self._sharing = False
        self._own_pods_by_set: set[SetKey] = set()
        self._own_events: set[tuple[str, str, str]] = set()
        self._own_revisions: set[SetKey] = set()
        self._handlers: dict[type, Callable[[str, Any], None]] = {
            StatefulSet: self._apply_set,
            Pod: self._apply_pod,
            Claim: self._apply_claim,
            Event: self._apply_event,
            ControllerRevision: self._apply_revision,
            PersistentVolume: self._apply_volume,
        }

    # -- the fold -----------------------------------------------------------

    def apply(self, event: WatchEvent) -> None:
        """Fold one raw watch event: convert it to a slim record, then apply it.

        Never raises on what a server or a file may send: events of other types
        or kinds, and objects whose fields have the wrong types, are counted in
        `skipped` (shown to the user) instead.
        """
        if event.type not in EVENT_TYPES:
            self._note_time(event.time)
            self.skipped[f"type {event.type}"] += 1
            return
        try:
            change = event.to_change()
        except MALFORMED:
            self._note_time(event.time)
            self.skipped[f"malformed {event.kind or 'object'}"] += 1
            return
        if change is None:
            self._note_time(event.time)
            obj = event.object
            self.skipped[f"kind {obj.get('kind') if isinstance(obj, dict) else type(obj).__name__}"] += 1
            return
        self.apply_change(change)

    def _note_time(self, time: datetime | None) -> None:
        if time is not None and (self.now is None or time > self.now):
            self.now = time

    def apply_change(self, change: Change) -> None:
        """Fold one event already converted at the boundary."""
        self._note_time(change.time)
        if change.type not in EVENT_TYPES:
            self.skipped[f"type {change.type}"] += 1
            return
        self._handlers[type(change.record)](change.type, change.record)
        self.applied += 1

    def copy(self) -> ClusterState:
        """An independent state equal to this one, for replay's keyframes.

        Records are never mutated, so they are shared. The flat indexes are
        copied; the nested ones (pods per set, events per object, revisions per
        set) share their inner dicts with this state, and either state copies
        an inner dict before it first changes it. A keyframe then costs its
        outer dicts and what changes after it, not the whole cluster again:
        at 1,000,000 replayed events, 100 keyframes took ~0.47 KB per event
        when every inner dict was copied.
        """
        other = ClusterState()
        other.sets = self.sets.copy()
        other.pods = self.pods.copy()
        other.claims = self.claims.copy()
        other.claim_phases = self.claim_phases.copy()
        other.pods_by_set = self.pods_by_set.copy()
        other.events = self.events.copy()
        other.revisions_by_set = self.revisions_by_set.copy()
        other._sharing = True
        # This state shares its inner dicts from now on too. (A keyframe owns none, so copying
        # one, as seeks do on other threads, changes nothing in it.)
        self._sharing = True
        for owned in (self._own_pods_by_set, self._own_events, self._own_revisions):
            if owned:
                owned.clear()
        other.volumes = self.volumes.copy()
        other.claims_version = self.claims_version
        other.now = self.now
        other.applied = self.applied
        other.skipped = self.skipped.copy()
        other.recreations = self.recreations
        other.pods_unread = self.pods_unread
        other._progress = self._progress.copy()
        other._dirty = self._dirty.copy()
        return other

    def note_pods_unread(self, reason: str | None) -> None:
        """Pods are not read (`reason`), or are (None): every row's verdict depends on it."""
        if reason != self.pods_unread:
            self.pods_unread = reason
            self._dirty.update(self.sets)

    def take_dirty(self) -> set[SetKey]:
        """Sets whose row changed since the last call (a view redraws only those)."""
        dirty, self._dirty = self._dirty, set()
        return dirty

    def _apply_set(self, type_: str, sts: StatefulSet) -> None:
        key = sts.key
        self._dirty.add(key)
        self._moved.pop(key, None)
        if type_ == "DELETED":
            current = self.sets.get(key)
            if current is None or current.uid == sts.uid:
                self.sets.pop(key, None)
                self._progress.pop(key, None)
            return
        self.sets[key] = sts
        signature = (
            sts.generation,
            sts.observed_generation,
            sts.replicas,
            sts.ready_replicas,
            sts.updated_replicas,
            sts.current_replicas,
            sts.current_revision,
            sts.update_revision,
        )
        previous = self._progress.get(key)
        if previous is None:
            self._progress[key] = (signature, self.now, True)
        elif previous[0] != signature:
            self._progress[key] = (signature, self.now, False)

    def _apply_pod(self, type_: str, pod: Pod) -> None:
        key = pod.key
        current = self.pods.get(key)
        if type_ == "DELETED":
            # A late DELETED of an earlier incarnation must not remove its replacement.
            if current is not None and current.uid == pod.uid:
                del self.pods[key]
                self._unindex(current)
            return
        if current is not None:
            if current.uid != pod.uid:
                self.recreations += 1
            self._unindex(current)
        self.pods[key] = pod
        set_key = _owning_set(pod)
        if set_key is not None:
            by_ordinal = self._inner(self.pods_by_set, self._own_pods_by_set, set_key, create=True)
            by_ordinal[pod.ordinal] = pod  # type: ignore[index]
            self._dirty.add(set_key)
            if self._moved:  # on every pod event: the key is hashed only when something is cached
                self._moved.pop(set_key, None)

    def _unindex(self, pod: Pod) -> None:
        set_key = _owning_set(pod)
        if set_key is None:
            return
        by_ordinal = self.pods_by_set.get(set_key)
        if by_ordinal is not None and by_ordinal.get(pod.ordinal) is pod:  # type: ignore[arg-type]
            by_ordinal = self._inner(self.pods_by_set, self._own_pods_by_set, set_key)
            del by_ordinal[pod.ordinal]  # type: ignore[arg-type]
            if not by_ordinal:
                del self.pods_by_set[set_key]
        self._dirty.add(set_key)
        if self._moved:
            self._moved.pop(set_key, None)

    def _apply_volume(self, type_: str, volume: PersistentVolume) -> None:
        current = self.volumes.get(volume.name)
        if type_ == "DELETED":
            if current is not None and current.uid == volume.uid:
                del self.volumes[volume.name]
        else:
            self.volumes[volume.name] = volume
        # The set whose claim it is bound to shows it (`v`): its row is redrawn with it.
        if volume.claim_namespace and volume.claim_name:
            claim = self.claims.get((volume.claim_namespace, volume.claim_name))
            set_key = self._claiming_set(claim) if claim is not None else None
            if set_key is not None:
                self._dirty.add(set_key)

    def _apply_claim(self, type_: str, claim: Claim) -> None:
        self.claims_version += 1
        current = self.claims.get(claim.key)
        if type_ == "DELETED":
            if current is not None and current.uid == claim.uid:
                del self.claims[claim.key]
                self.claim_phases.pop(claim.key, None)
        else:
            self.claims[claim.key] = claim
            self._note_claim_phase(claim, current)
        set_key = self._claiming_set(claim)
        if set_key is not None:
            self._dirty.add(set_key)

    def _note_claim_phase(self, claim: Claim, before: Claim | None) -> None:
        """Remember when the claim entered each phase (a new claim under the name starts over)."""
        if claim.phase is None:
            return
        history = self.claim_phases.get(claim.key, ()) if before is not None and before.uid == claim.uid else ()
        if not history or history[-1][0] != claim.phase:
            self.claim_phases[claim.key] = (*history[-(CLAIM_PHASES_KEPT - 1) :], (claim.phase, self.now))

    def _claiming_set(self, claim: Claim) -> SetKey | None:
        """The set whose row shows this claim: claims are named <template>-<set>-<ordinal>."""
        match = ORDINAL_NAME.match(claim.name)
        if match is None:
            return None
        prefix = match.group(1)
        # Template and set names may both contain dashes: try every split point.
        start = prefix.find("-")
        while start != -1:
            key = (claim.namespace, prefix[start + 1 :])
            if key in self.sets:
                return key
            start = prefix.find("-", start + 1)
        return None

    def _apply_event(self, type_: str, event: Event) -> None:
        if not event.object_kind or not event.object_name:
            return
        key = (event.namespace, event.object_kind, event.object_name)
        if type_ == "DELETED":
            recent = self.events.get(key)
            if recent is not None and event.name in recent:
                del self._inner(self.events, self._own_events, key)[event.name]
            return
        recent = self._inner(self.events, self._own_events, key, create=True)
        recent.pop(event.name, None)  # re-insert so the newest occurrence is last
        recent[event.name] = event
        if len(recent) > RECENT_EVENTS:
            del recent[next(iter(recent))]

    def _apply_revision(self, type_: str, revision: ControllerRevision) -> None:
        if revision.owner_kind != "StatefulSet" or not revision.owner_name:
            return  # a DaemonSet's, or an orphan: no row shows it
        set_key = (revision.namespace, revision.owner_name)
        by_name = self.revisions_by_set.get(set_key)
        if type_ == "DELETED":
            # Like pods: a late DELETED of an earlier incarnation must not remove its replacement.
            current = by_name.get(revision.name) if by_name is not None else None
            if by_name is not None and current is not None and current.uid == revision.uid:
                by_name = self._inner(self.revisions_by_set, self._own_revisions, set_key)
                del by_name[revision.name]
                if not by_name:
                    del self.revisions_by_set[set_key]
        else:
            by_name = self._inner(self.revisions_by_set, self._own_revisions, set_key, create=True)
            by_name[revision.name] = revision
        self._dirty.add(set_key)
        if self._moved:
            self._moved.pop(set_key, None)

    def _inner(self, index: dict[K, dict[IK, V]], owned: set[K], key: K, *, create: bool = False) -> dict[IK, V]:
        """index[key], safe for this state to change: copied first if a keyframe may share it.

        With `create`, an absent key gets a new empty dict (this state's own);
        without, the key must be there.
        """
        inner = index.get(key)
        if inner is None:
            if not create:
                raise KeyError(key)
            inner = index[key] = {}
            if self._sharing:
                owned.add(key)
        elif self._sharing and key not in owned:
            inner = index[key] = inner.copy()
            owned.add(key)
        return inner

    # -- queries --------------------------------------------------------------

    def pods_of(self, sts: StatefulSet) -> dict[int, Pod]:
        return self.pods_by_set.get(sts.key, {})

    def revisions_of(self, sts: StatefulSet) -> dict[str, ControllerRevision]:
        """The set's ControllerRevisions by name (the name is its pods' controller-revision-hash)."""
        return self.revisions_by_set.get(sts.key, {})

    def recent_events(self, namespace: str, kind: str, name: str, uid: str | None = None) -> list[Event]:
        """Events about one object, oldest first; with `uid`, only about that incarnation.

        Like `kubectl describe`: a pod recreated under the same name must not
        show its predecessor's events as its own.
        """
        recent = self.events.get((namespace, kind, name), {}).values()
        if uid:
            return [event for event in recent if event.object_uid in (uid, None)]
        return list(recent)

    def idle_seconds(self, key: SetKey, now: datetime | None = None) -> float | None:
        """How long the set's rollout status has not changed, or None if unknown.

        A status change seen is timed by the event that brought it. A set only
        seen as it was (the first list of this state: stsviz started, `:ns` or
        `:ctx`, a recording's start) last moved when its own objects say: the
        newest of the set's and its update revision's creation, and of its
        pods' creation, deletion and condition transitions. A rollout stuck for
        an hour is then stalled at once, not a stall period after stsviz
        started, and one just begun (a new revision, a pod being replaced) is not.
        """
        now = now or self.now
        progress = self._progress.get(key)
        if progress is None or now is None:
            return None
        _signature, since, first_seen = progress
        if first_seen:
            since = self._last_moved(key, since)
        if since is None:
            return None
        return max(0.0, (now - since).total_seconds())

    def _last_moved(self, key: SetKey, seen: datetime | None) -> datetime | None:
        """When the set last moved by its own objects' times; never later than `seen`."""
        if key in self._moved:
            latest = self._moved[key]
        else:
            latest = self._moved[key] = self._newest_stamp(key)
        if latest is None:
            return seen
        return latest if seen is None or latest < seen else seen

    def _newest_stamp(self, key: SetKey) -> datetime | None:
        """The newest of: the set's creation, its update revision's (a rollout begins), and each of its
        pods' creation, deletion (a pod being replaced) and condition transitions."""
        sts = self.sets.get(key)
        if sts is None:
            return None
        update = self.revisions_of(sts).get(sts.update_revision or "")
        stamps = [sts.created, update.created if update is not None else None]
        for pod in self.pods_of(sts).values():
            stamps.append(pod.created)
            stamps.append(pod.deleting)
            stamps.extend(condition.since for condition in pod.conditions)
        return max((parsed for parsed in map(parse_rfc3339, stamps) if parsed is not None), default=None)


def _owning_set(pod: Pod) -> SetKey | None:
    """The set a pod belongs to: controller owner is that StatefulSet and the name is <set>-<ordinal>."""
    name = pod.set_name
    if pod.owner_kind == "StatefulSet" and pod.ordinal is not None and name is not None and name == pod.owner_name:
        return (pod.namespace, name)
    return None
