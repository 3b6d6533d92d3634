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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

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
    "a budget with a misspelt field": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: b}\n"
    "spec: {maxUnavailible: 1, selector: {matchLabels: {app: web}}}\n",
    "a budget of policy/v1, which came after 1.20": "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
    "metadata: {name: b}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n",
    "a set with a field of the wrong type": alone(statefulset('replicas: "two"')),
    "a service with two ports, unnamed": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    "spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}, {port: 81}]}\n",
    "a service port past 65535": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    "spec: {selector: {app: web}, ports: [{name: http, port: 70000}, {name: http, port: 80, targetPort: ht_tp}]}\n",
}


async def answer(kubeconfig, namespace: str, verb: str, manifest: str) -> tuple[int, str]:
    path = kubeconfig.with_name(f"{namespace}.yaml")
    path.write_text(manifest)
    code, out, err = await kubectl(kubeconfig, "-n", namespace, verb, "-f", str(path))
    return code, re.sub(r"https://127\.0\.0\.1:\d+", "SERVER", (out + err).replace(str(path), "FILE").strip())


@asynccontextmanager
async def twins(cluster, tmp_path: Path, realk8s_kubeconfig: Path) -> AsyncIterator[tuple[Path, Path, str]]:
    """Kubeconfigs of the demo and of the real control plane, and a new namespace of one name on both."""
    demo = cluster.write_kubeconfig(tmp_path / "demo.kubeconfig")
    real = tmp_path / "real.kubeconfig"
    real.write_bytes(realk8s_kubeconfig.read_bytes())
    namespace = f"twin-{uuid.uuid4().hex[:8]}"
    for kubeconfig in (demo, real):
        code, _, err = await kubectl(kubeconfig, "create", "namespace", namespace)
        assert code == 0, err
    try:
        yield demo, real, namespace
    finally:
        await kubectl(real, "delete", "namespace", namespace, "--wait=false")


@pytest.mark.parametrize("verb", ["apply", "create"])
@pytest.mark.parametrize("case", MANIFESTS)
async def test_kubectl_says_the_same_of_a_manifest_to_the_demo_as_to_a_real_server(
    cluster, tmp_path, realk8s_kubeconfig, verb, case
):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, verb, MANIFESTS[case]), answer(real, namespace, verb, MANIFESTS[case])
        )
    assert ours == theirs


CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: DATA\n"
UNDECODABLE = {
    # kubectl does not check the values of maps: the server refuses what Go cannot decode.
    "a number in a config map's data": (CONFIG_MAP.replace("DATA", "{port: 8080}"), "ConfigMap.data of type string"),
    "a bool in a template's labels": (
        alone(statefulset()).replace("labels: {app: web}}", "labels: {app: web, canary: true}}"),
        "ObjectMeta.spec.template.metadata.labels of type string",
    ),
    "a fraction of a replica": (alone(statefulset("replicas: 1.5")), "StatefulSetSpec.spec.replicas of type int32"),
}


@pytest.mark.parametrize("case", UNDECODABLE)
async def test_what_a_real_server_cannot_decode_the_demo_refuses_too(cluster, tmp_path, realk8s_kubeconfig, case):
    """The same 400 and its first words; the rest is worded as newer servers word it (1.20's json-iterator
    gave a chain of Go fields and byte offsets)."""
    manifest, field = UNDECODABLE[case]
    kind = "ConfigMap" if "kind: ConfigMap" in manifest else "StatefulSet"
    refused = f'Error from server (BadRequest): error when creating "FILE": {kind} in version "v1" '
    refused += f"cannot be handled as a {kind}: "
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, "apply", manifest), answer(real, namespace, "apply", manifest)
        )
    assert theirs[0] == 1 and theirs[1].startswith(refused), theirs
    assert ours[0] == 1 and ours[1].startswith(refused) and ours[1].endswith(f"Go struct field {field}"), ours


BUNDLE = """\
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: postgres, image: postgres:13}]}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: db}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: db}}}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: db-half}
spec: {minAvailable: 50%, selector: {matchLabels: {app: db}}}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: db-default}
spec: {selector: {matchLabels: {app: db}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {role: api}}}], ports: [{port: 5432}]}]
"""


async def test_a_bundle_with_budgets_and_a_network_policy_applies_whole_and_its_budgets_read_the_same(
    cluster, tmp_path, realk8s_kubeconfig
):
    """The database charts bring a PodDisruptionBudget and a NetworkPolicy: the demo refused both kinds (kubectl
    applied the rest and exited 1). Once the set is ready, `kubectl get pdb` reads the same on both."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, "apply", BUNDLE), answer(real, namespace, "apply", BUNDLE)
        )
        assert ours == theirs and ours[0] == 0, (ours, theirs)
        for kubeconfig in (demo, real):
            code, _, err = await kubectl(
                kubeconfig, "-n", namespace, "rollout", "status", "sts/db", "--timeout=120s", timeout=130
            )
            assert code == 0, err

        async def budgets(kubeconfig: Path) -> tuple[str, str]:
            code, out, err = await kubectl(kubeconfig, "-n", namespace, "get", "pdb,netpol")
            assert code == 0, err
            code, status, err = await kubectl(
                kubeconfig, "-n", namespace, "get", "pdb", "-o", "jsonpath={range .items[*]}{.status}{'\\n'}{end}"
            )
            assert code == 0, err
            return re.sub(r" +\S+$", "", out, flags=re.MULTILINE), status  # the last column, the age, differs

        # Once ready, the real disruption controller may write a moment after the set's status: wait for it.
        for _ in range(300):
            ours, theirs = await asyncio.gather(budgets(demo), budgets(real))
            if ours == theirs:
                break
            await asyncio.sleep(0.2)
        assert ours == theirs, f"demo:\n{ours[0]}\n{ours[1]}\nreal:\n{theirs[0]}\n{theirs[1]}"
    assert '"disruptionsAllowed":1' in ours[1] and "db-default" in ours[0]


ACCESS = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: db}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: db-leader}
rules: [{apiGroups: [""], resources: [configmaps, endpoints], verbs: [get, update]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: db-leader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: db-leader}
subjects: [{kind: ServiceAccount, name: db, namespace: NAMESPACE}, {kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: db-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: dba}]
"""


async def test_a_bundle_with_its_roles_applies_whole_and_reads_the_same(cluster, tmp_path, realk8s_kubeconfig):
    """A chart gives its ServiceAccount a Role and a RoleBinding: the demo refused both kinds (kubectl applied
    the rest and exited 1). Stored only: the demo's own two users keep their fixed rights."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        bundle = ACCESS.replace("NAMESPACE", namespace)
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, "apply", bundle), answer(real, namespace, "apply", bundle)
        )
        assert ours == theirs and ours[0] == 0, (ours, theirs)

        async def listed(kubeconfig: Path) -> str:
            code, out, err = await kubectl(kubeconfig, "-n", namespace, "get", "role,rolebinding", "-o", "wide")
            assert code == 0, err
            out = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "DATE", out)  # Created At
            return re.sub(r"(?<= )\d+[smh](\d+s)?(?= )", "AGE", out)

        ours, theirs = await asyncio.gather(listed(demo), listed(real))
    assert ours == theirs, f"demo:\n{ours}\nreal:\n{theirs}"
    rows = {line.split()[0]: line.split()[1:] for line in ours.splitlines() if line.startswith("rolebinding")}
    assert rows["rolebinding.rbac.authorization.k8s.io/db-leader"] == [
        "Role/db-leader",
        "AGE",
        "alice",
        f"{namespace}/db",
    ]
    assert rows["rolebinding.rbac.authorization.k8s.io/db-view"] == ["ClusterRole/view", "AGE", "dba"]


def kept_together(name: str, selects: str) -> str:
    """A set whose pods must share a node with a pod labelled app=`selects` (required pod affinity)."""
    term = f"{{labelSelector: {{matchLabels: {{app: {selects}}}}}, topologyKey: kubernetes.io/hostname}}"
    return alone(
        SET.replace("name: web}", f"name: {name}}}")
        .replace("serviceName: web", f"serviceName: {name}")
        .replace("app: web", f"app: {name}")
        .replace("SPEC", "replicas: 3")
        .replace(
            "containers: [CONTAINER]",
            f"affinity: {{podAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{term}]}}}}\n"
            "        containers: [{name: app, image: nginx:1.25}]",
        )
    )


async def test_required_pod_affinity_places_and_keeps_pending_as_the_real_scheduler(
    cluster, tmp_path, realk8s_kubeconfig
):
    """A set kept with itself lands on one node (its first pod is let through: none it selects runs yet); a set
    kept with pods that run nowhere stays Pending, in the scheduler's words. The demo placed both anywhere."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        manifest = kept_together("pack", "pack") + "---\n" + kept_together("lonely", "cache")
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, "apply", manifest), answer(real, namespace, "apply", manifest)
        )
        assert ours == theirs and ours[0] == 0, (ours, theirs)

        async def placed(kubeconfig: Path) -> tuple[int, int, str]:
            nodes = "jsonpath={range .items[?(@.metadata.labels.app=='pack')]}{.spec.nodeName} {end}"
            _, out, _ = await kubectl(kubeconfig, "-n", namespace, "get", "pods", "-o", nodes)
            waiting = "jsonpath={.status.conditions[?(@.type=='PodScheduled')].message}"
            _, message, _ = await kubectl(kubeconfig, "-n", namespace, "get", "pod", "lonely-0", "-o", waiting)
            return len(out.split()), len(set(out.split())), message

        for _ in range(150):
            ours, theirs = await asyncio.gather(placed(demo), placed(real))
            if ours == theirs and ours[0] == 3:
                break
            await asyncio.sleep(0.2)
    assert ours == theirs, (ours, theirs)
    assert ours == (
        3,
        1,
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules, "
        "2 node(s) didn't match pod affinity/anti-affinity.",
    )


REF = "apiGroup: rbac.authorization.k8s.io,"  # kubectl requires it of a roleRef (the server would default it)


def binding(kind: str, role_ref: str, subjects: str, name: str = "b") -> str:
    return (
        f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: {name}}}\n"
        f"roleRef: {role_ref}\nsubjects: {subjects}\n"
    )


REFUSED_ACCESS = {
    "a subject of no known kind": binding(
        "RoleBinding", f"{{{REF} kind: Role, name: r}}", "[{kind: Robot, name: r2d2}]"
    ),
    "a cluster binding's service account without a namespace": binding(
        "ClusterRoleBinding",
        f"{{{REF} kind: ClusterRole, name: view}}",
        "[{kind: ServiceAccount, name: db}]",
        name=f"twin-{uuid.uuid4().hex[:8]}",
    ),
    "a role bound by a binding of another kind": binding("RoleBinding", f"{{{REF} kind: Deployment, name: r}}", "[]"),
    "a rule without verbs": "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n"
    "rules: [{apiGroups: [''], resources: [pods]}, {nonResourceURLs: [/healthz], verbs: [get]}]\n",
}


@pytest.mark.parametrize("case", REFUSED_ACCESS)
async def test_roles_and_bindings_a_real_server_refuses_are_refused_in_its_words(
    cluster, tmp_path, realk8s_kubeconfig, case
):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        ours, theirs = await asyncio.gather(
            answer(demo, namespace, "apply", REFUSED_ACCESS[case]),
            answer(real, namespace, "apply", REFUSED_ACCESS[case]),
        )
    assert ours == theirs and ours[0] == 1, (ours, theirs)


async def test_a_bindings_role_cannot_be_changed_and_its_defaults_read_the_same(cluster, tmp_path, realk8s_kubeconfig):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        first = binding("RoleBinding", f"{{{REF} kind: ClusterRole, name: view}}", "[{kind: User, name: alice}]")
        second = first.replace("name: view", "name: edit")
        answers = []
        for manifest in (first, second):
            answers.append(
                await asyncio.gather(
                    answer(demo, namespace, "apply", manifest), answer(real, namespace, "apply", manifest)
                )
            )
        defaults = "jsonpath={.roleRef.apiGroup} {.subjects[0].apiGroup}"
        answers.append(
            await asyncio.gather(
                *(kubectl(k, "-n", namespace, "get", "rolebinding", "b", "-o", defaults) for k in (demo, real))
            )
        )
    for ours, theirs in answers:
        assert ours == theirs
    assert "cannot change roleRef" in answers[1][0][1]
    assert answers[2][0][1] == "rbac.authorization.k8s.io rbac.authorization.k8s.io"  # the User's was defaulted
