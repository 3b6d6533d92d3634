"""What the detail pane says about one cell, as Rich `Text` (no Textual here).

Like `kubectl describe pod`, narrowed to what explains a rollout: the set's
verdict in kubectl's words, then the pod's phase, cell state, revision, node,
age, restarts, containers, claims, recent Events and conditions. Every cluster string is
appended as plain text, never parsed as markup, so a name or message holding
`[bold]` or `[/]` shows literally. Ages are relative to the frame's time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from rich.style import Style
from rich.text import Text

from stsviz.model import Cell, ClusterState, SetRow
from stsviz.model.blocked import controller_notes, staged_rollout
from stsviz.model.cells import READY, UPDATED
from stsviz.model.records import FAILED_WAITING_REASONS, Container, Event, Pod, Service, StatefulSet
from stsviz.render.rows import VERDICT_STYLES, cell_style, glyph, printable
from stsviz.render.timefmt import age

LABEL_WIDTH = 10
EVENTS_SHOWN = 8  # the newest ones; ClusterState keeps a few more
SET_WARNINGS_SHOWN = 3
# A pod may list thousands of containers, conditions or volumes (etcd takes 1.5 MB):
# the pane draws a screenful and counts the rest, so drawing it stays instant.
CONTAINERS_SHOWN = 20
CONDITIONS_SHOWN = 16
CLAIMS_SHOWN = 16
MESSAGE_CHARS = 300  # a termination message can be 4 KB

HEADING = Style(bold=True, underline=True)
LABEL = Style(dim=True)
NAME = Style(bold=True)
WARNING = Style(color="yellow", bold=True)
BAD = Style(color="red", bold=True)
GOOD = Style(color="green")


def add_field(text: Text, label: str, value: str | Text, style: Style | None = None) -> None:
    text.append(label.ljust(LABEL_WIDTH), LABEL)
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value, style)
    text.append("\n")


def add_heading(text: Text, title: str) -> None:
    text.append("\n")
    text.append(title, HEADING)
    text.append("\n")


# A kubectl command line for the cluster watched: (namespace, *words) -> "kubectl --context c -n ns words..."
Kubectl = Callable[..., str]


def describe(
    state: ClusterState,
    row: SetRow | None,
    cell: Cell | None,
    now: datetime | None,
    *,
    events_note: str | None = None,
    service: Service | Literal["missing"] | None = None,
    kubectl: Kubectl | None = None,
) -> Text:
    """The whole pane: the set and its verdict, then the selected pod (or missing ordinal).

    `service` is what the cluster said of the set's serviceName (live only; None: not known). `kubectl`
    makes a kubectl command line for the cluster watched (live only): a restarted container's logs are named.
    """
    text = Text(no_wrap=False)
    if row is None:
        text.append("No StatefulSet selected.", LABEL)
        return text
    # The set first: its verdict is the answer to "is the rollout ok?", the pod explains it.
    _describe_set(text, row, service)
    warnings = [e for e in state.recent_events(row.set.namespace, "StatefulSet", row.set.name) if e.type == "Warning"]
    if warnings:
        # The controller's own complaints (FailedCreate: a claim it cannot create) explain a stuck set;
        # its routine Normal events would only push the pod out of view.
        add_heading(text, "Warnings")
        for event, count in _collapse(warnings)[-SET_WARNINGS_SHOWN:]:
            text.append(f"  {age(event.last_seen, now):>5} ", LABEL)
            text.append(event.reason or "-", WARNING)
            if count > 1:
                text.append(f" x{count}", LABEL)
            text.append(f": {event.message}\n")
    text.append("\n")
    if cell is None:
        text.append("This StatefulSet has no ordinals (replicas: 0).\n", LABEL)
    else:
        _describe_cell(text, state, row, cell, now, events_note, kubectl)
    text.rstrip()
    # Cluster strings (names, messages a container wrote itself) are text, and
    # their control characters must not reach the terminal. One character for
    # one, so every span stays where it was.
    text.plain = printable(text.plain)
    return text


def _describe_cell(
    text: Text,
    state: ClusterState,
    row: SetRow,
    cell: Cell,
    now: datetime | None,
    events_note: str | None,
    kubectl: Kubectl | None,
) -> None:
    sts = row.set
    pod = cell.pod
    name = pod.name if pod else f"{sts.name}-{cell.ordinal}"
    text.append("Pod", HEADING)
    text.append(" ")
    text.append(name, NAME)
    text.append(f"  ordinal {cell.ordinal}\n", LABEL)
    state_value = Text()
    state_value.append(glyph(cell), cell_style(cell))
    state_value.append(f" {cell.state}")
    if pod is None and state.pods_unread is not None:
        add_field(text, "cell", state_value)
        text.append("Not known yet", WARNING)
        text.append(f": pods are not read ({state.pods_unread}).\n")
    elif pod is None:
        add_field(text, "cell", state_value)
        text.append("No pod at this ordinal", BAD)
        text.append(f": {_why_missing(state, row, cell, name)}\n")
    else:
        add_field(text, "phase", pod.phase or "-")
        add_field(text, "cell", state_value)
        add_field(text, "revision", _revision(pod, row))
        add_field(text, "node", pod.node or "(not scheduled)")
        add_field(text, "age", age(pod.created, now))
        add_field(text, "restarts", str(pod.restarts), BAD if pod.restarts else None)
        if pod.deleting:
            add_field(text, "deleting", f"for {age(pod.deleting, now)}", WARNING)
    if cell.condemned:
        wanted = sts.ordinals
        span = f"{wanted.start}..{wanted.stop - 1}" if wanted else "none"
        text.append(
            f"Condemned: ordinal {cell.ordinal} is outside the wanted ordinals ({span}); the controller removes it.\n",
            WARNING,
        )
    # Most telling first: why a container is not running, where its data lives, what
    # the cluster said about it; conditions mostly restate the cell and come last.
    if pod is not None:
        _containers(text, pod, kubectl)
    _claims(text, state, sts.namespace, cell)
    add_events(text, state, sts.namespace, name, cell.pod.uid if cell.pod else None, now, events_note)
    if pod is not None:
        _conditions(text, pod, now)


def _why_missing(state: ClusterState, row: SetRow, cell: Cell, name: str) -> str:
    """Why the controller has not made this ordinal's pod, as far as the screen can tell."""
    sts = row.set
    # The controller's own words first: a create it tried and the API refused (quota, admission).
    for event in reversed(state.recent_events(sts.namespace, "StatefulSet", sts.name)):
        if event.reason == "FailedCreate" and f"Pod {name} " in (event.message or ""):
            return f"the controller could not create it: {event.message}"
    if sts.pod_management == "OrderedReady":
        # It makes ordinal N only once every ordinal below is Running and Ready (a scale-up waits here).
        waiting = [c for c in row.cells if not c.condemned and c.ordinal < cell.ordinal and c.state != READY]
        if waiting:
            first = waiting[0]
            return (
                f"OrderedReady: the controller creates it once every ordinal below is Running and Ready;"
                f" {sts.name}-{first.ordinal} is {first.state}."
            )
    return "the controller has not created it yet, or it was deleted."


def _revision(pod: Pod, row: SetRow) -> Text:
    value = Text(pod.revision or "-")
    update_revision = row.set.update_revision
    if not update_revision:
        value.append(" (set has no updateRevision yet)", LABEL)
    elif pod.revision == update_revision:
        value.append(f" ({UPDATED})", GOOD)
    else:
        value.append(" (old)", WARNING)  # the update revision is named in the set's lines above
    return value


def _conditions(text: Text, pod: Pod, now: datetime | None) -> None:
    add_heading(text, "Conditions")
    if not pod.conditions:
        text.append("  (none reported)\n", LABEL)
    for condition in pod.conditions[:CONDITIONS_SHOWN]:
        text.append(f"  {condition.type:<15} ")  # a long custom type keeps a space before its status
        text.append(f"{condition.status:<6}", GOOD if condition.status == "True" else WARNING)
        if condition.since:
            text.append(f"{age(condition.since, now):>5}", LABEL)
        text.append("\n")
        # Why a condition is not met, on its own line: the pane is too narrow for a fourth column.
        if condition.reason and condition.status != "True":
            text.append(f"{'':18}{condition.reason}\n", LABEL)
    _more(text, len(pod.conditions) - CONDITIONS_SHOWN, "conditions")


def _containers(text: Text, pod: Pod, kubectl: Kubectl | None) -> None:
    add_heading(text, "Containers")
    if not pod.containers:
        text.append("  (no status yet)\n", LABEL)
    for container in _telling_containers(pod):
        text.append("  ")
        text.append(container.name, NAME)
        if container.init:
            text.append(" (init)", LABEL)
        text.append(f"  {container.state}")
        if container.reason:
            text.append(" ")
            failing = container.reason in FAILED_WAITING_REASONS
            text.append(container.reason, BAD if failing else WARNING)
        text.append("\n")
        text.append(f"    {'ready' if container.ready else 'not ready'}, restarts {container.restarts}\n", LABEL)
        if kubectl is not None and container.restarts:
            # What k9s's `l` then `p` shows: the run that crashed (the one running now may have no words yet).
            text.append("    logs ", LABEL)
            text.append(kubectl(pod.namespace, "logs", pod.name, "-c", container.name, "--previous") + "\n")
        if container.message:
            message = container.message
            if len(message) > MESSAGE_CHARS:
                message = message[: MESSAGE_CHARS - 1] + "…"
            text.append(f"    {message}\n")
    _more(text, len(pod.containers) - CONTAINERS_SHOWN, "containers")


def _telling_containers(pod: Pod) -> list[Container]:
    """The containers to draw: all of them, or, past the cap, the failing and not ready ones first."""
    containers = pod.containers
    if len(containers) <= CONTAINERS_SHOWN:
        return list(containers)
    troubled = [c for c in containers if not c.ready or c.reason][:CONTAINERS_SHOWN]
    rest = [c for c in containers[: CONTAINERS_SHOWN * 2] if c.ready and not c.reason]
    return troubled + rest[: CONTAINERS_SHOWN - len(troubled)]


def _more(text: Text, hidden: int, what: str) -> None:
    if hidden > 0:
        text.append(f"  +{hidden} more {what}\n", LABEL)


def _claims(text: Text, state: ClusterState, namespace: str, cell: Cell) -> None:
    add_heading(text, "Claims")
    if not cell.claims:
        text.append("  (none)\n", LABEL)
    for claim in cell.claims[:CLAIMS_SHOWN]:
        text.append(f"  {claim.name}  ")
        if claim.phase is None:
            text.append("not created", WARNING)
        else:
            text.append(claim.phase, GOOD if claim.phase == "Bound" else WARNING)
        if claim.volume:
            text.append(f"  {claim.volume}", LABEL)
        text.append("\n")
        if claim.phase == "Pending":
            # Why it waits, as the binder or provisioner said last (v shows the whole story).
            said = state.recent_events(namespace, "PersistentVolumeClaim", claim.name)
            if said:
                last = said[-1]
                text.append(f"    {last.reason or '-'}: {last.message}\n", WARNING if last.type == "Warning" else LABEL)
    _more(text, len(cell.claims) - CLAIMS_SHOWN, "claims")


def add_events(
    text: Text,
    state: ClusterState,
    namespace: str,
    pod_name: str,
    pod_uid: str | None,
    now: datetime | None,
    note: str | None = None,
    *,
    kind: str = "Pod",
    title: str = "Events",
) -> None:
    add_heading(text, title)
    events = _collapse(state.recent_events(namespace, kind, pod_name, pod_uid))[-EVENTS_SHOWN:]
    if note is not None:
        text.append(f"  not current: {note}\n", WARNING)
    if not events and note is None:
        text.append("  (none recorded)\n", LABEL)
    for event, count in events:
        text.append(f"  {age(event.last_seen, now):>5} ", LABEL)
        text.append(event.type or "-", WARNING if event.type == "Warning" else LABEL)
        text.append(f" {event.reason or '-'}")
        if count > 1:
            text.append(f" x{count}", LABEL)
        text.append(f": {event.message}\n")


def _collapse(events: list[Event]) -> list[tuple[Event, int]]:
    """Runs of the same type, reason and message as one line, newest kept, counts added.

    The scheduler writes a new Event per retry rather than bumping a count; like
    kubectl describe, say it once with how often.
    """
    collapsed: list[tuple[Event, int]] = []
    for event in events:
        if collapsed:
            last, count = collapsed[-1]
            if (last.type, last.reason, last.message) == (event.type, event.reason, event.message):
                collapsed[-1] = (event, count + event.count)
                continue
        collapsed.append((event, event.count))
    return collapsed


def _describe_set(text: Text, row: SetRow, service: Service | Literal["missing"] | None) -> None:
    sts = row.set
    text.append("StatefulSet", HEADING)
    text.append(" ")
    text.append(f"{sts.namespace}/{sts.name}", NAME)
    text.append("\n")
    text.append(row.verdict.message, VERDICT_STYLES.get(row.verdict.label, Style(color="yellow")))
    text.append("\n")
    partition = f", partition {sts.partition}" if sts.partition is not None else ""
    # Parallel changes what the notes below mean (no pod waits for the one before): said when it is so.
    parallel = ", pods Parallel" if sts.pod_management == "Parallel" else ""
    add_field(text, "strategy", f"{sts.strategy}{partition}{parallel}")
    add_field(text, "current", sts.current_revision or "-")
    add_field(text, "update", sts.update_revision or "-")
    if sts.service_name:
        add_field(text, "service", _service(sts, service))
    staged = staged_rollout(row)
    if staged is not None:
        text.append(staged + "\n")  # a line of its own: with a label it would wrap in the pane
    for note in controller_notes(row):
        text.append(note.message, WARNING)
        text.append("\n")


def _service(sts: StatefulSet, service: Service | Literal["missing"] | None) -> Text:
    """The governing Service: pods get their DNS names (web-0.web) only from a headless one."""
    line = Text(sts.service_name or "")
    if service == "missing":
        line.append(f": no such Service in {sts.namespace}; the pods get no DNS names of their own", BAD)
    elif isinstance(service, Service) and service.headless:
        line.append(" (headless)", LABEL)
    elif isinstance(service, Service):
        line.append(f" is not headless (clusterIP {service.cluster_ip or '-'}): the pods get no DNS names", BAD)
    return line
