"""Revisions of a StatefulSet: which ordinals run which, and what changed between two.

The first question in a bad rollout is "what changed?". A set's
ControllerRevisions hold each pod template it has had; a pod's
`controller-revision-hash` label names the revision it was made from, and the
set's status names the current one (what the pods ran before the rollout) and
the update one (what it rolls to). Pure functions over `ClusterState`'s records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stsviz.model.records import ControllerRevision, Pod, StatefulSet

# What an env variable's value shows as in a diff unless values are asked for: they may be secrets.
CHANGED = "(changed)"


@dataclass(slots=True, frozen=True)
class RevisionView:
    """One revision of a set as the frame shows it."""

    name: str  # <set>-<hash>: the pods' controller-revision-hash
    revision: int
    created: str | None
    current: bool  # the set's status.currentRevision
    update: bool  # the set's status.updateRevision
    ordinals: tuple[int, ...]  # ordinals whose pod carries this revision's hash, ascending

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revision": self.revision,
            "current": self.current,
            "update": self.update,
            "ordinals": list(self.ordinals),
        }


@dataclass(slots=True, frozen=True)
class DiffEntry:
    """One field of the pod template that differs: `from` None is added, `to` None is removed."""

    path: str  # containers[app].image, containers[app].env[LEVEL], volumes[data], labels[tier]
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "from": self.before, "to": self.after}

    def line(self) -> str:
        """`containers[app].image nginx:1.19 -> nginx:1.20`: what --plain prints."""
        before = "(none)" if self.before is None else self.before
        after = "(none)" if self.after is None else self.after
        return f"{self.path} {before} -> {after}"


def set_revisions(
    sts: StatefulSet, revisions: Mapping[str, ControllerRevision], pods: Mapping[int, Pod]
) -> tuple[RevisionView, ...]:
    """Every revision of the set, newest (highest number) first, with the ordinals running each."""
    ordinals: dict[str, list[int]] = {}
    for ordinal, pod in pods.items():
        if pod.revision is not None:
            ordinals.setdefault(pod.revision, []).append(ordinal)
    ordered = sorted(revisions.values(), key=lambda r: (r.revision, r.created or "", r.name), reverse=True)
    return tuple(
        RevisionView(
            name=revision.name,
            revision=revision.revision,
            created=revision.created,
            current=revision.name == sts.current_revision,
            update=revision.name == sts.update_revision,
            ordinals=tuple(sorted(ordinals.get(revision.name, ()))),
        )
        for revision in ordered
    )


def template_diff(
    before: ControllerRevision | None, after: ControllerRevision | None, *, show_values: bool = False
) -> tuple[DiffEntry, ...]:
    """What differs between two revisions' pod templates, by path; empty when either is unknown.

    Env values are shown as CHANGED (and an added or removed variable's value
    the same way) unless `show_values`: a diff is printed and logged, env values may be secrets.
    """
    if before is None or after is None or before.template == after.template:
        return ()
    old = dict(before.template)
    new = dict(after.template)
    entries = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path), new.get(path)
        if was == now:
            continue
        if not show_values and _is_env(path):
            was = None if was is None else CHANGED
            now = None if now is None else CHANGED
        entries.append(DiffEntry(path, was, now))
    return tuple(entries)


def _is_env(path: str) -> bool:
    return path.startswith(("containers[", "initContainers[")) and "].env[" in path


def rollout_diff(
    sts: StatefulSet, revisions: Mapping[str, ControllerRevision], *, show_values: bool = False
) -> tuple[DiffEntry, ...]:
    """The diff the rollout applies: from the set's currentRevision to its updateRevision."""
    current, update = sts.current_revision, sts.update_revision
    if not current or not update or current == update:
        return ()
    return template_diff(revisions.get(current), revisions.get(update), show_values=show_values)


def ordinal_ranges(ordinals: tuple[int, ...] | list[int]) -> str:
    """`0-1,3`: ascending ordinals as compact ranges, "" for none."""
    runs: list[list[int]] = []
    for ordinal in sorted(set(ordinals)):
        if runs and ordinal == runs[-1][1] + 1:
            runs[-1][1] = ordinal
        else:
            runs.append([ordinal, ordinal])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)


def default_selection(revisions: tuple[RevisionView, ...]) -> RevisionView | None:
    """The revision the panel selects first: the current one when it differs from the update one
    (the diff is then what the rollout changes), else the newest older one (what an undo would go back to)."""
    current = next((view for view in revisions if view.current and not view.update), None)
    if current is not None:
        return current
    older = next((view for view in revisions if not view.update), None)
    return older or (revisions[0] if revisions else None)


def previous_revision(revisions: tuple[RevisionView, ...]) -> RevisionView | None:
    """What `kubectl rollout undo` without --to-revision goes back to: the second highest number (or None)."""
    return revisions[1] if len(revisions) > 1 else None
