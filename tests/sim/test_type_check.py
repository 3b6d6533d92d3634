"""What Go decodes is taken, what it cannot is a 400 naming the field (type_check.py)."""

from __future__ import annotations

import pytest

from stsviz.sim.api import type_check
from stsviz.sim.errors import StatusError
from stsviz.sim.resources import BY_KIND, CONFIGMAPS, STATEFULSETS


def statefulset(container: dict, **spec) -> dict:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "managedFields": [{"fieldsV1": {"f:spec": {}}, "manager": "kubectl"}]},
        "spec": {"serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": template} | spec,
    }


def test_what_go_decodes_through_its_own_decoders_is_taken():
    container = {
        "name": "app",
        "image": "nginx",
        "resources": {"limits": {"memory": 512, "cpu": 0.5}, "requests": {"memory": "256Mi"}},  # Quantity
        "ports": [{"containerPort": 80}],
        "readinessProbe": {"httpGet": {"port": "http"}},  # IntOrString, as a name
        "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": None},  # and as a number; null
    }
    type_check.check(STATEFULSETS, statefulset(container, replicas=3, updateStrategy=None))
    revision = {"metadata": {"name": "web-1"}, "data": {"spec": {"template": {}}}, "revision": 1}  # RawExtension
    type_check.check(BY_KIND["ControllerRevision"], revision)


@pytest.mark.parametrize(
    ("resource", "obj", "said"),
    [
        (
            CONFIGMAPS,
            {"data": {"port": 8080}},
            "cannot unmarshal number into Go struct field ConfigMap.data of type string",
        ),
        (
            STATEFULSETS,
            statefulset({"name": "app", "image": "nginx"}, replicas="3"),
            "cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32",
        ),
        (
            STATEFULSETS,
            statefulset({"name": "app", "image": "nginx", "ports": {"containerPort": 80}}),
            "cannot unmarshal object into Go struct field Container.spec.template.spec.containers.ports"
            " of type []v1.ContainerPort",
        ),
        (
            STATEFULSETS,
            statefulset({"name": "app", "image": "nginx", "resources": {"limits": {"memory": True}}}),
            "cannot unmarshal bool into Go struct field ResourceRequirements.spec.template.spec.containers.resources"
            ".limits of type resource.Quantity",
        ),
        (CONFIGMAPS, {"metadata": {"name": "c", "labels": []}}, "ObjectMeta.metadata.labels of type map[string]string"),
    ],
)
def test_a_value_go_cannot_decode_is_a_400_naming_the_field(resource, obj, said):
    with pytest.raises(StatusError) as refused:
        type_check.check(resource, obj)
    assert refused.value.code == 400
    assert str(refused.value.message).startswith(f"{resource.kind} in version ")
    assert said in refused.value.message
