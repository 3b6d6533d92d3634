"""Whether a pod fits a node, as the 1.20 scheduler's filters decide it, with their words for why not.

Five of upstream's filters, in its order, the first to fail speaking for the
node: NodeUnschedulable (a cordoned node), TaintToleration (the first
NoSchedule or NoExecute taint no toleration of the pod tolerates),
NodeAffinity (nodeSelector and required node affinity), NodeResourcesFit
(the node's pod count against its allocatable pods, 110 as a kubelet's
default, then cpu and memory requests against what the node has left) and
InterPodAffinity (required pod affinity, then required pod anti-affinity).
`unschedulable_message` counts
the reasons over the nodes as upstream's FitError does: "0/2 nodes are
available: 2 Insufficient cpu, 2 Insufficient memory."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..quantities import millicpu, quantity
from ..selection import from_label_selector_object, labels_match

UNSCHEDULABLE = "node(s) were unschedulable"
UNTOLERATED = "node(s) had taint {{{}: {}}}, that the pod didn't tolerate"
# What the node lifecycle controller taints a cordoned node with; a pod that tolerates it ignores the cordon.
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
INSUFFICIENT = "Insufficient {}"
TOO_MANY_PODS = "Too many pods"
NODE_AFFINITY = "node(s) didn't match Pod's node affinity"
ANTI_AFFINITY = ("node(s) didn't match pod affinity/anti-affinity", "node(s) didn't match pod anti-affinity rules")
AFFINITY = ("node(s) didn't match pod affinity/anti-affinity", "node(s) didn't match pod affinity rules")


def requests(pod: dict) -> tuple[int, int]:
    """(millicpu, bytes of memory) the pod requests: its containers' sum, or an init container's if larger."""
    spec = pod.get("spec") or {}

    def asked(container: dict) -> tuple[int, int]:
        wanted = (container.get("resources") or {}).get("requests") or {}
        try:
            return millicpu(wanted.get("cpu")), quantity(wanted.get("memory"))
        except ValueError:  # refused when the pod was created; a template's stray value asks nothing
            return 0, 0

    running = [asked(c) for c in spec.get("containers") or []]
    cpu, memory = sum(c for c, _ in running), sum(m for _, m in running)
    for init in (asked(c) for c in spec.get("initContainers") or []):
        cpu, memory = max(cpu, init[0]), max(memory, init[1])
    return cpu, memory


def node_fit_reasons(
    pod: dict,
    node: dict,
    load: int,
    requested: tuple[int, int],
    neighbours: Iterable[tuple[dict, dict]],
    kept_with: Counter[tuple[str, str]],
) -> tuple[str, ...]:
    """Why `pod` does not fit `node` (empty: it fits). `load` and `requested`: how many pods the node runs and
    what they ask already; `neighbours`: (pod, its node) for every bound pod, for anti-affinity; `kept_with`:
    `pod`'s `topologies_kept_with`, counted once for all the nodes."""
    tolerations = [t for t in (pod.get("spec") or {}).get("tolerations") or [] if isinstance(t, dict)]
    node_spec = node.get("spec") or {}
    if node_spec.get("unschedulable") and not _tolerated(UNSCHEDULABLE_TAINT, tolerations):
        return (UNSCHEDULABLE,)
    for taint in node_spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(taint, tolerations):
            return (UNTOLERATED.format(taint.get("key", ""), taint.get("value", "")),)
    labels = (node.get("metadata") or {}).get("labels") or {}
    if not _matches_node_affinity(pod, labels):
        return (NODE_AFFINITY,)
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    cpu, memory = requests(pod)
    short = []
    if "pods" in allocatable and load + 1 > quantity(allocatable["pods"]):
        short.append(TOO_MANY_PODS)
    if cpu and requested[0] + cpu > millicpu(allocatable.get("cpu")):
        short.append(INSUFFICIENT.format("cpu"))
    if memory and requested[1] + memory > quantity(allocatable.get("memory")):
        short.append(INSUFFICIENT.format("memory"))
    if short:
        return tuple(short)
    if _affinity_unmet(pod, labels, kept_with):
        return AFFINITY
    if _anti_affinity_conflict(pod, labels, neighbours):
        return ANTI_AFFINITY
    return ()


def unschedulable_message(reasons_per_node: list[tuple[str, ...]]) -> str:
    counts = Counter(reason for reasons in reasons_per_node for reason in reasons)
    listed = ", ".join(sorted(f"{count} {reason}" for reason, count in counts.items()))
    return f"0/{len(reasons_per_node)} nodes are available: {listed}."


def _tolerated(taint: dict, tolerations: list[dict]) -> bool:
    """Toleration.ToleratesTaint for any of them: the effect and key when given, then the value unless Exists."""
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("key") and toleration["key"] != taint.get("key"):
            continue
        operator = toleration.get("operator") or "Equal"
        if operator == "Exists" or (
            operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")
        ):
            return True
    return False


def _matches_node_affinity(pod: dict, labels: dict[str, str]) -> bool:
    spec = pod.get("spec") or {}
    selector = spec.get("nodeSelector") or {}
    if any(labels.get(key) != value for key, value in selector.items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    # Terms are ORed, a term's expressions ANDed; no term at all asks nothing.
    return not terms or any(all(_holds(e, labels) for e in term.get("matchExpressions") or []) for term in terms)


def _holds(expression: dict, labels: dict[str, str]) -> bool:
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
    value = labels.get(str(key))
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and values:
        try:
            return int(value) > int(values[0]) if operator == "Gt" else int(value) < int(values[0])
        except ValueError:
            return False
    return False


def _required_terms(pod: dict, kind: str) -> list[dict]:
    """podAffinity's or podAntiAffinity's required terms."""
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return [t for t in affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or [] if isinstance(t, dict)]


def _term_selects(term: dict, pod: dict, other: dict) -> bool:
    """Whether `term` of `pod` selects `other`: its namespaces (the pod's own if none), its labelSelector
    (none selects no pod; an empty one, `{}`, every pod)."""
    meta = other["metadata"]
    namespaces = term.get("namespaces") or [pod["metadata"].get("namespace")]
    selector = term.get("labelSelector")
    return (
        selector is not None
        and meta.get("namespace") in namespaces
        and labels_match(from_label_selector_object(selector), meta.get("labels"))
    )


def topologies_kept_with(pod: dict, neighbours: Iterable[tuple[dict, dict]]) -> Counter[tuple[str, str]]:
    """Where the pods `pod`'s required pod affinity keeps it with run: (topology key, value) -> how many pods
    every term selects there. The same for every node, so the scheduler counts it once per pod."""
    terms = _required_terms(pod, "podAffinity")
    matched: Counter[tuple[str, str]] = Counter()
    if not terms:
        return matched
    for other, node in neighbours:
        node_labels = (node.get("metadata") or {}).get("labels") or {}
        if other["metadata"].get("uid") == pod["metadata"].get("uid") or not node_labels:
            continue
        if all(_term_selects(term, pod, other) for term in terms):
            for term in terms:
                key = str(term.get("topologyKey"))
                if key in node_labels:
                    matched[(key, node_labels[key])] += 1
    return matched


def _affinity_unmet(pod: dict, labels: dict[str, str], kept_with: Counter[tuple[str, str]]) -> bool:
    """satisfyPodAffinity, negated: the node must carry every term's topology key, and in each term's
    topology there must be a pod that every term selects; unless no such pod runs anywhere and the pod
    selects itself (the first of a series that keep together is not left Pending forever)."""
    terms = _required_terms(pod, "podAffinity")
    if not terms:
        return False
    if any(labels.get(str(term.get("topologyKey"))) is None for term in terms):
        return True
    if all(kept_with[(str(t.get("topologyKey")), labels[str(t.get("topologyKey"))])] > 0 for t in terms):
        return False
    return bool(kept_with) or not all(_term_selects(term, pod, pod) for term in terms)


def _anti_affinity_conflict(pod: dict, labels: dict[str, str], neighbours: Iterable[tuple[dict, dict]]) -> bool:
    """satisfyPodAntiAffinity, negated: a pod some term selects runs in that term's topology here."""
    for term in _required_terms(pod, "podAntiAffinity"):
        topology = str(term.get("topologyKey"))
        here = labels.get(topology)
        if here is None:
            continue
        for other, node in neighbours:
            same_place = ((node.get("metadata") or {}).get("labels") or {}).get(topology) == here
            if (
                same_place
                and other["metadata"].get("uid") != pod["metadata"].get("uid")
                and _term_selects(term, pod, other)
            ):
                return True
    return False
