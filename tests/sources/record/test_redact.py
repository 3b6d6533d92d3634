"""The one redaction function: what is pruned, what is hashed, and that a record built from it is the same."""

from __future__ import annotations

import orjson

from stsviz.model.records import ControllerRevision, PersistentVolume, Pod, StatefulSet
from stsviz.sources.record.redact import LAST_APPLIED, REDACTED, redact

SALT = b"0123456789abcdef"
SECRETS = ("hunter2-password", "--token=sekrit-token", "s3cr3t-arg")


def pod(env_value: str = "hunter2-password") -> dict:
    container = {
        "name": "main",
        "image": "nginx:1.25",
        "command": ["/bin/sh", "-c", "--token=sekrit-token"],
        "args": ["s3cr3t-arg"],
        "env": [
            {"name": "PASSWORD", "value": env_value},
            {"name": "FROM", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        ],
        "ports": [{"containerPort": 80}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-0",
            "namespace": "default",
            "uid": "u1",
            "resourceVersion": "7",
            "labels": {"app": "web", "controller-revision-hash": "web-abc"},
            "annotations": {
                LAST_APPLIED: '{"env":"hunter2-password"}',
                "vault.example/token": "Bearer hunter2-annotated",  # an injector's: hashed
                "kubectl.kubernetes.io/restartedAt": "2026-11-25T10:00:00Z",  # the restart stamp: as it is
            },
            "ownerReferences": [{"kind": "StatefulSet", "name": "web", "controller": True, "uid": "s1"}],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {}}],
        },
        "spec": {
            "nodeName": "node-1",
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}},
                {"name": "creds", "secret": {"secretName": "db-creds"}},
            ],
            "initContainers": [dict(container, name="init")],
            "containers": [container],
            "ephemeralContainers": [dict(container, name="debug")],
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def test_secrets_are_hashed_everywhere_and_structure_is_pruned():
    original = pod()
    before = orjson.dumps(original)
    out = redact("Pod", original, SALT)
    assert orjson.dumps(original) == before  # the input is never changed
    text = orjson.dumps(out).decode()
    for secret in SECRETS:
        assert secret not in text
    assert "managedFields" not in text and LAST_APPLIED not in text
    annotations = out["metadata"]["annotations"]
    assert annotations["vault.example/token"].startswith(REDACTED) and "hunter2" not in text
    assert annotations["kubectl.kubernetes.io/restartedAt"] == "2026-11-25T10:00:00Z"
    for field in ("initContainers", "containers", "ephemeralContainers"):
        [container] = out["spec"][field]
        assert container["env"][0]["value"].startswith(REDACTED)
        assert container["env"][1]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}
        assert container["command"][0].startswith(REDACTED) and container["args"][0].startswith(REDACTED)
        assert "ports" not in container and container["image"] == "nginx:1.25"
    assert out["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}},
        {"name": "creds"},
    ]
    assert out["status"] == original["status"]


def test_a_changed_value_shows_as_a_changed_hash_and_the_salt_decides_the_hash():
    one = redact("Pod", pod("a"), SALT)["spec"]["containers"][0]["env"][0]["value"]
    same = redact("Pod", pod("a"), SALT)["spec"]["containers"][0]["env"][0]["value"]
    other = redact("Pod", pod("b"), SALT)["spec"]["containers"][0]["env"][0]["value"]
    salted = redact("Pod", pod("a"), b"another salt....")["spec"]["containers"][0]["env"][0]["value"]
    assert one == same != other and one != salted


def test_no_redact_keeps_the_values_but_never_managed_fields_or_last_applied():
    out = redact("Pod", pod(), None)
    assert out["spec"]["containers"][0]["env"][0]["value"] == "hunter2-password"
    assert out["spec"]["containers"][0]["args"] == ["s3cr3t-arg"]
    assert "managedFields" not in out["metadata"] and LAST_APPLIED not in out["metadata"]["annotations"]


def test_the_slim_records_built_from_a_redacted_object_are_unchanged():
    assert Pod.from_dict(redact("Pod", pod(), SALT)) == Pod.from_dict(pod())
    sts = {
        "metadata": {"name": "web", "namespace": "default", "uid": "s1", "generation": 3},
        "spec": {
            "replicas": 3,
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
            "podManagementPolicy": "Parallel",
            "minReadySeconds": 5,
            "ordinals": {"start": 2},
            "serviceName": "web",
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
            ],
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod()["spec"]},
        },
        "status": {"replicas": 3, "readyReplicas": 2, "updateRevision": "web-2", "observedGeneration": 3},
    }
    out = redact("StatefulSet", sts, SALT)
    assert out["kind"] == "StatefulSet"  # list items carry no kind: the recorder names it
    assert StatefulSet.from_dict(out) == StatefulSet.from_dict(sts)
    text = orjson.dumps(out).decode()
    assert not any(secret in text for secret in SECRETS)
    assert out["spec"]["volumeClaimTemplates"] == [
        {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    ]


def test_odd_shapes_are_passed_over_not_raised_on():
    assert redact("Pod", {"metadata": None, "spec": {"containers": "x", "volumes": [1]}}, SALT)["metadata"] == {}
    assert redact("Event", {"metadata": {"name": "e"}, "reason": "Killing"}, SALT)["reason"] == "Killing"


def test_a_revisions_template_is_hashed_like_a_sets_and_keeps_all_its_diff_shows():
    template = {"metadata": {"labels": {"app": "web"}}, "spec": pod()["spec"], "$patch": "replace"}
    container = template["spec"]["containers"][0]
    container["resources"] = {"limits": {"memory": "1Gi"}}
    container["livenessProbe"] = {"exec": {"command": ["check", "--password=hunter2-password"]}}
    container["lifecycle"] = {"postStart": {"exec": {"command": ["login", "--password=hunter2-password"]}}}
    template["spec"]["tolerations"] = [{"key": "spot", "operator": "Exists"}]
    revision = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": "web-abc",
            "namespace": "default",
            "uid": "r1",
            "ownerReferences": [{"kind": "StatefulSet", "name": "web", "controller": True, "uid": "s1"}],
        },
        "data": {"spec": {"template": template}},
        "revision": 3,
    }
    out = redact("ControllerRevision", revision, SALT)
    text = orjson.dumps(out).decode()
    assert not any(secret in text for secret in SECRETS)
    kept = out["data"]["spec"]["template"]["spec"]["containers"][0]
    assert kept["resources"] == {"limits": {"memory": "1Gi"}} and kept["image"] == "nginx:1.25"
    assert kept["livenessProbe"]["redacted"].startswith(REDACTED)
    # Any other field is kept for the diff, hashed: that it changed shows, not what it holds.
    assert kept["lifecycle"]["redacted"].startswith(REDACTED)
    assert out["data"]["spec"]["template"]["spec"]["tolerations"]["redacted"].startswith(REDACTED)
    record = ControllerRevision.from_dict(out)
    assert (record.name, record.revision, record.owner_name) == ("web-abc", 3, "web")
    assert dict(record.template)["containers[main].image"] == "nginx:1.25"
    # Without a salt the template's fields are kept as they are; volumes are cut to their names (and
    # claims) as a set's are, since other sources may name paths or secrets.
    plain = dict(ControllerRevision.from_dict(redact("ControllerRevision", revision, None)).template)
    whole = dict(ControllerRevision.from_dict(revision).template)
    assert plain.pop("volumes[creds]") == "{}" and whole.pop("volumes[creds]") != "{}"
    assert plain == whole
    assert redact("ControllerRevision", {"metadata": {"name": "r"}, "data": "x"}, SALT) == {
        "kind": "ControllerRevision",
        "metadata": {"name": "r"},
    }


def test_a_volume_keeps_its_phase_policy_and_claim_never_its_source():
    volume = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv-1", "uid": "v1", "annotations": {LAST_APPLIED: "{}"}},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "standard",
            "claimRef": {"namespace": "default", "name": "www-web-0", "uid": "c1", "resourceVersion": "7"},
            "nfs": {"server": "10.0.0.9", "path": "/exports/secret-team"},
            "csi": {"driver": "x", "nodePublishSecretRef": {"name": "csi-creds"}},
        },
        "status": {"phase": "Bound"},
    }
    out = redact("PersistentVolume", volume, SALT)
    text = orjson.dumps(out).decode()
    assert "10.0.0.9" not in text and "secret-team" not in text and "csi-creds" not in text
    assert out["spec"]["claimRef"] == {"namespace": "default", "name": "www-web-0", "uid": "c1"}
    assert out["status"] == {"phase": "Bound"}
    assert PersistentVolume.from_dict(out) == PersistentVolume.from_dict(volume)
