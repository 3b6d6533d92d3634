"""What a new user pastes, through kubectl 1.32, against the demo cluster (issue #10).

Where a real 1.20 server has an answer, the comment next to the assertion
gives what ../shared/realk8s (kube-apiserver v1.20.2) answered to the same
command; realk8s is never started from here.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
import yaml

from stsviz.sim.resources import PODS
from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl
from tests.waiting import eventually

pytestmark = needs_kubectl

APP = """\
apiVersion: v1
kind: Service
metadata:
  name: db
  labels: {app: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports:
  - name: pg
    port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: postgres
        image: postgres:13
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fast
      resources:
        requests:
          storage: 1Gi
"""
FAST = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: sim.stsviz.io/hostpath
volumeBindingMode: WaitForFirstConsumer
"""


@pytest.fixture
def kubeconfig(cluster, tmp_path):
    return cluster.write_kubeconfig(tmp_path / "kubeconfig")


async def get_json(kubeconfig, *args: str) -> dict:
    code, out, err = await kubectl(kubeconfig, "get", *args, "-o", "json")
    assert code == 0, err
    return json.loads(out)


async def test_typed_create_commands_send_protobuf_and_are_stored(kubeconfig):
    # kubectl sends these as application/vnd.kubernetes.protobuf (kubectl -v=8).
    for args, said in (
        (("create", "namespace", "shop"), "namespace/shop created"),
        (("create", "configmap", "cfg", "-n", "shop", "--from-literal=mode=fast"), "configmap/cfg created"),
        (("create", "secret", "generic", "pw", "-n", "shop", "--from-literal=password=s3cret"), "secret/pw created"),
        (("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080"), "service/web created"),
    ):
        code, out, err = await kubectl(kubeconfig, *args)
        assert (code, out.strip()) == (0, said), err
    assert (await get_json(kubeconfig, "cm", "cfg", "-n", "shop"))["data"] == {"mode": "fast"}
    secret = await get_json(kubeconfig, "secret", "pw", "-n", "shop")
    assert (secret["type"], secret["data"]) == ("Opaque", {"password": "czNjcmV0"})
    # realk8s: ports [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
    # clusterIP and clusterIPs from the range, type ClusterIP, sessionAffinity None, labels app=web.
    svc = await get_json(kubeconfig, "svc", "web", "-n", "shop")
    assert svc["metadata"]["labels"] == {"app": "web"}
    assert svc["spec"]["ports"] == [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}]
    assert svc["spec"]["clusterIP"].startswith("10.") and svc["spec"]["clusterIPs"] == [svc["spec"]["clusterIP"]]
    assert (svc["spec"]["type"], svc["spec"]["sessionAffinity"], svc["status"]) == (
        "ClusterIP",
        "None",
        {"loadBalancer": {}},
    )


async def test_a_kind_the_demo_does_not_serve_gets_the_unknown_resource_answer(kubeconfig):
    code, _, err = await kubectl(kubeconfig, "create", "deployment", "web", "--image=nginx")
    assert code != 0
    assert "the server could not find the requested resource" in err or 'no matches for kind "Deployment"' in err


async def test_explain_reads_the_real_schemas(kubeconfig):
    code, out, err = await kubectl(kubeconfig, "explain", "sts.spec.serviceName")
    assert code == 0, err
    # realk8s (through /openapi/v2): "serviceName is the name of the service that governs this StatefulSet."
    assert "serviceName is the name of the service that governs this" in out
    code, out, err = await kubectl(kubeconfig, "explain", "svc.spec.clusterIP")
    assert code == 0 and "clusterIP is the IP address of the service" in out, err


async def test_the_statefulset_fields_after_1_20_are_applied_and_explained(cluster, kubeconfig, tmp_path):
    """ordinals, minReadySeconds, the PVC retention policy and maxUnavailable run on the demo: kubectl's strict
    validation refused a manifest with any of them (the schemas are 1.20's), so only --validate=false got in."""
    manifest = tmp_path / "later.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: later}\nspec:\n"
        "  replicas: 2\n  serviceName: later\n  minReadySeconds: 1\n  ordinals: {start: 5}\n"
        "  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}\n"
        "  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}\n"
        "  selector: {matchLabels: {app: later}}\n"
        "  template:\n    metadata: {labels: {app: later}}\n"
        "    spec: {containers: [{name: main, image: nginx:1.25}]}\n"
    )
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(manifest))
    assert (code, out.strip()) == (0, "statefulset.apps/later created"), err
    code, out, err = await kubectl(kubeconfig, "explain", "sts.spec.ordinals.start")
    assert code == 0 and "start is the number representing the first replica's index" in out, err
    await eventually(lambda: cluster.store.view(PODS, "default", "later-5") is not None, message="later-5 created")


async def test_apply_validates_against_the_1_20_schemas_as_kubectl_does_against_1_20(kubeconfig, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n")
    code, _, err = await kubectl(kubeconfig, "apply", "-f", str(bad))
    # realk8s: kubectl checks on its side, against /openapi/v2 (test_kubectl_twin compares more cases).
    assert code != 0
    assert 'ValidationError(ConfigMap): unknown field "datta" in io.k8s.api.core.v1.ConfigMap' in err


async def test_a_list_as_kubectl_get_writes_it_is_applied_and_its_set_comes_up(kubeconfig, tmp_path):
    """`kubectl get svc,sts -o yaml > app.yaml` writes a `kind: List`: kubectl checks it against the v2 schemas,
    which it takes only as protobuf. The demo refused every List ("unable to respond with a content type")."""
    saved = tmp_path / "saved.yaml"
    items = list(yaml.safe_load_all(APP.replace("storageClassName: fast", "storageClassName: standard")))
    saved.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(saved))
    assert (code, out.split("\n")[:2]) == (0, ["service/db created", "statefulset.apps/db created"]), err
    code, out, err = await kubectl(kubeconfig, "rollout", "status", "sts/db", "--timeout=60s")
    assert code == 0 and out.strip().endswith("partitioned roll out complete: 2 new pods have been updated..."), err


async def test_a_pasted_app_comes_up_in_order_once_its_storage_class_is_applied(cluster, kubeconfig, tmp_path):
    app, fast = tmp_path / "app.yaml", tmp_path / "fast.yaml"
    app.write_text(APP)
    fast.write_text(FAST)
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(app))
    assert (code, out.split("\n")[:2]) == (0, ["service/db created", "statefulset.apps/db created"]), err

    async def class_missing_event():
        _, out, _ = await kubectl(kubeconfig, "get", "events", "--field-selector", "involvedObject.name=data-db-0")
        return "ProvisioningFailed" in out and out

    # realk8s: Warning ProvisioningFailed, storageclass.storage.k8s.io "fast" not found,
    # source.component persistentvolume-controller.
    out = await eventually(class_missing_event, timeout=15, interval=0.2)
    assert 'storageclass.storage.k8s.io "fast" not found' in out
    events = (await get_json(kubeconfig, "events", "--field-selector", "involvedObject.name=data-db-0"))["items"]
    assert events[0]["source"] == {"component": "persistentvolume-controller"}
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(fast))
    assert (code, out.strip()) == (0, "storageclass.storage.k8s.io/fast created"), err
    code, out, err = await kubectl(kubeconfig, "rollout", "status", "sts/db", "--timeout=60s")
    assert code == 0 and "Waiting for 2 pods to be ready..." in out, err
    claims = await get_json(kubeconfig, "pvc")
    assert {c["metadata"]["name"]: c["status"]["phase"] for c in claims["items"]} == {
        "data-db-0": "Bound",
        "data-db-1": "Bound",
    }
    code, out, _ = await kubectl(kubeconfig, "apply", "-f", str(app))
    assert out.startswith("service/db unchanged")
    svc = await get_json(kubeconfig, "svc", "db")
    # realk8s: clusterIP None, clusterIPs ["None"], ports [{name pg, port 5432, protocol TCP, targetPort 5432}].
    assert (svc["spec"]["clusterIP"], svc["spec"]["clusterIPs"]) == ("None", ["None"])
    assert svc["spec"]["ports"] == [{"name": "pg", "port": 5432, "protocol": "TCP", "targetPort": 5432}]


async def test_storage_classes_default_and_claims_without_a_class_get_it(kubeconfig, tmp_path):
    code, out, err = await kubectl(kubeconfig, "get", "sc")
    assert code == 0, err
    assert any(line.split()[:3] == ["standard", "(default)", "sim.stsviz.io/hostpath"] for line in out.splitlines())
    claim = tmp_path / "claim.yaml"
    claim.write_text(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
        "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
    )
    code, _, err = await kubectl(kubeconfig, "apply", "-f", str(claim))
    assert code == 0, err
    # realk8s (default class fake-local): spec.storageClassName filled in by DefaultStorageClass.
    assert (await get_json(kubeconfig, "pvc", "c"))["spec"]["storageClassName"] == "standard"


async def test_a_pod_naming_a_missing_config_map_waits_in_create_container_config_error(kubeconfig, tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.25\n"
        "    envFrom: [{configMapRef: {name: app-config}}]\n"
    )
    code, _, err = await kubectl(kubeconfig, "apply", "-f", str(pod))
    assert code == 0, err

    async def waiting(reason):
        statuses = (await get_json(kubeconfig, "pod", "p")).get("status", {}).get("containerStatuses") or []
        state = statuses[0]["state"] if statuses else {}
        return state.get("waiting", {}).get("reason") == reason and (state.get("waiting") or state)

    state = await eventually(lambda: waiting("CreateContainerConfigError"), timeout=15, interval=0.2)
    # The kubelet's words: state.waiting {reason CreateContainerConfigError, message configmap "app-config" not found}.
    assert state["message"] == 'configmap "app-config" not found'
    code, _, err = await kubectl(kubeconfig, "create", "configmap", "app-config", "--from-literal=a=b")
    assert code == 0, err
    running = await eventually(lambda: waiting(None), timeout=15, interval=0.2)
    assert "running" in running


async def test_auth_can_i_for_admin_and_viewer(cluster, kubeconfig, tmp_path):
    code, out, _ = await kubectl(kubeconfig, "auth", "can-i", "delete", "pods")
    assert (code, out.strip()) == (0, "yes")
    code, out, _ = await kubectl(kubeconfig, "auth", "can-i", "--list")
    assert code == 0 and out.splitlines()[1].split() == ["*.*", "[]", "[]", "[*]"]
    # realk8s answered the same to the SelfSubjectRulesReview of user admin (system:masters).


async def test_reviews_answer_for_the_viewer_token(cluster):
    # kubectl sends no token over plain http, so the viewer is asked for directly; realk8s's viewer
    # (the view ClusterRole) got allowed false for delete pods, true for get pods and false for get secrets.
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {cluster.tokens['viewer']}"}) as http:
        url = f"{cluster.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        answers = []
        for verb, resource in (("delete", "pods"), ("get", "pods"), ("get", "secrets"), ("list", "statefulsets")):
            group = "apps" if resource == "statefulsets" else ""
            body = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {
                    "resourceAttributes": {"namespace": "default", "verb": verb, "group": group, "resource": resource}
                },
            }
            async with http.post(url, json=body) as response:
                assert response.status == 201
                answers.append((await response.json())["status"])
        assert answers == [{"allowed": False}, {"allowed": True}, {"allowed": False}, {"allowed": True}]
        rules_url = f"{cluster.url}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": "default"},
        }
        async with http.post(rules_url, json=body) as response:
            review = await response.json()
        # realk8s: spec comes back empty; the first rule is the view role's core-group read rule.
        assert review["spec"] == {} and review["status"]["incomplete"] is False
        assert review["status"]["resourceRules"][0]["verbs"] == ["get", "list", "watch"]
        assert "secrets" not in json.dumps(review["status"]["resourceRules"])


async def test_delete_preconditions_conflict_as_the_real_server(kubeconfig, cluster):
    code, _, err = await kubectl(kubeconfig, "create", "configmap", "c", "--from-literal=a=b")
    assert code == 0, err
    async with aiohttp.ClientSession() as http:
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "0000"}}
        async with http.delete(f"{cluster.url}/api/v1/namespaces/default/configmaps/c", json=body) as response:
            status = await response.json()
    assert response.status == 409 and status["reason"] == "Conflict"
    assert "the UID in the precondition (0000) does not match the UID in record" in status["message"]


async def test_horizontal_pod_autoscalers_are_stored(kubeconfig, tmp_path):
    hpa = tmp_path / "hpa.yaml"
    hpa.write_text(
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
        "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}, maxReplicas: 5, "
        "targetCPUUtilizationPercentage: 80}\n"
    )
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(hpa))
    assert (code, out.strip()) == (0, "horizontalpodautoscaler.autoscaling/web created"), err
    code, out, err = await kubectl(kubeconfig, "get", "hpa", "--no-headers")
    assert out.split()[:6] == ["web", "StatefulSet/web", "<unknown>/80%", "1", "5", "0"], err


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"template": {"spec": {"restartPolicy": "OnFailure"}}},
            'Unsupported value: "OnFailure": supported values: "Always"',
        ),
        (
            {"template": {"spec": {"activeDeadlineSeconds": 30}}},
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ),
        (
            {"updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 1}}},
            "only allowed for updateStrategy 'RollingUpdate'",
        ),
    ],
)
async def test_a_set_a_real_server_refuses_is_refused(kubeconfig, tmp_path, change, words):
    """realk8s 1.20 answers 422 to each of these; the demo created them and ran their pods."""
    from tests.sim.simtools import web_manifest

    manifest = web_manifest(replicas=1)
    for key, value in change.items():
        if key == "template":
            manifest["spec"]["template"]["spec"].update(value["spec"])
        else:
            manifest["spec"][key] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(manifest))
    code, _out, err = await kubectl(kubeconfig, "apply", "-f", str(path))
    assert code == 1 and "is invalid" in err and words in err, err


async def test_a_bundle_with_its_service_account_applies_whole(kubeconfig, tmp_path):
    """Most StatefulSet bundles bring a ServiceAccount: the demo did not serve the kind, kubectl stopped at it."""
    from tests.sim.simtools import web_manifest

    manifest = web_manifest(replicas=1)
    manifest["spec"]["template"]["spec"]["serviceAccountName"] = "web"
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"}}
    path = tmp_path / "bundle.yaml"
    import yaml

    path.write_text(yaml.safe_dump_all([account, manifest]))
    code, out, err = await kubectl(kubeconfig, "apply", "-f", str(path))
    assert code == 0, err
    assert out.splitlines() == ["serviceaccount/web created", "statefulset.apps/web created"]
    code, out, err = await kubectl(kubeconfig, "get", "sa", "web", "-o", "name")
    assert (code, out.strip()) == (0, "serviceaccount/web"), err
