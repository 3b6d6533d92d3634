"""What the demo and the real 1.20 control plane refuse, and at which stage: the same kubectl output.

A 1.20 server does not validate a StatefulSet's pod spec (its
ValidatePodTemplateSpecForStatefulSet skips it): the set is accepted, and
each pod create fails, over and over, as a `FailedCreate` event on the set.
Labels and annotations are validated on every object, on create and update.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl
from tests.sim.test_kubectl_twin import twins

pytestmark = needs_kubectl

SET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: NAME}
spec:
  serviceName: NAME
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      AFFINITY
      containers: [CONTAINER]
"""


def statefulset(container: str, name: str = "web", affinity: str = "") -> str:
    return SET.replace("NAME", name).replace("CONTAINER", container).replace("AFFINITY", affinity)


NGINX = "name: app, image: nginx:1.25"
NO_TOPOLOGY = (
    "{podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {a: b}}}]}}"
)
FAILING_TEMPLATES = {
    "an empty image": statefulset('{name: app, image: ""}'),
    "a container without a name": statefulset("{image: nginx:1.25}"),
    "a pod affinity term without a topology key": statefulset(f"{{{NGINX}}}", affinity=f"affinity: {NO_TOPOLOGY}"),
    "an unknown image pull policy": statefulset(f"{{{NGINX}, imagePullPolicy: Sometimes}}"),
    "two ports of one name": statefulset(
        f"{{{NGINX}, ports: [{{containerPort: 80, name: http}}, {{containerPort: 81, name: http}}]}}"
    ),
    "a port past 65535": statefulset(f"{{{NGINX}, ports: [{{containerPort: 70000}}]}}"),
    "an env var name with a space": statefulset(f'{{{NGINX}, env: [{{name: "MY VAR", value: x}}]}}'),
    "a mount of no volume": statefulset(f"{{{NGINX}, volumeMounts: [{{name: missing, mountPath: /x}}]}}"),
    # The pods' controller-revision-hash label, `<set>-<10 characters>`, passes 63 characters.
    "a set named past 52 characters": statefulset(f"{{{NGINX}}}", name="a" * 58),
}


async def _apply(kubeconfig: Path, namespace: str, manifest: str, *flags: str) -> tuple[int, str]:
    path = kubeconfig.with_name(f"{kubeconfig.stem}-{namespace}.yaml")
    path.write_text(manifest)
    code, out, err = await kubectl(kubeconfig, "-n", namespace, "apply", *flags, "-f", str(path))
    return code, (out + err).replace(str(path), "FILE").strip()


async def _failures(kubeconfig: Path, namespace: str) -> tuple[str, list[str]]:
    """`kubectl get sts` and the distinct FailedCreate messages, once there are some."""
    messages: list[str] = []
    for _ in range(150):
        code, out, err = await kubectl(
            kubeconfig,
            *("-n", namespace, "get", "events", "--field-selector", "reason=FailedCreate"),
            *("-o", "jsonpath={range .items[*]}{.type} {.involvedObject.kind} {.message}{'\\n'}{end}"),
        )
        assert code == 0, err
        messages = sorted(set(out.splitlines()))
        if messages:
            break
        await asyncio.sleep(0.2)
    code, sets, err = await kubectl(kubeconfig, "-n", namespace, "get", "sts,pods", "-o", "name")
    assert code == 0, err
    return sets, messages


@pytest.mark.parametrize("case", FAILING_TEMPLATES)
async def test_a_template_a_pod_is_refused_for_makes_a_set_whose_pods_fail_to_create(
    cluster, tmp_path, realk8s_kubeconfig, case
):
    """The demo refused some of these sets outright (image, container name, affinity) and ran the pods of the
    others, 1/1 Running; a real server accepts each set and keeps it at 0 pods with a FailedCreate warning."""
    manifest = FAILING_TEMPLATES[case]
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        # --validate=false: kubectl itself would refuse a container without a name or a term without a key.
        applied = await asyncio.gather(*(_apply(k, namespace, manifest, "--validate=false") for k in (demo, real)))
        ours, theirs = await asyncio.gather(*(_failures(k, namespace) for k in (demo, real)))
    assert applied[0] == applied[1] and applied[0][0] == 0, applied
    assert ours == theirs, f"demo:\n{ours}\nreal:\n{theirs}"
    sets, messages = ours
    assert sets.startswith("statefulset.apps/") and "pod/" not in sets
    assert len(messages) == 1 and messages[0].startswith("Warning StatefulSet create Pod "), messages
    assert " failed error: Pod " in messages[0] and " is invalid: " in messages[0]


BAD_LABELS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: bl, labels: {team: data platform}, annotations: {Owner Team: dba}}
spec:
  serviceName: bl
  replicas: 1
  selector: {matchLabels: {app: bl}}
  template:
    metadata: {labels: {app: bl, version: 1.0/beta}}
    spec: {containers: [{name: c, image: busybox}]}
"""
BAD_SELECTOR = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: bs}
spec:
  serviceName: bs
  replicas: 1
  selector:
    matchLabels: {app: b s}
    matchExpressions: [{key: "tier!", operator: Exists}]
  template:
    metadata: {labels: {app: b s, tier!: x}}
    spec: {containers: [{name: c, image: busybox}]}
"""
LABEL_COMMANDS = [
    ("run", "p", "--image=busybox", "--labels=x=y z"),
    ("create", "configmap", "settings"),
    ("label", "configmap", "settings", "bad key!=x"),
    ("label", "configmap", "settings", "a/b/c=x"),
    ("label", "configmap", "settings", "example.com/=x"),
    ("label", "configmap", "settings", "UPPER.com/x=y"),
    ("annotate", "configmap", "settings", "Bad Key=1"),
    ("annotate", "configmap", "settings", "Example.COM/Owner=dba"),  # lowercased before it is checked
    ("get", "configmap", "settings", "-o", "jsonpath={.metadata.labels} {.metadata.annotations}"),
]


async def test_labels_and_annotations_are_refused_in_the_real_servers_words(cluster, tmp_path, realk8s_kubeconfig):
    """The demo took any label or annotation: `kubectl label` of `bad key!` succeeded and the pod showed it.
    Create and update alike, keys, values, the template's labels and the selector's matchLabels and keys."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        said = []
        for command in LABEL_COMMANDS:
            outputs = await asyncio.gather(*(kubectl(k, "-n", namespace, *command) for k in (demo, real)))
            said.append([(code, out + err) for code, out, err in outputs])
        for manifest in (BAD_LABELS, BAD_SELECTOR):
            said.append(await asyncio.gather(*(_apply(k, namespace, manifest) for k in (demo, real))))
    for ours, theirs in said:
        assert ours == theirs, f"demo:\n{ours}\nreal:\n{theirs}"
    codes = [ours[0] for ours, _ in said]
    assert codes == [1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1], said
    assert 'metadata.labels: Invalid value: "bad key!": name part must consist of' in said[2][0][1]
    assert '* spec.template.labels: Invalid value: "1.0/beta"' in said[9][0][1]
    assert 'spec.selector.matchExpressions[0].key: Invalid value: "tier!"' in said[10][0][1]
