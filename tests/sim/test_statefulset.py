"""The StatefulSet controller, scheduler, kubelet and volume binder against
what a real 1.20 control plane does, observed through kubernetes_asyncio
watches and reads over HTTP."""

from __future__ import annotations

from kubernetes_asyncio.client import AppsV1Api, CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from tests.sim.simtools import WatchRecorder, rolled_out, sts_status, transitions, web_manifest
from tests.waiting import eventually

# Revision names of the recordings' manifest on the real 1.20 cluster
# (tests/data/recordings/rolling): same template, same hash.
REV_119, REV_120 = "web-847b5bcf4c", "web-6c7c5cdf47"


async def set_image(api, image: str, name: str = "web") -> None:
    await AppsV1Api(api).patch_namespaced_stateful_set(
        name, "default", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
    )


async def pod_states(api) -> dict[str, tuple]:
    pods = (await CoreV1Api(api).list_namespaced_pod("default")).items
    return {
        p.metadata.name: (
            p.status.phase,
            p.metadata.labels.get("controller-revision-hash"),
            bool(p.metadata.deletion_timestamp),
        )
        for p in pods
    }


async def test_ordered_ready_creates_claims_then_pods_one_at_a_time(api, cluster):
    recorder = await WatchRecorder(api).start("pods", "persistentvolumeclaims", "statefulsets", "events")
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=3))
    await eventually(lambda: rolled_out(cluster), message="3 replicas ready")
    await eventually(lambda: len([e for e in recorder.events if e["object"]["kind"] == "Pod"]) >= 15)
    await recorder.stop(cluster)
    order = [
        (e["type"], e["object"]["kind"], e["object"]["metadata"]["name"])
        for e in recorder.ordered()
        if e["type"] == "ADDED" and e["object"]["kind"] in ("Pod", "PersistentVolumeClaim")
    ]
    assert order == [
        ("ADDED", "PersistentVolumeClaim", "www-web-0"),
        ("ADDED", "Pod", "web-0"),
        ("ADDED", "PersistentVolumeClaim", "www-web-1"),
        ("ADDED", "Pod", "web-1"),
        ("ADDED", "PersistentVolumeClaim", "www-web-2"),
        ("ADDED", "Pod", "web-2"),
    ]
    # web-n+1 appears only once web-n is Ready (OrderedReady).
    per_pod = transitions(recorder.of_kind("Pod"))
    assert per_pod["web-0"] == [
        ("unscheduled", REV_119),
        ("creating", REV_119),
        ("running", REV_119),
        ("ready", REV_119),
    ]
    seen_ready_0 = next(
        i
        for i, e in enumerate(recorder.ordered())
        if e["object"]["kind"] == "Pod"
        and e["object"]["metadata"]["name"] == "web-0"
        and any(c["type"] == "Ready" and c["status"] == "True" for c in e["object"]["status"].get("conditions", []))
    )
    first_web_1 = next(i for i, e in enumerate(recorder.ordered()) if e["object"]["metadata"]["name"] == "web-1")
    assert seen_ready_0 < first_web_1
    messages = [
        e["object"]["message"]
        for e in recorder.ordered()
        if e["object"]["kind"] == "Event" and e["object"]["reason"] == "SuccessfulCreate"
    ]
    assert messages == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
        "create Claim www-web-2 Pod web-2 in StatefulSet web success",
        "create Pod web-2 in StatefulSet web successful",
    ]
    scheduling = [
        e["object"]["message"] for e in recorder.of_kind("Event") if e["object"]["reason"] == "FailedScheduling"
    ]
    assert (
        scheduling and scheduling[0] == "0/2 nodes are available: 2 pod has unbound immediate PersistentVolumeClaims."
    )


async def test_status_omits_zero_counts_as_the_real_server(api, cluster):
    recorder = await WatchRecorder(api).start("statefulsets")
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    await eventually(lambda: recorder.events and recorder.events[-1]["object"]["status"].get("readyReplicas") == 2)
    await recorder.stop(cluster)
    statuses = [e["object"]["status"] for e in recorder.events]
    assert statuses[0] == {"replicas": 0}
    assert statuses[1] == {
        "observedGeneration": 1,
        "replicas": 1,
        "currentReplicas": 1,
        "updatedReplicas": 1,
        "currentRevision": REV_119,
        "updateRevision": REV_119,
        "collisionCount": 0,
    }
    assert statuses[-1]["readyReplicas"] == 2


async def test_rolling_update_goes_from_the_highest_ordinal_down_one_at_a_time(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=3))
    await eventually(lambda: rolled_out(cluster))
    recorder = await WatchRecorder(api).start("pods", "events")
    await set_image(api, "nginx:1.20")
    await eventually(lambda: rolled_out(cluster), message="rollout complete")
    await recorder.stop(cluster)
    deletions = [e["object"]["metadata"]["name"] for e in recorder.of_kind("Pod") if e["type"] == "DELETED"]
    assert deletions == ["web-2", "web-1", "web-0"]
    for name in ("web-2", "web-1", "web-0"):
        assert transitions(recorder.of_kind("Pod"))[name] == [
            ("terminating", REV_119),
            ("missing", REV_119),
            ("unscheduled", REV_120),
            ("creating", REV_120),
            ("running", REV_120),
            ("ready", REV_120),
        ]
    # One at a time: a pod is deleted only after the one above it is back and Ready.
    names = [(e["type"], e["object"]["metadata"]["name"]) for e in recorder.ordered() if e["object"]["kind"] == "Pod"]
    assert names.index(("DELETED", "web-1")) > names.index(("ADDED", "web-2"))
    status = (await AppsV1Api(api).read_namespaced_stateful_set("web", "default")).status
    assert (status.current_revision, status.update_revision) == (REV_120, REV_120)
    deletes = [e["object"]["message"] for e in recorder.of_kind("Event") if e["object"]["reason"] == "SuccessfulDelete"]
    assert deletes == [f"delete Pod web-{i} in StatefulSet web successful" for i in (2, 1, 0)]


async def test_partition_updates_only_ordinals_at_or_above_it(api, cluster):
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set(
        "default", web_manifest(replicas=3, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}})
    )
    await eventually(lambda: cluster.store and sts_status(cluster).get("readyReplicas") == 3)
    await set_image(api, "nginx:1.20")

    async def canary_done():
        states = await pod_states(api)
        return (
            states.get("web-2") == ("Running", REV_120, False)
            and (await apps.read_namespaced_stateful_set("web", "default")).status.ready_replicas == 3
        )

    await eventually(canary_done, message="web-2 updated")
    await cluster.settle(10)
    states = await pod_states(api)
    assert states["web-0"][1] == states["web-1"][1] == REV_119
    status = (await apps.read_namespaced_stateful_set("web", "default")).status
    # With a partition the current revision never catches up.
    assert (status.current_revision, status.update_revision, status.updated_replicas, status.current_replicas) == (
        REV_119,
        REV_120,
        1,
        2,
    )


async def test_on_delete_updates_a_pod_only_when_it_is_deleted(api, cluster):
    apps, core = AppsV1Api(api), CoreV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=2, updateStrategy={"type": "OnDelete"}))
    await eventually(lambda: sts_status(cluster).get("readyReplicas") == 2)
    await set_image(api, "nginx:1.20")
    await cluster.settle(10)
    assert {n: s[1] for n, s in (await pod_states(api)).items()} == {"web-0": REV_119, "web-1": REV_119}
    await core.delete_namespaced_pod("web-1", "default")

    async def web_1_updated():
        return (await pod_states(api)).get("web-1") == ("Running", REV_120, False)

    await eventually(web_1_updated, message="web-1 recreated on the new revision")
    assert (await pod_states(api))["web-0"][1] == REV_119


async def test_parallel_creates_all_pods_without_waiting_for_readiness(api, cluster):
    recorder = await WatchRecorder(api).start("pods")
    await AppsV1Api(api).create_namespaced_stateful_set(
        "default", web_manifest(replicas=4, podManagementPolicy="Parallel")
    )
    await eventually(lambda: len({e["object"]["metadata"]["name"] for e in recorder.events}) == 4)
    await recorder.stop(cluster)
    first_four = [e["type"] for e in recorder.events[:4]]
    assert first_four == ["ADDED"] * 4  # all created before any of them progressed


async def test_crash_looping_pod_blocks_the_rollout_with_growing_restarts(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=3))
    await eventually(lambda: rolled_out(cluster))
    await set_image(api, "nginx:bad-1.0")
    core = CoreV1Api(api)

    async def restarts_of_web_2():
        try:
            pod = await core.read_namespaced_pod("web-2", "default")
        except ApiException as error:  # between the old web-2's deletion and the new one's creation
            if error.status == 404:
                return None
            raise
        statuses = pod.status.container_statuses or []
        return (
            statuses
            and statuses[0].restart_count >= 2
            and statuses[0].state.waiting
            and statuses[0].state.waiting.reason == "CrashLoopBackOff"
            and statuses[0].state.waiting.message
        )

    waiting = await eventually(restarts_of_web_2, timeout=15, message="web-2 crash looping twice")
    assert "back-off 20s restarting failed container=nginx pod=web-2_default" in waiting
    states = await pod_states(api)
    assert states["web-1"] == ("Running", REV_119, False) and states["web-0"] == ("Running", REV_119, False)
    events = (await core.list_namespaced_event("default", field_selector="reason=BackOff")).items
    assert events and events[0].message == "Back-off restarting failed container" and events[0].count >= 2


async def test_image_that_cannot_be_pulled_alternates_err_image_pull_and_back_off(api, cluster):
    recorder = await WatchRecorder(api).start("pods")
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=1, image="nginx:doesnotexist"))

    def reasons():
        return [
            ((c.get("state") or {}).get("waiting") or {}).get("reason")
            for e in recorder.events
            for c in e["object"]["status"].get("containerStatuses") or []
        ]

    await eventually(lambda: reasons().count("ErrImagePull") >= 2, timeout=15)
    await recorder.stop(cluster)
    sequence = [r for i, r in enumerate(reasons()) if i == 0 or r != reasons()[i - 1]]
    assert sequence[:4] == ["ContainerCreating", "ErrImagePull", "ImagePullBackOff", "ErrImagePull"]
    assert recorder.events[-1]["object"]["status"]["phase"] == "Pending"


async def test_never_ready_pod_stays_running_and_not_ready(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=2, image="nginx:unready"))
    core = CoreV1Api(api)

    async def web_0_running():
        pods = (await core.list_namespaced_pod("default")).items
        return pods and pods[0].status.phase == "Running"

    await eventually(web_0_running)
    await cluster.settle(20)
    pods = (await core.list_namespaced_pod("default")).items
    assert [p.metadata.name for p in pods] == ["web-0"]  # OrderedReady waits for web-0 forever
    assert {c.type: c.status for c in pods[0].status.conditions}["Ready"] == "False"


async def test_deleted_pod_terminates_gracefully_and_comes_back_with_a_new_uid(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    core = CoreV1Api(api)
    old_uid = (await core.read_namespaced_pod("web-1", "default")).metadata.uid
    deleted = await core.delete_namespaced_pod("web-1", "default")
    assert deleted.metadata.deletion_timestamp is not None and deleted.metadata.deletion_grace_period_seconds == 10
    assert (await core.read_namespaced_pod("web-1", "default")).metadata.uid == old_uid  # still there, terminating

    async def replaced():
        pod = await core.read_namespaced_pod("web-1", "default")
        return pod.metadata.uid != old_uid and pod.metadata.deletion_timestamp is None

    await eventually(replaced, message="web-1 recreated")
    claim = (await core.read_namespaced_pod("web-1", "default")).spec.volumes[0].persistent_volume_claim
    assert claim.claim_name == "www-web-1"


async def test_scale_down_removes_the_highest_ordinals_and_keeps_their_claims(api, cluster):
    apps, core = AppsV1Api(api), CoreV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=3))
    await eventually(lambda: rolled_out(cluster))
    recorder = await WatchRecorder(api).start("pods")
    await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})
    await eventually(lambda: rolled_out(cluster) and len([e for e in recorder.events if e["type"] == "DELETED"]) == 2)
    await recorder.stop(cluster)
    assert [e["object"]["metadata"]["name"] for e in recorder.events if e["type"] == "DELETED"] == ["web-2", "web-1"]
    claims = (await core.list_namespaced_persistent_volume_claim("default")).items
    assert {(c.metadata.name, c.status.phase) for c in claims} == {
        ("www-web-0", "Bound"),
        ("www-web-1", "Bound"),
        ("www-web-2", "Bound"),
    }


async def test_deleting_the_set_collects_pods_and_revisions_but_not_claims(api, cluster):
    apps, core = AppsV1Api(api), CoreV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster))
    assert [r.metadata.name for r in (await apps.list_namespaced_controller_revision("default")).items] == [REV_119]
    await apps.delete_namespaced_stateful_set("web", "default")

    async def collected():
        pods = (await core.list_namespaced_pod("default")).items
        revisions = (await apps.list_namespaced_controller_revision("default")).items
        return not pods and not revisions

    await eventually(collected, message="pods and revisions garbage-collected")
    assert len((await core.list_namespaced_persistent_volume_claim("default")).items) == 2


async def test_claims_on_a_failing_provisioner_stay_pending_and_block_scheduling(api, cluster):
    manifest = web_manifest(replicas=1)
    manifest["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "broken"
    await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    core = CoreV1Api(api)

    async def provisioning_failed():
        events = (await core.list_namespaced_event("default", field_selector="reason=ProvisioningFailed")).items
        return events

    events = await eventually(provisioning_failed)
    assert events[0].message == (
        'failed to provision volume with StorageClass "broken": rpc error: '
        "code = ResourceExhausted desc = storage pool is full"
    )
    pod = await core.read_namespaced_pod("web-0", "default")
    scheduled = {c.type: c for c in pod.status.conditions}["PodScheduled"]
    assert (scheduled.status, scheduled.reason) == ("False", "Unschedulable")
    assert (await core.read_namespaced_persistent_volume_claim("www-web-0", "default")).status.phase == "Pending"


async def test_wait_for_first_consumer_binds_after_the_pod_is_placed(api, cluster):
    manifest = web_manifest(replicas=1)
    manifest["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "late-binding"
    await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    await eventually(lambda: rolled_out(cluster), message="web-0 ready with a late-bound claim")
    core = CoreV1Api(api)
    pvc = await core.read_namespaced_persistent_volume_claim("www-web-0", "default")
    pod = await core.read_namespaced_pod("web-0", "default")
    assert pvc.status.phase == "Bound" and pvc.spec.volume_name == f"pvc-{pvc.metadata.uid}"
    assert pvc.metadata.annotations["volume.kubernetes.io/selected-node"] == pod.spec.node_name
    reasons = [e.reason for e in (await core.list_namespaced_event("default")).items]
    assert "WaitForFirstConsumer" in reasons and "ProvisioningSucceeded" in reasons


async def test_ordinals_start_numbers_pods_and_claims_from_it(api, cluster):
    apps, core = AppsV1Api(api), CoreV1Api(api)
    # spec.ordinals is newer than 1.20; the demo cluster honours it as 1.26+ controllers do.
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=2, ordinals={"start": 5}))
    await eventually(lambda: rolled_out(cluster))
    pods = sorted(p.metadata.name for p in (await core.list_namespaced_pod("default")).items)
    claims = sorted(c.metadata.name for c in (await core.list_namespaced_persistent_volume_claim("default")).items)
    assert (pods, claims) == (["web-5", "web-6"], ["www-web-5", "www-web-6"])
    recorder = await WatchRecorder(api).start("pods")
    await apps.patch_namespaced_stateful_set("web", "default", {"spec": {"ordinals": {"start": 0}}})

    async def moved():
        return sorted(p.metadata.name for p in (await core.list_namespaced_pod("default")).items) == ["web-0", "web-1"]

    await eventually(moved, message="pods moved to ordinals 0 and 1")
    await recorder.stop(cluster)
    order = [(e["type"], e["object"]["metadata"]["name"]) for e in recorder.events if e["type"] in ("ADDED", "DELETED")]
    # New ordinals come up first, in order; then the condemned go, highest first.
    assert order == [("ADDED", "web-0"), ("ADDED", "web-1"), ("DELETED", "web-6"), ("DELETED", "web-5")]


async def claim_names(api) -> list[str]:
    return sorted(
        c.metadata.name for c in (await CoreV1Api(api).list_namespaced_persistent_volume_claim("default")).items
    )


async def test_retention_policy_when_scaled_delete_removes_the_condemned_claims(api, cluster):
    apps = AppsV1Api(api)
    # A 1.27+ field: without it (1.20) claims outlive scale-down, as the scale-down test shows.
    await apps.create_namespaced_stateful_set(
        "default",
        web_manifest(
            replicas=3, persistentVolumeClaimRetentionPolicy={"whenDeleted": "Retain", "whenScaled": "Delete"}
        ),
    )
    await eventually(lambda: rolled_out(cluster))
    await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})

    async def only_web_0_claim():
        return await claim_names(api) == ["www-web-0"]

    await eventually(only_web_0_claim, message="claims of web-1 and web-2 deleted with their pods")
    await apps.delete_namespaced_stateful_set("web", "default")
    await cluster.settle(10)
    assert await claim_names(api) == ["www-web-0"]  # whenDeleted: Retain


async def test_retention_policy_when_deleted_delete_removes_all_claims_with_the_set(api, cluster):
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set(
        "default", web_manifest(replicas=2, persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete"})
    )
    await eventually(lambda: rolled_out(cluster))
    await apps.delete_namespaced_stateful_set("web", "default")

    async def no_claims():
        return await claim_names(api) == []

    await eventually(no_claims, message="claims deleted with the set")


async def test_a_watch_sees_each_volume_bound_as_a_get_does(api, cluster):
    # Bound is a status write after the claimRef update: a watch must carry it, as the real server's does.
    import asyncio

    from kubernetes_asyncio import watch

    core = CoreV1Api(api)
    listed = await core.list_persistent_volume()
    seen: dict[str, str] = {}

    async def follow() -> None:
        async for event in watch.Watch().stream(
            core.list_persistent_volume, resource_version=listed.metadata.resource_version
        ):
            seen[event["raw_object"]["metadata"]["name"]] = event["raw_object"]["status"].get("phase")

    following = asyncio.get_running_loop().create_task(follow())
    try:
        await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest(replicas=2))
        await eventually(lambda: rolled_out(cluster), message="2 replicas ready")
        volumes = (await core.list_persistent_volume()).items
        got = {pv.metadata.name: pv.status.phase for pv in volumes if pv.spec.claim_ref is not None}
        assert sorted(got.values()) == ["Bound", "Bound"]
        await eventually(
            lambda: {name: seen.get(name) for name in got} == got, message=f"the watch saw {seen}, a get says {got}"
        )
    finally:
        following.cancel()


# Templates using probes, fieldRef/resourceFieldRef, downwardAPI and hostPath volumes: their revision names on the
# real 1.20 control plane (realk8s, kubectl apply of these manifests). A default the demo leaves out changes the hash.
RICH = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: rich}
spec:
  serviceName: rich
  replicas: 1
  selector: {matchLabels: {app: rich}}
  template:
    metadata: {labels: {app: rich}}
    spec:
      securityContext: {fsGroup: 1000}
      initContainers:
      - name: init
        image: busybox
        command: [sh, -c, "true"]
      containers:
      - name: app
        image: example/app:1
        ports: [{containerPort: 8080, name: http}, {containerPort: 9090, protocol: UDP}]
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: CPU
          valueFrom: {resourceFieldRef: {resource: limits.cpu}}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
        livenessProbe:
          tcpSocket: {port: http}
          initialDelaySeconds: 5
        lifecycle:
          preStop: {exec: {command: [sleep, "5"]}}
        volumeMounts:
        - {name: cfg, mountPath: /etc/app}
        - {name: tmp, mountPath: /tmp}
        - {name: sec, mountPath: /etc/sec}
      volumes:
      - name: cfg
        configMap: {name: app-cfg}
      - name: tmp
        emptyDir: {}
      - name: sec
        secret: {secretName: app-sec}
      tolerations:
      - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}
"""
LIMITED = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: lim}
spec:
  serviceName: lim
  replicas: 1
  selector: {matchLabels: {app: lim}}
  template:
    metadata: {labels: {app: lim}}
    spec:
      containers:
      - name: app
        image: example/app:1
        resources: {limits: {cpu: "1", memory: 1Gi}}
        volumeMounts: [{name: info, mountPath: /info}, {name: host, mountPath: /host}]
      volumes:
      - name: info
        downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
      - name: host
        hostPath: {path: /var/log}
"""


async def test_templates_with_probes_and_downward_api_hash_to_the_real_revision_names(cluster):
    import yaml

    for manifest, revision in ((RICH, "rich-856cbdc748"), (LIMITED, "lim-648d79fd4c")):
        body = yaml.safe_load(manifest)
        cluster.apply(body)
        name = body["metadata"]["name"]
        await eventually(lambda n=name: sts_status(cluster, n).get("updateRevision") is not None)
        assert sts_status(cluster, name)["updateRevision"] == revision


async def test_pods_request_their_limits_and_get_the_real_qos_class(cluster):
    """As a real 1.20 server: a limit without a request requests it, and the QoS class follows."""
    import yaml

    from stsviz.sim.resources import PODS

    cluster.apply(yaml.safe_load(LIMITED))  # limits only: Guaranteed, requests = limits
    cluster.apply(web_manifest(replicas=1))  # nothing asked: BestEffort
    await eventually(
        lambda: cluster.store.view(PODS, "default", "lim-0") and cluster.store.view(PODS, "default", "web-0")
    )
    limited = cluster.store.view(PODS, "default", "lim-0")
    assert limited["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert limited["status"]["qosClass"] == "Guaranteed"
    assert cluster.store.view(PODS, "default", "web-0")["status"]["qosClass"] == "BestEffort"
    from stsviz.sim.defaults import qos_class

    asked = {"containers": [{"resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}}]}
    assert qos_class(asked) == "Burstable"  # as the reviewer's web-0 on realk8s (requests, a memory limit)


# The reviewer's manifests on realk8s 1.20 (2 nodes): what the real scheduler said of each pod it could not place.
PLACED = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: etcd}
spec:
  serviceName: etcd
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: etcd}}
  template:
    metadata: {labels: {app: etcd}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: etcd}}
            topologyKey: kubernetes.io/hostname
      containers: [{name: etcd, image: quay.io/coreos/etcd:v3.4.13, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: es}
spec:
  serviceName: es
  replicas: 1
  selector: {matchLabels: {app: es}}
  template:
    metadata: {labels: {app: es}}
    spec:
      nodeSelector: {disktype: ssd}
      containers: [{name: es, image: elasticsearch:7.10.1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: big}
spec:
  serviceName: big
  replicas: 1
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers: [{name: c, image: nginx, resources: {requests: {cpu: "64", memory: 512Gi}}}]
"""


async def test_pods_that_fit_no_node_stay_pending_with_the_real_schedulers_words(cluster):
    import yaml

    from stsviz.sim.resources import PODS

    for manifest in yaml.safe_load_all(PLACED):
        cluster.apply(manifest)

    def unscheduled(name: str) -> str | None:
        pod = cluster.store.view(PODS, "default", name)
        scheduled = [c for c in (pod or {}).get("status", {}).get("conditions") or [] if c["type"] == "PodScheduled"]
        return scheduled[0].get("message") if scheduled and scheduled[0]["status"] == "False" else None

    expected = {
        "big-0": "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory.",
        "es-0": "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity.",
        "etcd-2": "0/2 nodes are available: 2 node(s) didn't match pod affinity/anti-affinity, "
        "2 node(s) didn't match pod anti-affinity rules.",
    }
    for name, message in expected.items():
        await eventually(lambda n=name, m=message: unscheduled(n) == m, message=f"{name}: {message}")
    nodes = {cluster.store.view(PODS, "default", f"etcd-{n}")["spec"].get("nodeName") for n in (0, 1)}
    assert len(nodes) == 2 and None not in nodes  # one etcd per node, as the anti-affinity asks


async def test_a_node_runs_110_pods_at_most_as_a_kubelet_by_default(cluster):
    """The demo's two nodes ran any number of pods (the many scenario put 1,500 on each); a real node's
    allocatable pods (110 by default) leave the rest Pending, in the scheduler's words."""
    from stsviz.sim.resources import PODS

    wide = web_manifest(replicas=225, name="wide")
    wide["spec"]["podManagementPolicy"] = "Parallel"
    del wide["spec"]["volumeClaimTemplates"]
    del wide["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]  # it mounted a claim's volume
    cluster.apply(wide)

    def placed() -> tuple[int, list[str]]:
        pods = cluster.store.items(PODS, "default")
        bound = sum(1 for pod in pods if pod["spec"].get("nodeName"))
        waiting = [
            c.get("message", "")
            for pod in pods
            for c in pod.get("status", {}).get("conditions") or []
            if c["type"] == "PodScheduled" and c["status"] == "False"
        ]
        return bound, waiting

    await eventually(lambda: placed()[0] == 220 and len(placed()[1]) == 5, timeout=30, message=str(placed()[0]))
    assert set(placed()[1]) == {"0/2 nodes are available: 2 Too many pods."}


async def test_pods_a_real_server_refuses_fail_to_create_over_and_over(cluster):
    """1.20 takes these sets but refuses their pods (or claims): FailedCreate events, no pod, status replicas 0.
    The demo ran them (two containers named c, 2/2 Running) and stsviz said done where the real one said stalled."""
    from stsviz.sim.resources import EVENTS, PODS

    twins = web_manifest(replicas=1, name="twins")
    containers = twins["spec"]["template"]["spec"]["containers"]
    containers.append({**containers[0], "ports": []})  # the same name, "nginx"
    greedy = web_manifest(replicas=1, name="greedy")
    greedy["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "2"},
        "limits": {"cpu": "1"},
    }
    bare = web_manifest(replicas=1, name="bare")
    del bare["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]
    for manifest in (twins, greedy, bare):
        cluster.apply(manifest)

    def failed(name: str) -> list[str]:
        return [
            e["message"]
            for e in cluster.store.items(EVENTS, "default")
            if e["reason"] == "FailedCreate" and e["involvedObject"]["name"] == name
        ]

    expected = {
        "twins": 'spec.containers[1].name: Duplicate value: "nginx"',
        "greedy": 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit',
        "bare": "spec.resources[storage]: Required value",
    }
    for name, words in expected.items():
        await eventually(lambda n=name, w=words: any(w in message for message in failed(n)), message=words)
        assert cluster.store.view(PODS, "default", f"{name}-0") is None


def test_quantities_read_as_the_api_server_reads_them():
    import pytest as pytest_

    from stsviz.sim.defaults import qos_class
    from stsviz.sim.quantities import INVALID, millicpu, quantity

    assert [quantity(v) for v in (512, "1Gi", "1Pi", "1e3", "1.5k", "")] == [512, 2**30, 2**50, 1000, 1500, 0]
    assert [millicpu(v) for v in ("500m", 2, "0.5", "1", "100u")] == [500, 2000, 500, 1000, 1]
    for bad in ("abc", "1Gb", "--1", "1.2.3"):
        with pytest_.raises(ValueError) as refused:
            quantity(bad)
        assert str(refused.value) == INVALID
    one_cpu = {"limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "2Gi"}}
    asked = {**one_cpu, "requests": {"cpu": "1000m", "memory": "1024Mi", "ephemeral-storage": "1Gi"}}
    assert qos_class({"containers": [{"resources": asked}]}) == "Guaranteed"  # 1 is 1000m; QoS is cpu and memory


async def test_a_set_whose_template_has_a_quantity_of_another_spelling_runs_or_fails_to_create(cluster):
    """`memory: 512` (YAML's number) runs; `memory: lots` fails to create, said (the controller threw before)."""
    from stsviz.sim.resources import EVENTS, PODS

    numbered = web_manifest(replicas=1, name="numbered")
    numbered["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": 512 * 2**20}}
    worded = web_manifest(replicas=1, name="worded")
    worded["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "lots"}}
    cluster.apply(numbered)
    cluster.apply(worded)
    await eventually(lambda: rolled_out(cluster, "numbered"), message="numbered runs")

    def refused() -> bool:
        return any(
            e["reason"] == "FailedCreate" and "quantities must match the regular expression" in e["message"]
            for e in cluster.store.items(EVENTS, "default")
            if e["involvedObject"]["name"] == "worded"
        )

    await eventually(refused, message="worded refused, said")
    assert cluster.store.view(PODS, "default", "worded-0") is None
