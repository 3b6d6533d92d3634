"""Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>[/<version>].

kubectl resolves `sts`, `pods` and the scale subresource from these; their
shape is the 1.20 server's (note /api/v1 carries no apiVersion field there).
"""

from __future__ import annotations

from ..resources import PODS, RESOURCES, group_versions, resources_in

VERSION_INFO = {
    "major": "1",
    "minor": "20",
    "gitVersion": "v1.20.2-stsviz-sim",
    "gitCommit": "faecb196815e248d3ecfb03c680a4507229c2a56",
    "gitTreeState": "clean",
    "buildDate": "2021-01-13T13:20:00Z",
    "goVersion": "go1.15.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str, versions: list[str]) -> dict:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> dict:
    groups = [_group(name, versions) for name, versions in group_versions().items() if name]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(name: str) -> dict | None:
    versions = group_versions().get(name)
    if not name or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def _resource_entries(group: str, version: str) -> list[dict]:
    entries = []
    for res in sorted(resources_in(group, version), key=lambda r: r.plural):
        entry = {
            "name": res.plural,
            "singularName": "",
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": list(res.verbs),
        }
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        if res.categories:
            entry["categories"] = list(res.categories)
        entry["storageVersionHash"] = res.storage_version_hash
        entries.append(entry)
        if res.scale_subresource:
            entries.append(
                {
                    "name": f"{res.plural}/scale",
                    "singularName": "",
                    "namespaced": res.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
        if res is PODS:  # kubectl drain evicts through it when discovery lists it, else deletes
            entries.append(
                {
                    "name": "pods/eviction",
                    "singularName": "",
                    "namespaced": True,
                    "group": "policy",
                    "version": "v1beta1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                }
            )
        if res.status_subresource:
            entries.append(
                {
                    "name": f"{res.plural}/status",
                    "singularName": "",
                    "namespaced": res.namespaced,
                    "kind": res.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return entries


def api_resource_list(group: str, version: str) -> dict | None:
    if not any(r.group == group and r.version == version for r in RESOURCES):
        return None
    if not group:
        return {"kind": "APIResourceList", "groupVersion": version, "resources": _resource_entries("", version)}
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}",
        "resources": _resource_entries(group, version),
    }
