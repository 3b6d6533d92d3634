"""Live mode's source: list+watch of StatefulSets, pods, claims, Events,
ControllerRevisions and PersistentVolumes from a real cluster.

No Textual here. `config.resolve_target` finds the kubeconfig and context (or
in-cluster config), `source.LiveSource` runs one `informer.Informer` per kind
and reports their freshness (`freshness.SourceStatus`), `wire` speaks HTTP and
reads the streams raw, `scrub` keeps credentials out of what is printed.
Import the modules themselves: kubernetes_asyncio takes half a second to
import, and replay, which shares the screen with live mode, never needs it.
"""
