"""What may not change once written, on the demo and on the real 1.20 control plane: the same kubectl answer.

"Edit the pod to fix it" is an everyday mistake: the demo took every edit
(a pod's node, its resources; a claim's size or access modes; a frozen
ConfigMap's data; a Service's cluster IP) and a real server refuses each.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl
from tests.sim.test_kubectl_twin import twins

pytestmark = needs_kubectl

OBJECTS = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: small}
spec: {accessModes: [ReadWriteOnce], storageClassName: fake-local, resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: frozen}
immutable: true
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: sealed}
immutable: true
stringData: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: s1}
spec: {selector: {app: x}, ports: [{port: 80}]}
"""
PATCHES = [
    ("pod", "p", '{"spec":{"containers":[{"name":"p","resources":{"limits":{"cpu":"1"}}}]}}'),
    ("pod", "p", '{"spec":{"nodeName":"x"}}'),
    ("pod", "p", '{"spec":{"activeDeadlineSeconds":100}}'),
    ("pod", "p", '{"spec":{"containers":[{"name":"p","image":"nginx:1.26"}]}}'),
    ("pod", "p", '{"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}}'),
    ("pvc", "small", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'),
    ("pvc", "small", '{"spec":{"accessModes":["ReadWriteMany"]}}'),
    ("svc", "s1", '{"spec":{"clusterIP":"None"}}'),
    ("cm", "frozen", '{"data":{"a":"2"}}'),
    ("cm", "frozen", '{"immutable":false}'),
    ("secret", "sealed", '{"stringData":{"a":"2"}}'),
    ("secret", "sealed", '{"type":"example.com/other"}'),  # a Secret's type never changes, frozen or not
    ("cm", "frozen", '{"metadata":{"labels":{"x":"y"}}}'),
]


async def _ok(kubeconfig: Path, *args: str, timeout: float = 60) -> str:
    code, out, err = await kubectl(kubeconfig, *args, timeout=timeout)
    assert code == 0, (args, err)
    return out


async def _prepared(kubeconfig: Path, namespace: str) -> None:
    """A running pod, a bound claim, a frozen ConfigMap and Secret, a Service."""
    path = kubeconfig.with_name(f"{kubeconfig.stem}-{namespace}.yaml")
    path.write_text(OBJECTS)
    await _ok(kubeconfig, "-n", namespace, "apply", "-f", str(path))
    await _ok(kubeconfig, "-n", namespace, "run", "p", "--image=nginx:1.25")
    await _ok(kubeconfig, "-n", namespace, "wait", "--for=condition=Ready", "pod/p", "--timeout=60s", timeout=70)
    bound = "--for=jsonpath={.status.phase}=Bound"
    await _ok(kubeconfig, "-n", namespace, "wait", bound, "pvc/small", "--timeout=60s", timeout=70)


async def _patched(kubeconfig: Path, namespace: str, kind: str, name: str, patch: str) -> tuple[int, str]:
    """kubectl's exit code and first line: 1.20 follows a refused pod or claim spec with a go-cmp diff of Go
    structs, which the demo does not reproduce."""
    code, out, err = await kubectl(kubeconfig, "-n", namespace, "patch", kind, name, "-p", patch)
    return code, (out + err).strip().splitlines()[0]


async def test_updates_a_real_server_refuses_are_refused_in_its_words(cluster, tmp_path, realk8s_kubeconfig):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        await asyncio.gather(*(_prepared(k, namespace) for k in (demo, real)))
        said = []
        for kind, name, patch in PATCHES:
            said.append(await asyncio.gather(*(_patched(k, namespace, kind, name, patch) for k in (demo, real))))
        tolerations = await asyncio.gather(
            *(_ok(k, "-n", namespace, "get", "pod", "p", "-o", "jsonpath={.spec.tolerations}") for k in (demo, real))
        )
    for ours, theirs in said:
        assert ours == theirs, f"demo: {ours}\nreal: {theirs}"
    assert [ours[0] for ours, _ in said] == [1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]
    assert said[0][0][1] == (
        'The Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than '
        "`spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or "
        "`spec.tolerations` (only additions to existing tolerations)"
    )
    assert said[5][0][1] == (
        'Error from server (Forbidden): persistentvolumeclaims "small" is forbidden: only dynamically '
        "provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"
    )
    assert (
        said[8][0][1]
        == 'The ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    )
    # The added toleration comes first: DefaultTolerationSeconds appends its two again after a list replaced.
    assert tolerations[0] == tolerations[1] and tolerations[0].startswith('[{"key":"a","operator":"Exists"},')


RELEASED = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: rl}
spec:
  serviceName: rl
  replicas: 2
  selector: {matchLabels: {app: rl}}
  template:
    metadata: {labels: {app: rl}}
    spec: {terminationGracePeriodSeconds: 1, containers: [{name: app, image: nginx:1.25}]}
"""


async def _metadata_keys(kubeconfig: Path, namespace: str, pod: str) -> list[str]:
    return sorted(json.loads(await _ok(kubeconfig, "-n", namespace, "get", "pod", pod, "-o", "json"))["metadata"])


async def test_a_pod_released_by_its_set_has_no_owner_references_left(cluster, tmp_path, realk8s_kubeconfig):
    """Relabelled out of its set, a pod is released: the real server stores no `ownerReferences` at all, the
    demo kept `ownerReferences: []` (seen in `-o yaml`)."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        for kubeconfig in (demo, real):
            path = kubeconfig.with_name(f"{kubeconfig.stem}-{namespace}.yaml")
            path.write_text(RELEASED)
            await _ok(kubeconfig, "-n", namespace, "apply", "-f", str(path))
        for kubeconfig in (demo, real):
            await _ok(kubeconfig, "-n", namespace, "rollout", "status", "sts/rl", "--timeout=90s", timeout=100)
            await _ok(kubeconfig, "-n", namespace, "label", "pod", "rl-1", "app=debug", "--overwrite")
        for _ in range(150):
            keys = await asyncio.gather(*(_metadata_keys(k, namespace, "rl-1") for k in (demo, real)))
            if all("ownerReferences" not in k for k in keys):
                break
            await asyncio.sleep(0.2)
    assert keys[0] == keys[1], keys
    assert "ownerReferences" not in keys[0] and "labels" in keys[0], keys
