"""`SimCluster`: the whole demo cluster in-process, on an ephemeral port.

    async with SimCluster(speed=20) as cluster:
        cluster.url, cluster.tokens["admin"], cluster.tokens["viewer"]
        cluster.write_kubeconfig(path)
        cluster.faults.close_watches()

It wires the store, the API server and the controllers, creates the default
namespaces, the fake nodes, a storage class and static PersistentVolumes, as
../shared/realk8s's `up` does for the real control plane.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api.server import ApiServer
from .api.watch import WatchHub
from .auth import Authenticator
from .clock import SimClock
from .controllers.base import Controller
from .controllers.disruption import DisruptionController
from .controllers.event_ttl import EventReaper
from .controllers.events import EventRecorder
from .controllers.gc import GarbageCollector, NamespaceController
from .controllers.kubelet import ImageBehaviours, Kubelet, KubeletTimings
from .controllers.node_lifecycle import NodeLifecycleController
from .controllers.scheduler import Scheduler
from .controllers.statefulset import StatefulSetController
from .controllers.volumes import StorageClass, VolumeController
from .faults import Faults
from .kubeconfig import write_kubeconfig
from .registry import Registry
from .resources import BY_KIND, NAMESPACES, NODES, PVS, SERVICES, STORAGE_CLASSES, Resource
from .store import Store


@dataclass
class ClusterConfig:
    speed: float = 1.0
    nodes: int = 2
    strict_auth: bool = False
    host: str = "127.0.0.1"
    port: int = 0
    history_limit: int = 20_000
    bookmark_interval: float = 60.0
    persistent_volumes: int = 10
    persistent_volume_size: str = "1Gi"
    storage_classes: tuple[StorageClass, ...] = (
        StorageClass("fake-local"),
        # The default class, named as kind names its own.
        StorageClass("standard", provisioner="sim.stsviz.io/hostpath", default=True),
        StorageClass("late-binding", provisioner="sim.stsviz.io/hostpath", binding_mode="WaitForFirstConsumer"),
        StorageClass(
            "broken",
            provisioner="sim.stsviz.io/broken",
            failure="rpc error: code = ResourceExhausted desc = storage pool is full",
        ),
    )
    default_storage_class: str = "fake-local"
    kubelet: KubeletTimings = field(default_factory=KubeletTimings)
    images: ImageBehaviours = field(default_factory=ImageBehaviours)
    schedule_retry: float = 2.7
    bind_delay: float = 0.05
    tokens: dict[str, str] | None = None
    seed: int | None = None
    event_ttl: float = 3600.0  # cluster seconds an Event lives after its last write


class SimCluster:
    """A Kubernetes-compatible API with StatefulSet behaviour, in this process."""

    def __init__(self, config: ClusterConfig | None = None, **overrides: Any) -> None:
        self.config = config or ClusterConfig()
        for key, value in overrides.items():
            if not hasattr(self.config, key):
                raise TypeError(f"unknown SimCluster option {key!r}")
            setattr(self.config, key, value)
        cfg = self.config
        self.clock = SimClock(cfg.speed)
        self.store = Store(cfg.history_limit)
        self.registry = Registry(self.store, self.clock, cfg.seed)
        self.auth = Authenticator(cfg.tokens, strict=cfg.strict_auth)
        self.watches = WatchHub(self.store, self.clock, bookmark_interval=cfg.bookmark_interval)
        self.server = ApiServer(self.registry, self.auth, self.watches, cfg.host, cfg.port, info=self.info)
        self.recorder = EventRecorder(self.registry)
        self.node_ips = {f"sim-node-{i}": f"127.0.1.{i}" for i in range(1, cfg.nodes + 1)}
        # Each controller queues keys of its own shape; the cluster only starts and stops them.
        self.controllers: list[Controller[Any]] = [
            StatefulSetController(self.registry, self.recorder),
            Scheduler(self.registry, self.recorder, list(self.node_ips), cfg.schedule_retry),
            VolumeController(self.registry, self.recorder, bind_delay=cfg.bind_delay),
            GarbageCollector(self.registry),
            NamespaceController(self.registry),
            DisruptionController(self.registry, self.recorder),
            NodeLifecycleController(self.registry),
        ]
        self.kubelet = Kubelet(self.registry, self.recorder, self.node_ips, cfg.kubelet, cfg.images)
        self.event_reaper = EventReaper(self.store, self.clock, cfg.event_ttl)
        self._started = False

    # lifecycle ------------------------------------------------------------------------------

    async def start(self) -> SimCluster:
        self._bootstrap()
        for controller in self.controllers:
            controller.start()
        self.kubelet.start()
        self.event_reaper.start()
        await self.server.start()
        self._started = True
        return self

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.server.stop()
        await self.kubelet.stop()
        await self.event_reaper.stop()
        for controller in self.controllers:
            await controller.stop()
        self.clock.cancel_all()

    async def __aenter__(self) -> SimCluster:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _bootstrap(self) -> None:
        for name in ("default", "kube-node-lease", "kube-public", "kube-system"):
            self.registry.create(NAMESPACES, {"metadata": {"name": name}})
        for name, ip in self.node_ips.items():
            self.registry.create(NODES, self._node(name, ip))
        for sc in self.config.storage_classes:
            self.registry.create(STORAGE_CLASSES, sc.to_object())
        self.registry.create(SERVICES, self._kubernetes_service(), "default")
        for i in range(self.config.persistent_volumes):
            self.registry.create(
                PVS,
                {
                    "metadata": {"name": f"pv-{i}", "labels": {"sim.stsviz.io/static": "true"}},
                    "spec": {
                        "capacity": {"storage": self.config.persistent_volume_size},
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": self.config.default_storage_class,
                        "hostPath": {"path": f"/var/lib/sim-volumes/pv-{i}", "type": ""},
                    },
                },
            )

    @staticmethod
    def _kubernetes_service() -> dict:
        # Every cluster has it: the API server's own Service, first address of the range.
        return {
            "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {
                "clusterIP": "10.96.0.1",
                "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
            },
        }

    def _node(self, name: str, ip: str) -> dict:
        now = self.clock.timestamp()
        conditions = [
            {
                "type": t,
                "status": "False",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
                "reason": r,
                "message": m,
            }
            for t, r, m in (
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            )
        ]
        conditions.append(
            {
                "type": "Ready",
                "status": "True",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
            }
        )
        return {
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
            },
            "spec": {},
            "status": {
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "conditions": conditions,
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "nodeInfo": {
                    "kubeletVersion": "v1.20.2",
                    "osImage": "stsviz sim",
                    "kernelVersion": "sim",
                    "containerRuntimeVersion": "sim://1.0",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
            },
        }

    # facts ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tokens(self) -> dict[str, str]:
        return dict(self.auth.tokens)

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def info(self) -> dict:
        return {
            "url": self.url,
            "speed": self.clock.speed,
            "clusterTime": self.clock.micro_timestamp(),
            "resourceVersion": self.store.resource_version,
            "nodes": list(self.node_ips),
        }

    def write_kubeconfig(self, path: str | Path, user: str = "admin", namespace: str = "default") -> Path:
        return write_kubeconfig(path, self.url, self.tokens, user=user, namespace=namespace)

    # convenience for scenarios and tests --------------------------------------------------------

    def apply(self, *manifests: dict, namespace: str = "default") -> list[dict]:
        """Create objects from manifests (dicts), in-process, as `kubectl create` would."""
        created = []
        for doc in manifests:
            res = self.resource_of(doc)
            created.append(self.registry.create(res, doc, namespace if res.namespaced else None))
        return created

    @staticmethod
    def resource_of(doc: dict) -> Resource:
        res = BY_KIND.get(doc.get("kind", ""))
        if res is None:
            raise ValueError(f"the demo cluster does not serve kind {doc.get('kind')!r}")
        return res

    async def settle(self, cluster_seconds: float) -> None:
        """Let `cluster_seconds` of cluster time pass."""
        await asyncio.sleep(self.clock.real_seconds(cluster_seconds))
