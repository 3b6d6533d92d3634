"""The PersistentVolume controller and PVC protection.

Claims bind to a matching Available PV (or to one a provisioner creates)
after a short delay, in the two steps upstream takes (claim gets its
volumeName, then phase Bound). WaitForFirstConsumer claims wait for the
scheduler's selected-node annotation. A failing provisioner leaves the claim
Pending with ProvisioningFailed events. Released claims leave Retain volumes
Released; a deleted claim stays (pvc-protection) while a pod still uses it.

StorageClasses are API objects (storage.k8s.io/v1), read at each sync, so a
class applied after its claims lets them bind. Only the demo's provisioners
act: `sim.stsviz.io/hostpath` provisions, `sim.stsviz.io/broken` always fails
(with `parameters.failure`); another `kubernetes.io/` name has no volume
plugin, and any other name is an external provisioner that never comes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StatusError
from ..quantities import quantity
from ..registry import Registry
from ..resources import PODS, PVCS, PVS, STORAGE_CLASSES
from ..store import Store, Write, deep_copy
from .base import Controller
from .events import EventRecorder

COMPONENT = "persistentvolume-controller"
SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node"
PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"


NO_PROVISIONER = "kubernetes.io/no-provisioner"
HOSTPATH_PROVISIONER = "sim.stsviz.io/hostpath"
BROKEN_PROVISIONER = "sim.stsviz.io/broken"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
PROVISION_DELAY = 1.0  # cluster seconds a demo provisioner takes


@dataclass(frozen=True)
class StorageClass:
    """A StorageClass as the cluster's configuration names it; the API object is `to_object()`."""

    name: str
    provisioner: str = NO_PROVISIONER
    binding_mode: str = "Immediate"  # or WaitForFirstConsumer
    reclaim_policy: str = "Delete"
    failure: str | None = None  # provisioning always fails with this message
    provision_delay: float = PROVISION_DELAY
    default: bool = False

    @property
    def dynamic(self) -> bool:
        return self.provisioner != NO_PROVISIONER

    def to_object(self) -> dict:
        meta: dict = {"name": self.name}
        if self.default:
            meta["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true"}
        obj = {
            "metadata": meta,
            "provisioner": self.provisioner,
            "reclaimPolicy": self.reclaim_policy,
            "volumeBindingMode": self.binding_mode,
        }
        if self.failure:
            obj["parameters"] = {"failure": self.failure}
        return obj

    @classmethod
    def from_object(cls, obj: dict) -> StorageClass:
        failure = (obj.get("parameters") or {}).get("failure")
        if obj.get("provisioner") == BROKEN_PROVISIONER and not failure:
            failure = "rpc error: code = Internal desc = the demo's broken provisioner always fails"
        return cls(
            obj["metadata"]["name"],
            obj.get("provisioner", NO_PROVISIONER),
            obj.get("volumeBindingMode", "Immediate"),
            obj.get("reclaimPolicy", "Delete"),
            failure,
        )


def storage_class(store: Store, name: str) -> StorageClass | None:
    obj = store.view(STORAGE_CLASSES, "", name) if name else None
    return StorageClass.from_object(obj) if obj is not None else None


class VolumeController(Controller[tuple[str, str, str]]):
    name = COMPONENT

    def __init__(
        self,
        registry: Registry,
        recorder: EventRecorder,
        bind_delay: float = 0.05,
        retry_delay: float = 15.0,
    ) -> None:
        super().__init__(registry)
        self.recorder = recorder
        self.bind_delay = bind_delay
        self.retry_delay = retry_delay
        self._reported: set[tuple[str, str]] = set()
        self._first_seen: dict[str, float] = {}
        self._provisioning: set[str] = set()  # claim uids with a provisioning under way

    def on_change(self, change: Write) -> None:
        meta = change.object["metadata"]
        if change.resource is PVCS:
            self.enqueue(("pvc", meta["namespace"], meta["name"]))
            if change.type == "DELETED" and change.object["spec"].get("volumeName"):
                self.enqueue(("pv", "", change.object["spec"]["volumeName"]))
        elif change.resource is PVS:
            self.enqueue(("pv", "", meta["name"]))
        elif change.resource is STORAGE_CLASSES and change.type == "ADDED":
            # Claims waiting for this class may now provision.
            for pvc in self.store.items(PVCS):
                if pvc["spec"].get("storageClassName") == meta["name"] and not pvc["spec"].get("volumeName"):
                    self.enqueue(("pvc", pvc["metadata"]["namespace"], pvc["metadata"]["name"]))
        elif change.resource is PODS and change.type == "DELETED":
            # A claim kept by pvc-protection may now go.
            for volume in change.object["spec"].get("volumes") or []:
                if volume.get("persistentVolumeClaim"):
                    self.enqueue(("pvc", meta["namespace"], volume["persistentVolumeClaim"]["claimName"]))

    def reconcile(self, key: tuple[str, str, str]) -> None:
        kind, namespace, name = key
        if kind == "pv":
            self._sync_volume(name)
        else:
            self._sync_claim(namespace, name)

    # claims -------------------------------------------------------------------------------------

    def _sync_claim(self, namespace: str, name: str) -> None:
        pvc = self.store.view(PVCS, namespace, name)
        if pvc is None:
            return
        if pvc["metadata"].get("deletionTimestamp"):
            self._release_protection(pvc)
            return
        if pvc["status"].get("phase") == "Bound":
            return
        volume_name = pvc["spec"].get("volumeName")
        if volume_name:
            pv = self.store.view(PVS, "", volume_name)
            if pv is not None:
                self._finish_claim(pvc, pv)
            return
        sc = storage_class(self.store, pvc["spec"].get("storageClassName") or "")
        if (
            sc
            and sc.binding_mode == "WaitForFirstConsumer"
            and not (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE_ANNOTATION)
        ):
            self._report_once(
                pvc, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding"
            )
            return
        key = ("pvc", namespace, name)
        pv = self._find_volume(pvc)
        if pv is not None:
            # The binder works on its own period: a new claim binds after bind_delay.
            age = self.clock.elapsed() - self._first_seen.setdefault(pvc["metadata"]["uid"], self.clock.elapsed())
            if age < self.bind_delay:
                self.enqueue_after(key, self.bind_delay - age)
                return
            self._bind(pvc, pv)
            return
        class_name = pvc["spec"].get("storageClassName") or ""
        if not class_name:
            self._report_once(
                pvc,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        elif sc is None:
            self.recorder.record(
                pvc, "Warning", "ProvisioningFailed", f'storageclass.storage.k8s.io "{class_name}" not found', COMPONENT
            )
            self.enqueue_after(key, self.retry_delay)
        elif sc.failure:
            self.recorder.record(
                pvc,
                "Warning",
                "ProvisioningFailed",
                f'failed to provision volume with StorageClass "{sc.name}": {sc.failure}',
                COMPONENT,
            )
            self.enqueue_after(key, self.retry_delay)
        elif not sc.dynamic or sc.provisioner.startswith("kubernetes.io/"):
            self.recorder.record(
                pvc, "Warning", "ProvisioningFailed", f"no volume plugin matched name: {sc.provisioner}", COMPONENT
            )
            self.enqueue_after(key, self.retry_delay)
        elif sc.provisioner != HOSTPATH_PROVISIONER:
            # An external provisioner: the controller only announces it; none runs in the demo.
            self._report_once(
                pvc,
                "Normal",
                "ExternalProvisioning",
                f'waiting for a volume to be created, either by external provisioner "{sc.provisioner}" '
                "or manually created by system administrator",
            )
        else:
            self._report_once(
                pvc,
                "Normal",
                "ExternalProvisioning",
                f'waiting for a volume to be created, either by external provisioner "{sc.provisioner}" '
                "or manually created by system administrator",
            )
            if pvc["metadata"]["uid"] not in self._provisioning:
                self._provisioning.add(pvc["metadata"]["uid"])
                self.clock.call_later(sc.provision_delay, self._provision, namespace, name, sc)

    def _report_once(self, pvc: dict, type_: str, reason: str, message: str) -> None:
        marker = (pvc["metadata"]["uid"], reason)
        if marker not in self._reported:
            self._reported.add(marker)
            self.recorder.record(pvc, type_, reason, message, COMPONENT)

    def _find_volume(self, pvc: dict) -> dict | None:
        wanted = quantity(((pvc["spec"].get("resources") or {}).get("requests") or {}).get("storage"))
        modes = set(pvc["spec"].get("accessModes") or [])
        cls = pvc["spec"].get("storageClassName") or ""
        candidates = []
        for pv in self.store.items(PVS):
            spec = pv["spec"]
            ref = spec.get("claimRef")
            if ref and not (
                ref.get("namespace") == pvc["metadata"]["namespace"] and ref.get("name") == pvc["metadata"]["name"]
            ):
                continue
            if ref and ref.get("uid") and ref["uid"] != pvc["metadata"]["uid"]:
                # Bound once to a claim of the same name that is gone (Released, Retain): the old claim's data,
                # never handed to a new claim (upstream's binder checks the claimRef's UID; an admin frees it).
                continue
            if pv["status"].get("phase") not in ("Available", "Pending") and not ref:
                continue
            if (spec.get("storageClassName") or "") != cls or not modes <= set(spec.get("accessModes") or []):
                continue
            size = quantity((spec.get("capacity") or {}).get("storage"))
            if size >= wanted:
                candidates.append((0 if ref else 1, size, pv["metadata"]["name"], pv))
        return min(candidates, key=lambda c: c[:3])[3] if candidates else None

    def _provision(self, namespace: str, name: str, sc: StorageClass) -> None:
        pvc = self.store.view(PVCS, namespace, name)
        if pvc is not None:
            self._provisioning.discard(pvc["metadata"]["uid"])
        if pvc is None or pvc["spec"].get("volumeName") or pvc["metadata"].get("deletionTimestamp"):
            return
        volume_name = f"pvc-{pvc['metadata']['uid']}"
        pv = {
            "metadata": {"name": volume_name, "annotations": {"pv.kubernetes.io/provisioned-by": sc.provisioner}},
            "spec": {
                "capacity": {"storage": pvc["spec"]["resources"]["requests"]["storage"]},
                "accessModes": list(pvc["spec"].get("accessModes") or []),
                "persistentVolumeReclaimPolicy": sc.reclaim_policy,
                "storageClassName": sc.name,
                "hostPath": {"path": f"/var/lib/sim-volumes/{volume_name}", "type": ""},
                "claimRef": self._claim_ref(pvc),
            },
        }
        try:
            self.registry.create(PVS, pv)
        except StatusError:
            return
        self.recorder.record(
            pvc,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {volume_name} using {sc.provisioner}",
            COMPONENT,
        )

    @staticmethod
    def _claim_ref(pvc: dict) -> dict:
        meta = pvc["metadata"]
        return {
            "kind": "PersistentVolumeClaim",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
            "resourceVersion": meta["resourceVersion"],
        }

    def _bind(self, pvc: dict, pv: dict) -> None:
        bound_pv = deep_copy(pv)
        bound_pv["spec"]["claimRef"] = self._claim_ref(pvc)
        bound_pv["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bound-by-controller"] = "yes"
        # A copy: a write returns the stored object, and changing that in place would change what the
        # watch already sent, and make the status write below a no-op that no watch ever sees.
        bound_pv = deep_copy(self.registry.update(PVS, bound_pv, "", pv["metadata"]["name"]))
        bound_pv["status"]["phase"] = "Bound"
        bound_pv = self.registry.update_status(PVS, bound_pv)
        claim = deep_copy(pvc)
        claim["spec"]["volumeName"] = pv["metadata"]["name"]
        annotations = claim["metadata"].setdefault("annotations", {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        claim = self.registry.update(PVCS, claim, pvc["metadata"]["namespace"], pvc["metadata"]["name"])
        self._finish_claim(claim, bound_pv)

    def _finish_claim(self, pvc: dict, pv: dict) -> None:
        claim = deep_copy(pvc)
        claim["status"] = {
            "phase": "Bound",
            "accessModes": list(pv["spec"].get("accessModes") or []),
            "capacity": dict(pv["spec"].get("capacity") or {}),
        }
        self.registry.update_status(PVCS, claim)

    def _release_protection(self, pvc: dict) -> None:
        finalizers = pvc["metadata"].get("finalizers") or []
        if PROTECTION_FINALIZER not in finalizers:
            return
        name, namespace = pvc["metadata"]["name"], pvc["metadata"]["namespace"]
        for pod in self.store.items(PODS, namespace):
            if any(
                (v.get("persistentVolumeClaim") or {}).get("claimName") == name
                for v in pod["spec"].get("volumes") or []
            ):
                return  # still in use
        released = deep_copy(pvc)
        released["metadata"]["finalizers"] = [f for f in finalizers if f != PROTECTION_FINALIZER]
        self.registry.update(PVCS, released, namespace, name)

    # volumes -------------------------------------------------------------------------------------

    def _sync_volume(self, name: str) -> None:
        pv = self.store.view(PVS, "", name)
        if pv is None:
            return
        ref = pv["spec"].get("claimRef")
        phase = pv["status"].get("phase")
        if not ref:
            if phase != "Available":
                available = deep_copy(pv)
                available["status"]["phase"] = "Available"
                self.registry.update_status(PVS, available)
            return
        claim = self.store.view(PVCS, ref.get("namespace", ""), ref.get("name", ""))
        if claim is not None and claim["metadata"]["uid"] == ref.get("uid"):
            if claim["status"].get("phase") != "Bound" and not claim["spec"].get("volumeName"):
                self.enqueue(("pvc", claim["metadata"]["namespace"], claim["metadata"]["name"]))
            return
        if phase == "Bound" or (phase in ("Pending", "Available") and ref.get("uid")):
            if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                self.registry.delete(PVS, "", name)
                return
            released = deep_copy(pv)
            released["status"]["phase"] = "Released"
            self.registry.update_status(PVS, released)
