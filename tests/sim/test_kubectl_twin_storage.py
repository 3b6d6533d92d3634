"""A StatefulSet's claims through kubectl, on the demo and on the real 1.20 control plane: the same story.

What users try in a sandbox: "what happens to my data if I delete the claim?"
On a real cluster the claim waits (pvc-protection) while its pod runs; once
the pod is deleted the set refuses to start a new one on a claim that is
going (FailedCreate, "pvc ... is being deleted"), the old claim goes, and a
new claim binds another volume: the data is gone. The demo started the new
pod on the Terminating claim, which then stayed Terminating for good.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl
from tests.sim.test_kubectl_twin import twins
from tests.sim.test_kubectl_twin_drain import _apply, _ok

pytestmark = needs_kubectl

ONE = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: one}
spec:
  serviceName: one
  replicas: 1
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: one}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: nginx:1.25, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], storageClassName: fake-local, resources: {requests: {storage: 1Gi}}}
"""


async def test_a_claim_deleted_under_its_pod_is_replaced_not_reused_as_on_a_real_server(
    cluster, tmp_path, realk8s_kubeconfig
):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        kubeconfigs = (demo, real)
        await asyncio.gather(*(_apply(k, namespace, ONE) for k in kubeconfigs))
        await asyncio.gather(
            *(
                _ok(k, "-n", namespace, "rollout", "status", "sts/one", "--timeout=90s", timeout=100)
                for k in kubeconfigs
            )
        )

        async def claim(k: Path) -> tuple[str, str]:
            columns = "jsonpath={.metadata.uid} {.status.phase}"
            code, out, _ = await kubectl(k, "-n", namespace, "get", "pvc", "data-one-0", "-o", columns)
            uid, _, phase = out.partition(" ")
            return (uid, phase) if code == 0 else ("", "")

        first = {k: (await claim(k))[0] for k in kubeconfigs}
        for k in kubeconfigs:
            await _ok(k, "-n", namespace, "delete", "pvc", "data-one-0", "--wait=false")
        # Kept while its pod runs, on both.
        for k in kubeconfigs:
            shown = await _ok(k, "-n", namespace, "get", "pvc", "data-one-0", "--no-headers")
            assert shown.split()[1] == "Terminating", shown
        for k in kubeconfigs:
            await _ok(k, "-n", namespace, "delete", "pod", "one-0", "--wait=false")

        async def story(k: Path) -> tuple[bool, bool, bool]:
            uid, phase = await claim(k)
            pod = await _ok(k, "-n", namespace, "get", "pods", "--no-headers")
            events = await _ok(
                k,
                "-n",
                namespace,
                "get",
                "events",
                "--field-selector",
                "reason=FailedCreate",
                "-o",
                "jsonpath={range .items[*]}{.message}{'\\n'}{end}",
            )
            refused = "create Pod one-0 in StatefulSet one failed error: pvc data-one-0 is being deleted" in events
            return refused, uid not in ("", first[k]) and phase == "Bound", "1/1" in pod and "Running" in pod

        for _ in range(300):
            ours, theirs = await asyncio.gather(*(story(k) for k in kubeconfigs))
            if ours == theirs == (True, True, True):
                break
            await asyncio.sleep(0.2)
    assert ours == theirs == (True, True, True), f"demo (refused, new claim bound, running): {ours}\nreal: {theirs}"
