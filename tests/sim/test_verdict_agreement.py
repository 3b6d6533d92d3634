"""Issue 3's acceptance criterion: kubectl's `rollout status` agrees with
stsviz's verdict at every step of every demo scenario.

Each scenario runs in-process, faster than real time. For each sampled set the
test repeats one bracket:

    kubectl get sts NAME -o json                      (before)
    kubectl rollout status sts/NAME --watch=false  }  concurrently
    LiveSource.snapshot() -> build_frame -> verdict }
    kubectl get sts NAME -o json                      (after; the next bracket's before)

and only when the set's resourceVersion is the same before and after (so all
three looked at one and the same object) it checks that kubectl's message,
`kubectl_status` of the object kubectl returned and the live verdict (real HTTP
through kubernetes_asyncio) say the same, and agree on done-ness. OnDelete sets,
which kubectl refuses, must make kubectl fail with its error while stsviz shows
its own OnDelete progress. Every scenario must show several distinct messages,
so the test cannot pass by looking at one steady state many times.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stsviz.model import StatefulSet, build_frame, kubectl_status
from stsviz.sim import SCENARIOS, start_demo
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.timing import Timing
from tests.locations import KUBECTL, needs_kubectl

DONE_PREFIXES = ("statefulset rolling update complete", "partitioned roll out complete")
ONDELETE_ERROR = "only available for RollingUpdate"
# `stsviz demo`'s default --stall-after, in cluster seconds (cli.py).
STALL_SECONDS = 60.0
# Real seconds a scenario may sample beyond its plan to show enough distinct messages.
GRACE = 15.0


@dataclass(frozen=True)
class Plan:
    speed: float  # slow enough that a set holds still for a bracket (~0.3 s real) between changes
    sets: tuple[tuple[str, str], ...]  # (namespace, name) sampled
    cluster_seconds: float  # sample at least this much cluster time: the scenario's first steps and a cycle
    min_distinct: int  # distinct messages the consistent brackets must show between them


PLANS = {
    # create 3 (~13 s), complete, then two image rolls of ~16 s each, 5 s apart
    "rolling-update": Plan(10, (("default", "web"),), 60, 4),
    # create 3, complete, then web-2 crash-loops on the new image and the rollout waits for it forever
    # (slower: only the first ~15 s show more than one message)
    "stuck-rollout": Plan(6, (("default", "web"),), 40, 3),
    # 2 -> 5 -> 1 -> 3, each step 5 s after the last completed
    "scale-up-down": Plan(10, (("default", "web"),), 60, 4),
    # create 4, then the partition walks 3 -> 0 with an 8 s soak per step
    "canary-partition": Plan(10, (("default", "web"),), 80, 5),
    # 5 together, an image roll, 8 together, back to 5
    "parallel": Plan(10, (("default", "cache"),), 60, 4),
    # db never gets volumes; cache binds late and comes up (slower: only its first ~10 s move)
    "pvc-pending": Plan(5, (("default", "db"), ("default", "cache")), 25, 3),
    # kubectl refuses OnDelete; stsviz counts updated pods as they are deleted by hand
    "ondelete": Plan(10, (("default", "web"),), 50, 4),
    # 300 sets x 10 pods: a handful of the sets the first update rounds touch (round n: index % 7 == n)
    "many": Plan(
        2.5, (("team-1", "svc-001"), ("team-2", "svc-002"), ("team-8", "svc-008"), ("team-5", "svc-015")), 55, 4
    ),
}


def test_every_scenario_has_a_plan():
    assert set(PLANS) == set(SCENARIOS)


@dataclass
class Tally:
    brackets: int = 0
    consistent: int = 0
    messages: Counter = field(default_factory=Counter)  # message -> consistent brackets that showed it

    def summary(self) -> str:
        shown = "; ".join(f"{count}x {message!r}" for message, count in self.messages.most_common())
        return f"{self.consistent}/{self.brackets} consistent brackets, messages: {shown}"


async def kubectl(kubeconfig: Path, cache: Path, *args: str, timeout: float = 20) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(kubeconfig),
        "--cache-dir",
        str(cache),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"kubectl {' '.join(args)} still running after {timeout}s") from None
    return process.returncode, out.decode(), err.decode()


class SetSampler:
    """Brackets of one StatefulSet: kubectl get, rollout status and the live verdict, kubectl get again."""

    def __init__(self, demo, kubeconfig: Path, cache: Path, namespace: str, name: str) -> None:
        self.demo, self.kubeconfig, self.cache = demo, kubeconfig, cache
        self.namespace, self.name = namespace, name
        self.target = resolve_target(str(kubeconfig))
        self.timing = Timing(wall=demo.cluster.clock.now)  # cluster time, as `stsviz demo` reads it
        self.tally = Tally()

    async def get(self) -> dict | None:
        code, out, err = await kubectl(
            self.kubeconfig, self.cache, "-n", self.namespace, "get", "sts", self.name, "-o", "json"
        )
        if code != 0:
            assert "NotFound" in err, f"kubectl get sts {self.name} failed: {err}"
            return None  # the scenario has not created it yet
        return json.loads(out)

    async def rollout_status(self) -> tuple[int, str, str]:
        return await kubectl(
            self.kubeconfig, self.cache, "-n", self.namespace, "rollout", "status", f"sts/{self.name}", "--watch=false"
        )

    async def live_row(self):
        # A LiveSource lists once: a second snapshot() on the same source folds only what changed.
        source = LiveSource(self.target, Scope(self.namespace), timing=self.timing)
        try:
            state, warnings = await source.snapshot()
        finally:
            await source.close()
        assert warnings == []
        frame = build_frame(state, now=self.demo.cluster.clock.now(), stall_seconds=STALL_SECONDS)
        return {row.key: row for row in frame.rows}.get((self.namespace, self.name))

    async def run(self, until) -> Tally:
        before = await self.get()
        while not until(self.tally):
            (code, out, err), row = await asyncio.gather(self.rollout_status(), self.live_row())
            after = await self.get()
            self.tally.brackets += 1
            if (
                before is not None
                and after is not None
                and before["metadata"]["resourceVersion"] == after["metadata"]["resourceVersion"]
            ):
                self.check(before, code, out, err, row)
            before = after
        return self.tally

    def check(self, obj: dict, code: int, out: str, err: str, row) -> None:
        where = f"{self.namespace}/{self.name} at resourceVersion {obj['metadata']['resourceVersion']}"
        sts = StatefulSet.from_dict(obj)
        ours = kubectl_status(sts)
        assert row is not None, f"{where}: kubectl sees the set, stsviz's live snapshot does not"
        verdict = row.verdict
        if sts.strategy == "RollingUpdate":
            assert code == 0, f"{where}: kubectl rollout status failed: {err}"
            theirs = out.strip()
            assert theirs == ours.message, f"{where}: kubectl says {theirs!r}, kubectl_status {ours.message!r}"
            if verdict.stalled:
                assert verdict.message.endswith(f"; {theirs}"), f"{where}: {verdict.message!r} vs {theirs!r}"
            else:
                assert verdict.message == theirs, f"{where}: live verdict {verdict.message!r}, kubectl {theirs!r}"
            done = theirs.startswith(DONE_PREFIXES)
            assert ours.done == done and verdict.done == done, (
                f"{where}: kubectl {'done' if done else 'not done'} ({theirs!r}), verdict {verdict}"
            )
            shown = theirs
        else:
            lines = err.strip().splitlines()
            assert code != 0 and ONDELETE_ERROR in err and out == "", (
                f"{where}: kubectl should refuse {sts.strategy}: exit {code}, {out!r} {err!r}"
            )
            assert lines[-1] == ours.message, f"{where}: kubectl says {lines[-1]!r}, kubectl_status {ours.message!r}"
            status = obj.get("status") or {}
            assert (
                verdict.message.startswith("OnDelete: ")
                and f"of {sts.replicas} pods at revision {status.get('updateRevision')}" in verdict.message
            ), f"{where}: stsviz should show OnDelete progress, not {verdict.message!r}"
            shown = verdict.message
        self.tally.consistent += 1
        self.tally.messages[shown] += 1


@needs_kubectl
@pytest.mark.parametrize("scenario", list(PLANS))
async def test_kubectl_rollout_status_agrees_with_the_verdict_at_every_step(scenario, tmp_path):
    plan = PLANS[scenario]
    async with start_demo(scenario, speed=plan.speed) as demo:
        kubeconfig = demo.cluster.write_kubeconfig(tmp_path / "kubeconfig")
        samplers = [SetSampler(demo, kubeconfig, tmp_path / "kubectl-cache", ns, name) for ns, name in plan.sets]
        started = time.monotonic()
        clock = demo.cluster.clock

        def distinct() -> int:
            return len({m for s in samplers for m in s.tally.messages})

        def enough(_: Tally) -> bool:
            if time.monotonic() - started > plan.cluster_seconds / plan.speed + GRACE:
                return True
            return clock.elapsed() >= plan.cluster_seconds and distinct() >= plan.min_distinct

        await asyncio.gather(*(sampler.run(enough) for sampler in samplers))
        elapsed = time.monotonic() - started

    report = "\n".join(f"  {s.namespace}/{s.name}: {s.tally.summary()}" for s in samplers)
    print(f"{scenario}: {elapsed:.1f}s, {clock.elapsed():.0f} cluster seconds\n{report}")
    assert distinct() >= plan.min_distinct, (
        f"{scenario}: only {distinct()} distinct messages in {elapsed:.0f}s (want {plan.min_distinct}):\n{report}"
    )
    for sampler in samplers:
        assert sampler.tally.consistent >= 3, f"{scenario}: too few consistent brackets:\n{report}"
