"""A fake kubelet for every fake node: walks bound pods through their life.

Bound → ContainerCreating → Running → Ready, with delays in cluster seconds.
An image whose name contains one of the configured words fails the way a real
one does: `crash` images run briefly then sit in CrashLoopBackOff with a
doubling back-off and a growing restart count; `pull` failures alternate
ErrImagePull and ImagePullBackOff; `never ready` images run but never pass
readiness. A pod with a deletionTimestamp has its containers stopped and its
deletion confirmed (grace period 0), as the kubelet does. Status shapes and
Event wording are the real kubelet's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..errors import StatusError
from ..registry import Registry
from ..resources import CONFIGMAPS, PODS, SECRETS
from ..store import Write, deep_copy
from .events import EventRecorder

COMPONENT = "kubelet"


@dataclass(frozen=True)
class KubeletTimings:
    """Cluster seconds; the defaults are the recordings' fake kubelet's."""

    creating: float = 0.2  # bound → ContainerCreating
    running: float = 1.0  # ContainerCreating → Running
    ready: float = 3.0  # Running → Ready
    crash_after: float = 2.0  # a crashing container runs this long
    pull_retry: float = 1.0  # ErrImagePull → ImagePullBackOff
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    delete: float = 1.0  # deletionTimestamp → confirmed (at most the grace period)
    config_retry: float = 2.0  # a missing ConfigMap or Secret is looked for again


@dataclass(frozen=True)
class ImageBehaviours:
    """Words in an image name that select a failure mode."""

    crash: tuple[str, ...] = ("bad", "crash")
    pull_failure: tuple[str, ...] = ("nopull", "doesnotexist")
    never_ready: tuple[str, ...] = ("unready", "neverready")

    def of(self, image: str) -> str:
        lowered = image.lower()
        for mode in ("pull_failure", "crash", "never_ready"):
            if any(word in lowered for word in getattr(self, mode)):
                return mode
        return "healthy"


@dataclass
class _Container:
    name: str
    image: str
    mode: str
    state: dict = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    restarts: int = 0
    backoff: float = 0.0
    instance: int = 0


@dataclass
class _PodWorker:
    uid: str
    namespace: str
    name: str
    node: str
    containers: list[_Container]
    handles: list[asyncio.TimerHandle] = field(default_factory=list)
    started: bool = False
    terminating: bool = False
    ip: str | None = None


class Kubelet:
    def __init__(
        self,
        registry: Registry,
        recorder: EventRecorder,
        nodes: dict[str, str],
        timings: KubeletTimings = KubeletTimings(),
        images: ImageBehaviours = ImageBehaviours(),
    ) -> None:
        """`nodes` maps node name → its InternalIP."""
        self.registry = registry
        self.store = registry.store
        self.clock = registry.clock
        self.recorder = recorder
        self.nodes = nodes
        self.timings = timings
        self.images = images
        self._workers: dict[str, _PodWorker] = {}
        self._ips: dict[str, int] = {}

    def start(self) -> None:
        self.store.add_listener(self.on_change)

    async def stop(self) -> None:
        self.store.remove_listener(self.on_change)
        for worker in self._workers.values():
            self._cancel(worker)

    # reacting ------------------------------------------------------------------------------

    def on_change(self, change: Write) -> None:
        if change.resource is not PODS:
            return
        pod = change.object
        uid = pod["metadata"]["uid"]
        worker = self._workers.get(uid)
        if change.type == "DELETED":
            if worker is not None:
                self._cancel(worker)
                del self._workers[uid]
            return
        node = pod["spec"].get("nodeName")
        if node not in self.nodes:
            return
        if worker is None:
            containers = [
                _Container(c["name"], c.get("image", ""), self.images.of(c.get("image", "")))
                for c in pod["spec"].get("containers") or []
            ]
            worker = self._workers[uid] = _PodWorker(
                uid, pod["metadata"]["namespace"], pod["metadata"]["name"], node, containers
            )
            self._after(worker, self.timings.creating, self._admit)
        if pod["metadata"].get("deletionTimestamp") and not worker.terminating:
            worker.terminating = True
            self._cancel(worker)
            grace = pod["metadata"].get("deletionGracePeriodSeconds", 0) or 0
            for container in worker.containers:
                if "running" in container.state:
                    self._event(worker, "Normal", "Killing", f"Stopping container {container.name}", container)
            self._after(worker, min(self.timings.delete, grace), self._confirm_deletion)

    def _after(self, worker: _PodWorker, delay: float, step, *args) -> None:
        def run() -> None:
            if self._workers.get(worker.uid) is worker:
                step(worker, *args)

        worker.handles.append(self.clock.call_later(delay, run))

    @staticmethod
    def _cancel(worker: _PodWorker) -> None:
        for handle in worker.handles:
            handle.cancel()
        worker.handles.clear()

    # lifecycle steps ------------------------------------------------------------------------

    def _admit(self, worker: _PodWorker) -> None:
        worker.started = True
        self._write(worker)
        for container in worker.containers:
            if container.mode == "pull_failure":
                self._after(worker, self.timings.running, self._pull_failed, container)
            else:
                self._after(worker, self.timings.running, self._start, container)

    def _config_error(self, worker: _PodWorker, container: _Container) -> str | None:
        """Why the container's environment cannot be built: a ConfigMap, Secret or key it names is missing."""
        pod = self.store.view(PODS, worker.namespace, worker.name)
        spec: dict = next(
            (c for c in (pod or {}).get("spec", {}).get("containers") or [] if c["name"] == container.name), {}
        )
        refs: list[tuple[str, dict, str | None]] = []
        for env in spec.get("envFrom") or []:
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if isinstance(env.get(key), dict):
                    refs.append((kind, env[key], None))
        for env in spec.get("env") or []:
            source = env.get("valueFrom") or {}
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if isinstance(source.get(key), dict):
                    refs.append((kind, source[key], str(source[key].get("key", ""))))
        for kind, ref, wanted in refs:
            if ref.get("optional"):
                continue
            res = CONFIGMAPS if kind == "ConfigMap" else SECRETS
            obj = self.store.view(res, worker.namespace, str(ref.get("name", "")))
            if obj is None:
                return f'{kind.lower()} "{ref.get("name", "")}" not found'
            if wanted is not None and wanted not in (obj.get("data") or {}) | (obj.get("binaryData") or {}):
                return f"couldn't find key {wanted} in {kind} {worker.namespace}/{ref.get('name', '')}"
        return None

    def _start(self, worker: _PodWorker, container: _Container) -> None:
        error = self._config_error(worker, container)
        if error is not None:
            # The kubelet's CreateContainerConfigError: it retries on each pod sync until the reference resolves.
            if container.state.get("waiting", {}).get("message") != error:
                self._event(worker, "Warning", "Failed", f"Error: {error}", container)
            container.state = {"waiting": {"reason": "CreateContainerConfigError", "message": error}}
            self._write(worker)
            self._after(worker, self.timings.config_retry, self._start, container)
            return
        if not container.restarts:
            self._event(
                worker, "Normal", "Pulled", f'Container image "{container.image}" already present on machine', container
            )
        self._event(worker, "Normal", "Created", f"Created container {container.name}", container)
        self._event(worker, "Normal", "Started", f"Started container {container.name}", container)
        container.state = {"running": {"startedAt": self.clock.timestamp()}}
        container.started = True
        if worker.ip is None:
            worker.ip = self._allocate_ip(worker.node)
        self._write(worker)
        if container.mode == "crash":
            self._after(worker, self.timings.crash_after, self._crash, container)
        elif container.mode == "healthy":
            self._after(worker, self.timings.ready, self._ready, container)

    def _ready(self, worker: _PodWorker, container: _Container) -> None:
        container.ready = True
        self._write(worker)

    def _crash(self, worker: _PodWorker, container: _Container) -> None:
        container.backoff = (
            min(container.backoff * 2, self.timings.backoff_max) if container.backoff else self.timings.backoff_initial
        )
        finished = self.clock.timestamp()
        container.last_state = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": container.state["running"]["startedAt"],
                "finishedAt": finished,
                "containerID": self._container_id(worker, container),
            }
        }
        container.restarts += 1
        container.instance += 1
        container.ready = container.started = False
        container.state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {int(container.backoff)}s restarting failed "
                f"container={container.name} pod={worker.name}_{worker.namespace}"
                f"({worker.uid})",
            }
        }
        self._write(worker)
        self._event(worker, "Warning", "BackOff", "Back-off restarting failed container", container)
        self._after(worker, container.backoff, self._start, container)

    def _pull_failed(self, worker: _PodWorker, container: _Container) -> None:
        error = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{container.image}": '
            f'failed to resolve reference "{container.image}": not found'
        )
        self._event(worker, "Normal", "Pulling", f'Pulling image "{container.image}"', container)
        self._event(worker, "Warning", "Failed", f'Failed to pull image "{container.image}": {error}', container)
        self._event(worker, "Warning", "Failed", "Error: ErrImagePull", container)
        container.state = {"waiting": {"reason": "ErrImagePull", "message": error}}
        self._write(worker)
        self._after(worker, self.timings.pull_retry, self._pull_backoff, container)

    def _pull_backoff(self, worker: _PodWorker, container: _Container) -> None:
        container.backoff = (
            min(container.backoff * 2, self.timings.backoff_max) if container.backoff else self.timings.backoff_initial
        )
        message = f'Back-off pulling image "{container.image}"'
        self._event(worker, "Normal", "BackOff", message, container)
        self._event(worker, "Warning", "Failed", "Error: ImagePullBackOff", container)
        container.state = {"waiting": {"reason": "ImagePullBackOff", "message": message}}
        self._write(worker)
        self._after(worker, container.backoff, self._pull_failed, container)

    def _confirm_deletion(self, worker: _PodWorker) -> None:
        now = self.clock.timestamp()
        for container in worker.containers:
            if "running" in container.state:
                container.state = {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": container.state["running"]["startedAt"],
                        "finishedAt": now,
                        "containerID": self._container_id(worker, container),
                    }
                }
            container.ready = container.started = False
        if worker.started:
            self._write(worker)
        try:
            self.registry.delete(
                PODS, worker.namespace, worker.name, {"gracePeriodSeconds": 0, "preconditions": {"uid": worker.uid}}
            )
        except StatusError:
            pass  # already gone, or replaced by a pod of the same name

    # status -------------------------------------------------------------------------------------

    def _allocate_ip(self, node: str) -> str:
        index = sorted(self.nodes).index(node) + 1
        self._ips[node] = self._ips.get(node, 1) + 1
        return f"10.244.{index}.{self._ips[node]}"

    @staticmethod
    def _container_id(worker: _PodWorker, container: _Container) -> str:
        return f"sim://{worker.uid}-{container.name}-{container.instance}"

    def _write(self, worker: _PodWorker) -> None:
        pod = self.store.view(PODS, worker.namespace, worker.name)
        if pod is None or pod["metadata"]["uid"] != worker.uid:
            return
        updated = deep_copy(pod)
        updated["status"] = self._status(worker, pod)
        try:
            self.registry.update_status(PODS, updated)
        except StatusError:
            pass

    def _status(self, worker: _PodWorker, pod: dict) -> dict:
        old = pod.get("status") or {}
        now = self.clock.timestamp()
        old_conditions = {c["type"]: c for c in old.get("conditions") or []}

        def condition(type_: str, ok: bool, reason: str | None = None, message: str | None = None) -> dict:
            status = "True" if ok else "False"
            previous = old_conditions.get(type_)
            since = previous["lastTransitionTime"] if previous and previous["status"] == status else now
            out = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
            if not ok and reason:
                out.update(reason=reason, message=message)
            return out

        unready = [c.name for c in worker.containers if not c.ready]
        all_ready = not unready and not worker.terminating
        message = f"containers with unready status: [{' '.join(unready)}]"
        conditions = [
            condition("Initialized", True),
            condition("Ready", all_ready, "ContainersNotReady", message),
            condition("ContainersReady", all_ready, "ContainersNotReady", message),
        ]
        if "PodScheduled" in old_conditions:
            conditions.append(old_conditions["PodScheduled"])
        any_started = any("running" in c.state or "terminated" in c.state or c.restarts for c in worker.containers)
        statuses = []
        for c in worker.containers:
            entry = {
                "name": c.name,
                "state": c.state,
                "lastState": c.last_state,
                "ready": c.ready,
                "restartCount": c.restarts,
                "image": c.image,
                "imageID": f"sim://{c.image}",
                "started": c.started,
            }
            if "waiting" not in c.state or c.restarts:
                entry["containerID"] = self._container_id(worker, c)
            statuses.append(entry)
        status = {
            "phase": "Running" if any_started else "Pending",
            "conditions": conditions,
            "hostIP": self.nodes[worker.node],
            "startTime": old.get("startTime") or now,
            "containerStatuses": statuses,
            "qosClass": old.get("qosClass", "BestEffort"),  # set at creation (defaults.qos_class)
        }
        if worker.ip:
            status["podIP"] = worker.ip
            status["podIPs"] = [{"ip": worker.ip}]
        return status

    def _event(self, worker: _PodWorker, type_: str, reason: str, message: str, container: _Container) -> None:
        pod = self.store.view(PODS, worker.namespace, worker.name)
        if pod is not None and pod["metadata"]["uid"] == worker.uid:
            self.recorder.record(
                pod,
                type_,
                reason,
                message,
                COMPONENT,
                host=worker.node,
                field_path=f"spec.containers{{{container.name}}}",
            )
