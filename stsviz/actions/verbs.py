"""The mutating verbs: scale, delete a pod, move the partition, restart, undo — with kubectl's semantics.

Each action knows the object the user saw (its replicas, its pod's UID), so a
stale screen never changes something else: scale checks the replicas first
(`kubectl scale --current-replicas`), delete carries the pod's UID as a
precondition (a StatefulSet pod comes back under the same name), a partition
moves only from the one seen. Each also
prints the kubectl command that does the same, for the confirm dialog and
for whoever writes the incident report.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from stsviz.sources.live.wire import ApiError

STS_PATH = "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"
POD_PATH = "/api/v1/namespaces/{namespace}/pods/{name}"
REVISIONS_PATH = "/apis/apps/v1/namespaces/{namespace}/controllerrevisions"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

SCALE_TRIES = 5  # a scale that meets a conflict (409) reads the set again and retries, this many times in all

GRACE_DEFAULT = "default"  # the pod's terminationGracePeriodSeconds
GRACE_NOW = "now"  # kubectl delete --now: 1 second
GRACE_FORCE = "force"  # kubectl delete --force --grace-period=0: gone from the API at once


class Transport(Protocol):
    """What an action may use to talk to the server: only the gate makes one."""

    async def get(self, path: str, query: list[tuple[str, str]] | None = ...) -> Any: ...

    async def send(
        self, method: str, path: str, *, body: Any = None, content_type: str = ..., query: list[tuple[str, str]] = ...
    ) -> Any: ...


class PreconditionFailed(Exception):
    """What the user saw is not what the server has: nothing was changed. The message is kubectl's."""


@dataclass(frozen=True)
class Target:
    """Where an action goes: the context (for the kubectl line) and the object's namespace and name."""

    context: str | None
    namespace: str
    name: str
    kubeconfig: str | None = None  # when kubectl would not read the same kubeconfig by itself

    def path(self, template: str) -> str:
        return template.format(namespace=quote(self.namespace, safe=""), name=quote(self.name, safe=""))

    def kubectl(self, *words: str) -> str:
        kubeconfig = ["--kubeconfig", self.kubeconfig] if self.kubeconfig else []
        context = ["--context", self.context] if self.context else []
        return shlex.join(["kubectl", *kubeconfig, *context, "-n", self.namespace, *words])


@dataclass(frozen=True)
class Action:
    """One change the user asked for, with everything the confirm dialog shows."""

    target: Target
    summary: str = field(init=False, default="")
    warnings: tuple[str, ...] = ()  # what the user should know before confirming (an HPA, OnDelete)
    details: tuple[str, ...] = ()  # what it changes, line by line (an undo's template diff)
    alternatives: tuple[str, ...] = ()  # the dialog's other choices, each with its kubectl command

    def kubectl(self) -> str:
        raise NotImplementedError

    async def perform(self, transport: Transport) -> str:
        """Send the change; what was done, in a line. Raises ApiError, Unreachable or PreconditionFailed."""
        raise NotImplementedError


@dataclass(frozen=True)
class Scale(Action):
    seen: int = 0  # the replicas on screen when the user asked
    replicas: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", f"scale statefulset {self.target.name} from {self.seen} to {self.replicas}")

    def kubectl(self) -> str:
        name = f"statefulset/{self.target.name}"
        return self.target.kubectl("scale", name, f"--current-replicas={self.seen}", f"--replicas={self.replicas}")

    async def perform(self, transport: Transport) -> str:
        path = self.target.path(STS_PATH) + "/scale"
        for attempt in range(1, SCALE_TRIES + 1):
            scale = await transport.get(path)
            current = (scale.get("spec") or {}).get("replicas", 0) if isinstance(scale, dict) else None
            if current != self.seen:
                raise PreconditionFailed(f"Expected replicas to be {self.seen}, was {current}")
            # PUT the Scale back: its resourceVersion makes the server refuse (409) if it moved meanwhile.
            scale["spec"] = {**(scale.get("spec") or {}), "replicas": self.replicas}
            try:
                await transport.send("PUT", path, body=scale)
            except ApiError as error:
                # The controller writes the set's status all through a rollout, and each write moves the
                # resourceVersion: as kubectl's ScaleCondition, read again and retry while the replicas
                # are still the ones the user saw.
                if error.status != 409 or attempt == SCALE_TRIES:
                    raise
                continue
            break
        return f"statefulset.apps/{self.target.name} scaled"


@dataclass(frozen=True)
class DeletePod(Action):
    uid: str = ""  # the pod the user saw: another one under the same name is left alone
    grace: str = GRACE_DEFAULT

    def __post_init__(self) -> None:
        how = {GRACE_DEFAULT: "", GRACE_NOW: " now", GRACE_FORCE: " by force, without waiting for the kubelet"}
        object.__setattr__(self, "summary", f"delete pod {self.target.name}{how[self.grace]}")

    def kubectl(self) -> str:
        flags = {GRACE_DEFAULT: [], GRACE_NOW: ["--now"], GRACE_FORCE: ["--force", "--grace-period=0"]}
        return self.target.kubectl("delete", "pod", self.target.name, *flags[self.grace])

    async def perform(self, transport: Transport) -> str:
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": self.uid}}
        if self.grace == GRACE_NOW:
            options["gracePeriodSeconds"] = 1
        elif self.grace == GRACE_FORCE:
            options["gracePeriodSeconds"] = 0
        await transport.send("DELETE", self.target.path(POD_PATH), body=options)
        if self.grace == GRACE_FORCE:  # as kubectl says it, with the gist of its warning
            return f'pod "{self.target.name}" force deleted; the kubelet was not waited for: it may still run there'
        return f'pod "{self.target.name}" deleted'


@dataclass(frozen=True)
class SetPartition(Action):
    """Move the partition, only from the one the user saw.

    `kubectl patch` has no precondition, and `>`/`<` count from the screen: sent
    blindly, a partition a teammate had just set to 0 would be put back to 3.
    So the set is read first (a clear "expected 2, was 0"), and the change is a
    JSON patch whose `test` makes the server refuse it if the partition moved
    in between.
    """

    seen: int | None = None  # the partition on screen (None: none set)
    partition: int = 0

    def __post_init__(self) -> None:
        seen = "none" if self.seen is None else str(self.seen)
        summary = f"set the partition of statefulset {self.target.name} from {seen} to {self.partition}"
        object.__setattr__(self, "summary", summary)

    def patch(self, rolling_update: bool = False) -> list[dict[str, Any]]:
        """The JSON patch: test what was seen, then set the new partition.

        With no partition seen, `rolling_update` says whether the set has a
        `rollingUpdate` to add it to (the kubectl line assumes it has none).
        """
        strategy = "/spec/updateStrategy"
        if self.seen is not None:
            at = f"{strategy}/rollingUpdate/partition"
            test = {"op": "test", "path": at, "value": self.seen}
            return [test, {"op": "replace", "path": at, "value": self.partition}]
        test = {"op": "test", "path": f"{strategy}/type", "value": "RollingUpdate"}
        if rolling_update:
            return [test, {"op": "add", "path": f"{strategy}/rollingUpdate/partition", "value": self.partition}]
        return [test, {"op": "add", "path": f"{strategy}/rollingUpdate", "value": {"partition": self.partition}}]

    def kubectl(self) -> str:
        body = json.dumps(self.patch(), separators=(",", ":"))
        return self.target.kubectl("patch", "statefulset", self.target.name, "--type=json", "-p", body)

    async def perform(self, transport: Transport) -> str:
        sts = await transport.get(self.target.path(STS_PATH))
        strategy = ((sts.get("spec") if isinstance(sts, dict) else None) or {}).get("updateStrategy") or {}
        kind = strategy.get("type") or "RollingUpdate"
        if kind != "RollingUpdate":
            raise PreconditionFailed(f"statefulset {self.target.name} now uses {kind}: there is no partition")
        rolling = strategy.get("rollingUpdate")
        current = rolling.get("partition") if isinstance(rolling, dict) else None
        if current != self.seen:
            seen, now = ("none" if value is None else value for value in (self.seen, current))
            raise PreconditionFailed(f"Expected the partition to be {seen}, was {now}")
        body = self.patch(rolling_update=isinstance(rolling, dict))
        await transport.send("PATCH", self.target.path(STS_PATH), body=body, content_type=JSON_PATCH)
        return f"statefulset.apps/{self.target.name} patched"


@dataclass(frozen=True)
class Restart(Action):
    now: Callable[[], datetime] = datetime.now

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", f"restart statefulset {self.target.name}")

    def kubectl(self) -> str:
        return self.target.kubectl("rollout", "restart", f"statefulset/{self.target.name}")

    async def perform(self, transport: Transport) -> str:
        # What `kubectl rollout restart` sends: the template annotated with the time, as field manager
        # kubectl-rollout; a changed template is a new revision, and the controller rolls it.
        stamp = rfc3339(self.now())
        # As kubectl, read the set first: a stamp it already has (a restart in this same second) would
        # change nothing, and saying "restarted" again would be a lie.
        sts = await transport.get(self.target.path(STS_PATH))
        template = (sts.get("spec") or {}).get("template") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if annotations.get(RESTARTED_AT) == stamp:
            raise PreconditionFailed(
                f"failed to create patch for {self.target.name}: if restart has already been triggered within"
                " the past second, please wait before attempting to trigger another"
            )
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        query = [("fieldManager", "kubectl-rollout")]
        await transport.send("PATCH", self.target.path(STS_PATH), body=body, content_type=STRATEGIC, query=query)
        return f"statefulset.apps/{self.target.name} restarted"


@dataclass(frozen=True)
class Undo(Action):
    """`kubectl rollout undo statefulset/NAME --to-revision=N`, step for step (kubectl's StatefulSetRollbacker).

    GET the set, list the ControllerRevisions it controls, take the one
    numbered N; if the set's template already equals it, skip; else PATCH the
    revision's data (the template with `$patch: replace`) as a strategic merge
    patch. The revision's raw data is read here, at confirm time: the fold
    keeps only a flattened template.
    """

    revision: int = 0
    seen: str = ""  # the revision's name the user chose: a renumbered history is not rolled back blindly

    def __post_init__(self) -> None:
        summary = f"roll back statefulset {self.target.name} to revision {self.revision}"
        object.__setattr__(self, "summary", summary)

    def kubectl(self) -> str:
        words = ("rollout", "undo", f"statefulset/{self.target.name}", f"--to-revision={self.revision}")
        return self.target.kubectl(*words)

    async def perform(self, transport: Transport) -> str:
        sts = await transport.get(self.target.path(STS_PATH))
        meta = sts.get("metadata") or {}
        selector = label_selector((sts.get("spec") or {}).get("selector") or {})
        path = REVISIONS_PATH.format(namespace=quote(self.target.namespace, safe=""))
        listing = await transport.get(path, [("labelSelector", selector)])
        history = [item for item in listing.get("items") or () if _controlled_by(item, meta.get("uid"))]
        found = next((item for item in history if item.get("revision") == self.revision), None)
        if found is None:
            raise PreconditionFailed(f"unable to find specified revision {self.revision} in history")
        name = (found.get("metadata") or {}).get("name")
        if self.seen and name != self.seen:
            raise PreconditionFailed(f"revision {self.revision} is now {name}, not {self.seen}")
        data = found.get("data")
        if data == template_patch(sts):
            matches = f"current template already matches revision {self.revision}"
            return f"statefulset.apps/{self.target.name} skipped rollback ({matches})"
        await transport.send("PATCH", self.target.path(STS_PATH), body=data, content_type=STRATEGIC)
        return f"statefulset.apps/{self.target.name} rolled back"


def rfc3339(when: datetime) -> str:
    """Go's time.RFC3339 of local time, as kubectl stamps a restart: `...T15:47:02Z` in UTC, else `+01:00`."""
    stamp = when.astimezone().isoformat(timespec="seconds")
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


def template_patch(sts: dict[str, Any]) -> dict[str, Any]:
    """kubectl's getStatefulSetPatch: what a revision's data holds when it equals the set's template."""
    template = dict((sts.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def _controlled_by(item: dict[str, Any], uid: str | None) -> bool:
    refs = (item.get("metadata") or {}).get("ownerReferences") or ()
    return uid is not None and any(ref.get("controller") and ref.get("uid") == uid for ref in refs)


def label_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector as the query string kubectl lists with (`app=web,tier in (a,b),!canary`)."""
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression.get("key", ""), expression.get("operator")
        values = ",".join(sorted(expression.get("values") or ()))
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
