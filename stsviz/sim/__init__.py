"""The embedded demo cluster: a Kubernetes-compatible API on 127.0.0.1 with
StatefulSet, scheduler, kubelet and volume controllers that behave like a
real 1.20 control plane, plus fault injection and demo scenarios.

Public entry points:

- `SimCluster` (async context manager): the cluster in-process on an
  ephemeral port; `.url`, `.tokens`, `.faults`, `.write_kubeconfig(path)`.
- `start_demo(scenario, speed)`: a cluster running one of `SCENARIOS`.
- `serve(port, kubeconfig_out, scenario, speed)`: run until cancelled (for
  `stsviz sim`).
- `DemoProcess(scenario, speed)`: a demo in a child process (`python -m
  stsviz.sim`), gone when its parent stops it or ends; what `stsviz demo` runs,
  so the cluster never competes with the screen for the interpreter.
- `BackgroundDemo(scenario, speed)`: a demo on its own thread and event loop
  in this process, for tests that want the cluster at hand.
- `write_kubeconfig(path, url, tokens)`.

Nothing here imports the UI.
"""

from .background import BackgroundDemo
from .cluster import ClusterConfig, SimCluster
from .controllers.kubelet import ImageBehaviours, KubeletTimings
from .controllers.volumes import StorageClass
from .faults import Faults
from .kubeconfig import write_kubeconfig
from .process import DemoProcess
from .scenarios import SCENARIOS, Demo, serve, start_demo

__all__ = [
    "SCENARIOS",
    "BackgroundDemo",
    "ClusterConfig",
    "Demo",
    "DemoProcess",
    "Faults",
    "ImageBehaviours",
    "KubeletTimings",
    "SimCluster",
    "StorageClass",
    "serve",
    "start_demo",
    "write_kubeconfig",
]
