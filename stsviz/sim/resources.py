"""The resource types the demo cluster serves, in discovery's own terms.

One `Resource` per REST collection: where it lives (group, version), its kind,
whether it is namespaced, and which subresources it answers. Discovery
documents, URL routing, error messages and RBAC messages are all derived from
this table, so a new type is one line here plus its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    storage_version_hash: str = ""
    status_subresource: bool = True
    scale_subresource: bool = False
    verbs: tuple[str, ...] = STANDARD_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`pods`, `statefulsets.apps`: how the API server names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def details(self, name: str | None = None) -> dict:
        """The `details` block of a Status about this resource (key order as the server)."""
        details: dict = {}
        if name is not None:
            details["name"] = name
        if self.group:
            details["group"] = self.group
        details["kind"] = self.plural
        return details


# Storage version hashes are the real 1.20 server's, so clients that cache
# discovery see the same values as against a real cluster.
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "configmaps",
        "ConfigMap",
        "",
        "v1",
        True,
        ("cm",),
        storage_version_hash="qFsyl6wFWjQ=",
        status_subresource=False,
    ),
    Resource("events", "Event", "", "v1", True, ("ev",), storage_version_hash="r2yiGXH7wu8=", status_subresource=False),
    Resource(
        "namespaces",
        "Namespace",
        "",
        "v1",
        False,
        ("ns",),
        storage_version_hash="Q3oi5N2YM8M=",
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    Resource("nodes", "Node", "", "v1", False, ("no",), storage_version_hash="XwShjMxG9Fs="),
    Resource(
        "persistentvolumeclaims", "PersistentVolumeClaim", "", "v1", True, ("pvc",), storage_version_hash="QWTyNDq0dC4="
    ),
    Resource("persistentvolumes", "PersistentVolume", "", "v1", False, ("pv",), storage_version_hash="HN/zwEC+JgM="),
    Resource("pods", "Pod", "", "v1", True, ("po",), ("all",), storage_version_hash="xPOwRZ+Yhw8="),
    Resource("secrets", "Secret", "", "v1", True, storage_version_hash="S6u1pOWzb84=", status_subresource=False),
    # Stored only (no token controller): a manifest bundle that brings its ServiceAccount applies whole.
    Resource("serviceaccounts", "ServiceAccount", "", "v1", True, ("sa",), status_subresource=False),
    Resource(
        "services",
        "Service",
        "",
        "v1",
        True,
        ("svc",),
        ("all",),
        storage_version_hash="0/CO1lhkEBI=",
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    Resource(
        "controllerrevisions",
        "ControllerRevision",
        "apps",
        "v1",
        True,
        storage_version_hash="85nkx63pcBU=",
        status_subresource=False,
    ),
    Resource(
        "statefulsets",
        "StatefulSet",
        "apps",
        "v1",
        True,
        ("sts",),
        ("all",),
        storage_version_hash="H+vl74LkKdo=",
        scale_subresource=True,
    ),
    Resource(
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v1",
        True,
        ("hpa",),
        ("all",),
        storage_version_hash="oQlkt7f5j/A=",
    ),
    # Reviews are asked, not stored: create is their only verb and nothing is kept.
    Resource(
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        "authorization.k8s.io",
        "v1",
        False,
        status_subresource=False,
        verbs=("create",),
    ),
    Resource(
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        "authorization.k8s.io",
        "v1",
        False,
        status_subresource=False,
        verbs=("create",),
    ),
    # What StatefulSet bundles bring besides: a budget (its status filled as 1.20 fills it, never enforced:
    # nothing evicts here) and a NetworkPolicy (stored; nothing is proxied to enforce it).
    Resource("poddisruptionbudgets", "PodDisruptionBudget", "policy", "v1beta1", True, ("pdb",)),
    # And the RBAC its ServiceAccount is given: stored only (the demo's own two users keep their fixed rights).
    Resource("roles", "Role", "rbac.authorization.k8s.io", "v1", True, status_subresource=False),
    Resource("rolebindings", "RoleBinding", "rbac.authorization.k8s.io", "v1", True, status_subresource=False),
    Resource("clusterroles", "ClusterRole", "rbac.authorization.k8s.io", "v1", False, status_subresource=False),
    Resource(
        "clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", False, status_subresource=False
    ),
    Resource(
        "networkpolicies", "NetworkPolicy", "networking.k8s.io", "v1", True, ("netpol",), status_subresource=False
    ),
    Resource(
        "storageclasses",
        "StorageClass",
        "storage.k8s.io",
        "v1",
        False,
        ("sc",),
        storage_version_hash="K+m6uJwbjGY=",
        status_subresource=False,
    ),
)

BY_PATH: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES}

CONFIGMAPS = BY_KIND["ConfigMap"]
EVENTS = BY_KIND["Event"]
NAMESPACES = BY_KIND["Namespace"]
NETWORK_POLICIES = BY_KIND["NetworkPolicy"]
NODES = BY_KIND["Node"]
PVCS = BY_KIND["PersistentVolumeClaim"]
PVS = BY_KIND["PersistentVolume"]
PODS = BY_KIND["Pod"]
POD_DISRUPTION_BUDGETS = BY_KIND["PodDisruptionBudget"]
REVISIONS = BY_KIND["ControllerRevision"]
SECRETS = BY_KIND["Secret"]
SELF_SUBJECT_ACCESS_REVIEWS = BY_KIND["SelfSubjectAccessReview"]
SELF_SUBJECT_RULES_REVIEWS = BY_KIND["SelfSubjectRulesReview"]
SERVICES = BY_KIND["Service"]
STATEFULSETS = BY_KIND["StatefulSet"]
STORAGE_CLASSES = BY_KIND["StorageClass"]
REVIEWS = (SELF_SUBJECT_ACCESS_REVIEWS, SELF_SUBJECT_RULES_REVIEWS)


def group_versions() -> dict[str, list[str]]:
    """Group name → versions served ('' is the core group)."""
    out: dict[str, list[str]] = {}
    for r in RESOURCES:
        versions = out.setdefault(r.group, [])
        if r.version not in versions:
            versions.append(r.version)
    return out


def resources_in(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group and r.version == version]
