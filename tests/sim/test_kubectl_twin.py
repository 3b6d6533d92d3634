"""The same manifests through kubectl 1.32 to the demo cluster and to the real 1.20 control plane: the same answer.

What a user keeps of their own manifests is often what `kubectl get a,b -o
yaml` wrote, a `kind: List`, which kubectl checks on its own side against
the server's v2 schemas. The real control plane is the reference: every line
kubectl prints must be the same, but for the server's address.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl

pytestmark = needs_kubectl

SET = """\
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: web}
  spec:
    serviceName: web
    SPEC
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [CONTAINER]
"""
SERVICE = """\
- apiVersion: v1
  kind: Service
  metadata: {name: web}
  spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
"""


def listed(*items: str) -> str:
    return "apiVersion: v1\nkind: List\nitems:\n" + "".join(items)


def statefulset(spec: str = "replicas: 1", container: str = "{name: app, image: nginx:1.25}") -> str:
    return SET.replace("SPEC", spec).replace("CONTAINER", container)


def alone(item: str) -> str:
    """A list item as a manifest of its own."""
    return "\n".join(line[2:] for line in item.splitlines()) + "\n"


MANIFESTS = {
    "a list": listed(SERVICE, statefulset()),
    "a list with a misspelt field": listed(SERVICE, statefulset("replica: 2")),
    "a list with a field of the wrong type": listed(statefulset('replicas: "two"')),
    "a list with a container without a name": listed(statefulset(container="{image: nginx:1.25}")),
    "a list of a kind neither serves": listed("- {apiVersion: v1, kind: Bogus, metadata: {name: x}}\n"),
    "a set with a misspelt field": alone(statefulset("replica: 2")),
    "a set with a field of the wrong type": alone(statefulset('replicas: "two"')),
}


async def answer(kubeconfig, namespace: str, verb: str, manifest: str) -> tuple[int, str]:
    path = kubeconfig.with_name(f"{namespace}.yaml")
    path.write_text(manifest)
    code, out, err = await kubectl(kubeconfig, "-n", namespace, verb, "-f", str(path))
    return code, re.sub(r"https://127\.0\.0\.1:\d+", "SERVER", (out + err).replace(str(path), "FILE").strip())


@pytest.mark.parametrize("verb", ["apply", "create"])
@pytest.mark.parametrize("case", MANIFESTS)
async def test_kubectl_says_the_same_of_a_manifest_to_the_demo_as_to_a_real_server(
    cluster, tmp_path, realk8s_kubeconfig, verb, case
):
    demo = cluster.write_kubeconfig(tmp_path / "demo.kubeconfig")
    real = tmp_path / "real.kubeconfig"
    real.write_bytes(realk8s_kubeconfig.read_bytes())
    namespace = f"twin-{uuid.uuid4().hex[:8]}"  # the same name on both, new on the real one
    for kubeconfig in (demo, real):
        code, _, err = await kubectl(kubeconfig, "create", "namespace", namespace)
        assert code == 0, err
    try:
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, verb, MANIFESTS[case]), answer(real, namespace, verb, MANIFESTS[case])
        )
        assert ours == theirs
    finally:
        await kubectl(real, "delete", "namespace", namespace, "--wait=false")
