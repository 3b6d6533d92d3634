"""Generate the demo cluster's schema data from the real Kubernetes 1.20.2 source.

    python tools/sim_schemas.py ~/.cache/realk8s/src/kubernetes_1.20.5+really1.20.2.orig.tar.gz

Writes two files under stsviz/sim/schemas/, both derived mechanically from the
upstream tree (never edited by hand):

- `openapi-v2.json.gz`: api/openapi-spec/swagger.json (what a 1.20 server
  serves at /openapi/v2) cut down to the paths of the resources the demo
  serves and the definitions they reach. autoscaling/v2, which 1.20 did not
  have yet, is added as a copy of v2beta2 (the same schema GA'd in 1.23).
- `protobuf.json.gz`: every message of the staging generated.proto files as
  {message: [[number, name, type, label, inline]]}, so the server can decode
  the protobuf bodies kubectl's typed clients send. `inline` marks embedded Go
  structs (Volume.volumeSource...) whose fields JSON flattens into the parent;
  it is read off swagger.json (the field is not a property there).

The served resources are read from stsviz.sim.resources, so adding a type
there and rerunning this script is all a new kind needs.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stsviz.sim.resources import RESOURCES  # noqa: E402

OUT = ROOT / "stsviz" / "sim" / "schemas"
_FIELD = re.compile(
    r"^\s*(optional|repeated|required)?\s*(map<\s*[\w.]+\s*,\s*[\w.]+\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;"
)
_SCALARS = {"string", "int32", "int64", "bool", "bytes", "double", "float", "uint32", "uint64", "sint32", "sint64"}


def swagger_name(proto_name: str) -> str:
    return "io.k8s." + proto_name.removeprefix("k8s.io.")


def parse_protos(sources: dict[str, str]) -> dict[str, list]:
    messages: dict[str, list] = {}
    for text in sources.values():
        package = re.search(r"^package ([\w.]+);", text, re.M).group(1)  # type: ignore[union-attr]
        current: str | None = None
        for line in text.splitlines():
            if line.startswith("message "):
                current = f"{package}.{line.split()[1]}"
                messages[current] = []
            elif line.startswith("}"):
                current = None
            elif current and (m := _FIELD.match(line)):
                label, type_, name, number = m.groups()
                if type_.startswith("map<"):
                    _key, value = (t.strip() for t in type_[4:-1].split(","))
                    label, type_ = "map", value
                if type_ not in _SCALARS and "." not in type_.removeprefix("k8s.io."):
                    type_ = f"{package}.{type_}"
                messages[current].append([int(number), name, type_, label or "optional", False])
    return messages


def mark_inline(messages: dict[str, list], definitions: dict) -> None:
    for message, fields in messages.items():
        schema = definitions.get(swagger_name(message))
        if not schema or "properties" not in schema:
            continue
        for field in fields:
            inner = messages.get(field[2]) or []
            # Inline only when the embedded message's own fields are the parent's properties.
            if field[1] not in schema["properties"] and any(f[1] in schema["properties"] for f in inner):
                field[4] = True


def served_paths(paths: dict) -> dict:
    prefixes = []
    for res in RESOURCES:
        base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
        prefixes.append(re.compile(rf"^{re.escape(base)}/(namespaces/\{{namespace\}}/)?{res.plural}(/|$)"))
        prefixes.append(re.compile(rf"^{re.escape(base)}/watch/(namespaces/\{{namespace\}}/)?{res.plural}(/|$)"))
    return {p: v for p, v in paths.items() if any(rx.match(p) for rx in prefixes)}


def reachable(doc: object, definitions: dict, seen: set[str]) -> None:
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                name = ref.removeprefix("#/definitions/")
                if name not in seen:
                    seen.add(name)
                    stack.append(definitions[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def add_autoscaling_v2(swagger: dict) -> None:
    """1.20 has autoscaling/v2beta2 only; v2 (GA in 1.23) is the same schema under a new name."""
    old, new = "io.k8s.api.autoscaling.v2beta2.", "io.k8s.api.autoscaling.v2."
    text = json.dumps({k: v for k, v in swagger["definitions"].items() if k.startswith(old)})
    text = text.replace(old, new).replace('"version": "v2beta2"', '"version": "v2"')
    swagger["definitions"].update(json.loads(text))
    paths = {k: v for k, v in swagger["paths"].items() if k.startswith("/apis/autoscaling/v2beta2/")}
    text = json.dumps(paths).replace(old, new).replace("v2beta2", "v2").replace("V2beta2", "V2")
    swagger["paths"].update({k.replace("v2beta2", "v2"): v for k, v in json.loads(text).items()})


def main(tarball: str) -> None:
    sources: dict[str, str] = {}
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.name.endswith("/api/openapi-spec/swagger.json"):
                swagger = json.load(tar.extractfile(member))  # type: ignore[arg-type]
            elif "/staging/src/k8s.io/" in member.name and member.name.endswith("/generated.proto"):
                sources[member.name] = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
    add_autoscaling_v2(swagger)
    definitions = swagger["definitions"]
    messages = parse_protos(sources)
    mark_inline(messages, definitions)
    paths = served_paths(swagger["paths"])
    kinds = {
        name
        for name, schema in definitions.items()
        for gvk in schema.get("x-kubernetes-group-version-kind", [])
        if any((gvk["group"], gvk["version"], gvk["kind"]) == (r.group, r.version, r.kind) for r in RESOURCES)
    }
    keep: set[str] = set(kinds)
    for name in kinds:
        reachable(definitions[name], definitions, keep)
    reachable(paths, definitions, keep)
    trimmed = {
        "swagger": swagger["swagger"],
        "info": swagger["info"],
        "paths": paths,
        "definitions": {k: definitions[k] for k in sorted(keep)},
        "securityDefinitions": swagger.get("securityDefinitions", {}),
        "security": swagger.get("security", []),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("openapi-v2.json.gz", trimmed), ("protobuf.json.gz", messages)):
        raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        # mtime=0: the same source gives the same bytes, so regenerating makes no diff.
        (OUT / name).write_bytes(gzip.compress(raw, mtime=0))
        print(f"{name}: {len(raw)} bytes of JSON", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
