"""The keys that change the cluster: scale, delete a pod, move the partition, restart, undo.

k9s's keys where k9s has one (`s`, `ctrl+d`, `r`), `+`/`-` to scale by one,
`p` to set the partition and `>`/`<` to move it ("promote the next ordinal",
"hold one more back"), `u` to roll back to the revision selected in the
revisions panel (elsewhere: the previous one, as `kubectl rollout undo`).
Every one builds an action from what the screen shows, asks in a dialog,
and hands it to the gate (stsviz.actions.gate), which may refuse; nothing
here sends a change (the RBAC review, which changes nothing, is asked
through `actions.rbac.ask_review`). The effect is shown when the watch reports it, never
painted ahead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding

from stsviz.actions.gate import Failed, Gate, Refused
from stsviz.actions.rbac import Review, ask_review, parse_review
from stsviz.actions.verbs import (
    GRACE_DEFAULT,
    GRACE_FORCE,
    GRACE_NOW,
    Action,
    DeletePod,
    Restart,
    Scale,
    SetPartition,
    Target,
    Undo,
)
from stsviz.model.cells import UPDATED
from stsviz.model.frame import SetRow
from stsviz.model.revisions import DiffEntry, RevisionView, ordinal_ranges, previous_revision, template_diff
from stsviz.sources.live.wire import ApiError, Unreachable
from stsviz.ui.dialogs import ConfirmDialog, NumberDialog
from stsviz.ui.header import RBAC_READ_ONLY, READ_ONLY

if TYPE_CHECKING:
    from stsviz.ui.screen import RolloutScreen

# The actions that change the cluster: help marks them, tests walk them all.
MUTATING_ACTIONS = frozenset({"scale", "scale_by", "delete_pod", "restart", "set_partition", "move_partition", "undo"})
MAX_REPLICAS = 2**31 - 1  # spec.replicas is an int32: the server refuses more
DIFF_SHOWN = 8  # template lines the undo dialog lists at most; the rest are counted
DELETE_CHOICES = ("Delete", "Delete now", "Force delete")
log = logging.getLogger("stsviz.ui")

REVIEW_EVERY = 60.0  # seconds a namespace's rules are trusted before they are asked for again
# Seconds before a review that decided nothing (it failed, or the server's authorizer could not list every
# rule, as just after an apiserver restart) is asked for again, doubled at each such answer up to REVIEW_EVERY:
# soon enough that the keys are dimmed once the server can say, sparing a server that never can.
REVIEW_RETRY = 5.0
# Seconds a complete review is still trusted while the reviews after it decide nothing (a server restarting):
# RBAC seldom changes, and the keys should not undim and dim again with each failed review.
REVIEW_KEPT = 300.0
ON_DELETE = "OnDelete"

BINDINGS = [
    # In the footer in this order, as far as it has room (KeysFooter): the commonest change first.
    Binding("s", "scale", "Scale", id="action.scale", tooltip="Scale the selected set (asks for the replicas)"),
    Binding("plus", "scale_by(1)", "+1", id="action.scale_up", key_display="+", show=False, tooltip="Scale up by one"),
    Binding(
        "minus", "scale_by(-1)", "-1", id="action.scale_down", key_display="-", show=False, tooltip="Scale down by one"
    ),
    Binding("ctrl+d", "delete_pod", "Delete", id="action.delete_pod", tooltip="Delete the selected pod"),
    Binding(
        "r", "restart", "Restart", id="action.restart", tooltip="Rollout restart: roll the pods the partition lets roll"
    ),
    Binding(
        "greater_than_sign",
        "move_partition(-1)",
        "Promote",
        id="action.promote",
        key_display=">",
        tooltip="Partition down by one: the next ordinal gets the update revision",
    ),
    Binding(
        "u",
        "undo",
        "Undo",
        id="action.undo",
        tooltip="Roll back to the revision selected in H (elsewhere: the previous one), as kubectl rollout undo",
    ),
    Binding(
        "less_than_sign",
        "move_partition(1)",
        "Hold back",
        id="action.hold_back",
        key_display="<",
        tooltip="Partition up by one: hold one more ordinal on the old revision",
    ),
    Binding("p", "set_partition", "Partition", id="action.partition", tooltip="Set the partition (asks for it)"),
]


def _one_at_a_time(flow: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """One change at a time: a key pressed while another change is asked for or sent is refused, said.

    (An exclusive worker would cancel the change in flight instead: a confirmed
    scale abandoned, its outcome never told.)
    """

    @functools.wraps(flow)
    async def guarded(self: ActionKeys, *args: Any) -> None:
        if self._busy is not None:
            _screen(self).notify(f"{self._busy}; wait for its outcome", severity="warning", markup=False)
            return
        self._busy = "another change is being asked for"
        try:
            await flow(self, *args)
        finally:
            self._busy = None

    return guarded


def _screen(self: Any) -> RolloutScreen:
    """The mixin is only ever a RolloutScreen."""
    screen: RolloutScreen = self
    return screen


class ActionKeys:
    """Mixed into RolloutScreen: the mutating keys and their dialogs."""

    # (context, namespace) -> (its SelfSubjectRulesReview, when to ask for it again, when it was had, on the
    # source's clock): after `:ctx` the rules are another user's, asked for again.
    _reviews: dict[tuple[str | None, str], tuple[Review, float, float]]
    _reviewing: set[tuple[str | None, str]]
    _review_misses: dict[tuple[str | None, str], int]  # reviews in a row that decided nothing
    _busy: str | None = None  # the change being asked for or sent, if any
    _sending = False  # a confirmed change is on its way to the server
    _quit_asked = False  # `q` was pressed once while it was

    # -- what RBAC allows (keys the user may not use are dimmed) --------------------------------

    def rbac_denial(self, action: str) -> str | None:
        """Why RBAC will refuse `action` on the selected set, or None (allowed, or not known yet)."""
        screen = _screen(self)
        row = screen.grid.selected_row
        if screen.live is None or row is None or action not in MUTATING_ACTIONS:
            return None
        known = self._reviews.get((screen.live.source.target.context, row.set.namespace))
        return known[0].denial(action) if known else None

    def show_rbac_read_only(self) -> None:
        """End the title with "(read-only: RBAC)" while the selected set's namespace allows none of the changes
        (a viewer): the keys are dimmed, and the header says why. A read-only mode or context says so itself."""
        screen = _screen(self)
        title = screen.app.title.removesuffix(RBAC_READ_ONLY)
        if not title.endswith(READ_ONLY) and all(self.rbac_denial(action) for action in MUTATING_ACTIONS):
            title += RBAC_READ_ONLY
        if title != screen.app.title:
            screen.app.title = title

    def want_review(self) -> None:
        """Ask for the selected set's namespace's rules if they are not known or are old."""
        screen = _screen(self)
        live, row = screen.live, screen.grid.selected_row
        if live is None or row is None or self.gate().refusal() is not None or live.source.connection is None:
            return
        key = (live.source.target.context, row.set.namespace)
        known = self._reviews.get(key)
        if key in self._reviewing or (known and live.source.timing.clock() < known[1]):
            return
        self._reviewing.add(key)
        self._review(key)

    @work(group="rbac", exit_on_error=False)
    async def _review(self, key: tuple[str | None, str]) -> None:
        screen = _screen(self)
        live = screen.live
        namespace = key[1]
        try:
            if live is None or live.source.connection is None:
                return
            asked = live.source.timing.clock()
            try:
                review = await ask_review(live.source.connection.api, namespace)
                why = "the server's authorizer could not list every rule"  # if incomplete
            except (ApiError, Unreachable) as error:
                review = parse_review(namespace, None)  # decides nothing: the change is tried, a 403 shown
                why = f"it failed: {error}"
            had = asked
            if review.complete:
                self._review_misses.pop(key, None)
                again = REVIEW_EVERY
            else:  # asked again soon, not trusted for a minute: the keys stay undimmed till then
                misses = self._review_misses[key] = self._review_misses.get(key, 0) + 1
                again = min(REVIEW_RETRY * 2 ** (misses - 1), REVIEW_EVERY)
                log.info("rules review in %s decided nothing, asked again in %gs: %s", namespace, again, why)
                known = self._reviews.get(key)
                if known and known[0].complete and asked - known[2] < REVIEW_KEPT:
                    review, had = known[0], known[2]  # the last complete one still says what RBAC allows
            self._reviews[key] = (review, asked + again, had)
            screen.refresh_bindings()  # dim or undim the keys
            self.show_rbac_read_only()
        finally:
            self._reviewing.discard(key)

    def gate(self) -> Gate:
        """The gate for a change asked now: live or replay, --read-only, the context's settings."""
        screen = _screen(self)
        live = screen.live
        setup = screen.setup
        if live is None:
            return Gate(api=None, context=lambda: None, settings=setup.settings)

        # The source the change was asked of: a `:ns` or `:ctx` while a flow waits (for the autoscalers,
        # for the confirm) must not send it to another namespace's or cluster's connection.
        source = live.source

        def api() -> Any:
            if live.source is not source:
                raise Refused("the view moved to another namespace or context since this was asked")
            if source.connection is None:
                raise Refused("not connected to the cluster yet")
            return source.connection.api

        return Gate(
            api=api,
            context=lambda: source.target.context,
            kubeconfig=source.target.kubectl_kubeconfig,
            read_only=setup.read_only,
            settings=setup.settings,
            outcomes=list(setup.action_listeners),
        )

    # -- the keys -------------------------------------------------------------------------

    def action_scale(self) -> None:
        self._scale(None)

    def action_scale_by(self, delta: int) -> None:
        self._scale(delta)

    def action_delete_pod(self) -> None:
        self._delete_pod()

    def action_restart(self) -> None:
        self._restart()

    def action_set_partition(self) -> None:
        self._partition(None)

    def action_move_partition(self, delta: int) -> None:
        self._partition(delta)

    def action_undo(self) -> None:
        self._undo()

    # -- the flows (workers: dialogs are awaited) ----------------------------------------------

    @work(group="action", exit_on_error=False)
    @_one_at_a_time
    async def _scale(self, delta: int | None) -> None:
        screen = _screen(self)
        gate, row = self._start()
        if gate is None or row is None:
            return
        seen = row.set.replicas
        if delta is None:
            dialog = NumberDialog(f"Scale {row.set.name} to", seen, maximum=MAX_REPLICAS)
            wanted = await screen.app.push_screen_wait(dialog)
            if wanted is None or _moved_meanwhile(screen, row, "replicas", seen, lambda now: now.set.replicas):
                return
            if wanted == seen:
                screen.notify(f"{row.set.name} has {seen} replicas already: nothing to do", markup=False)
                return
        else:
            wanted = max(0, seen + delta)
            if wanted == seen:  # `-` at 0: nothing to ask
                screen.notify(f"{row.set.name} is at 0 replicas already", markup=False)
                return
        warnings = await self._autoscaler_warning(row)
        action = Scale(_target(gate, row), warnings=warnings, seen=seen, replicas=wanted)
        await self._confirm_and_run(gate, action, row)

    @work(group="action", exit_on_error=False)
    @_one_at_a_time
    async def _delete_pod(self) -> None:
        screen = _screen(self)
        gate, row = self._start()
        if gate is None or row is None:
            return
        cell = screen.grid.selected_cell
        if cell is None or cell.pod is None:
            ordinal = f" {cell.ordinal}" if cell is not None else ""
            screen.notify(f"no pod at ordinal{ordinal} of {row.set.name} to delete", markup=False)
            return
        pod = cell.pod
        target = Target(gate.context(), pod.namespace, pod.name, gate.kubeconfig())
        others = ((DELETE_CHOICES[1], GRACE_NOW), (DELETE_CHOICES[2], GRACE_FORCE))
        alternatives = tuple(f"{label}: {DeletePod(target, grace=grace).kubectl()}" for label, grace in others)
        ask = DeletePod(target, uid=pod.uid, alternatives=alternatives)
        choice = await self._confirm(gate, ask, row, choices=DELETE_CHOICES, ordinal=cell.ordinal)
        if choice is None:
            return
        grace = {DELETE_CHOICES[0]: GRACE_DEFAULT, DELETE_CHOICES[1]: GRACE_NOW}.get(choice, GRACE_FORCE)
        warning = (
            "Force: the pod leaves the API at once while its node may still run it; two pods may then run "
            "with one identity and one volume. Only when the node is known to be gone.",
        )
        action = DeletePod(target, uid=pod.uid, grace=grace, warnings=warning if grace == GRACE_FORCE else ())
        if grace == GRACE_FORCE and not await self._confirm(gate, action, row, ordinal=cell.ordinal):
            return  # force asks twice
        await self._run(gate, action)

    @work(group="action", exit_on_error=False)
    @_one_at_a_time
    async def _restart(self) -> None:
        gate, row = self._start()
        if gate is None or row is None:
            return
        await self._confirm_and_run(gate, Restart(_target(gate, row), warnings=_restart_warnings(row)), row)

    @work(group="action", exit_on_error=False)
    @_one_at_a_time
    async def _partition(self, delta: int | None) -> None:
        screen = _screen(self)
        gate, row = self._start()
        if gate is None or row is None:
            return
        sts = row.set
        if sts.strategy != "RollingUpdate":
            text = f"{sts.name} uses {sts.strategy}: there is no partition; pods update when deleted"
            screen.notify(text, severity="warning", markup=False)
            return
        if sts.replicas == 0:
            screen.notify(f"{sts.name} has 0 replicas: no ordinal to promote or hold back", markup=False)
            return
        seen = sts.partition
        # A partition past the last ordinal holds every pod back, as one at `replicas` does: moves count
        # from there (`>` on partition 5 of 3 replicas promotes ordinal 2, not nothing).
        current = min(seen or 0, sts.replicas)
        if delta is None:
            counted = f" counted from ordinal {sts.ordinals_start}" if sts.ordinals_start else ""
            title = f"Partition of {sts.name}{counted} (ordinals below it keep their revision)"
            wanted = await screen.app.push_screen_wait(NumberDialog(title, current, maximum=sts.replicas))
            if wanted is None or _moved_meanwhile(screen, row, "partition", seen, lambda now: now.set.partition):
                return
            if wanted == (seen or 0):  # the set's own partition: one past the last ordinal counts from `current`
                screen.notify(f"the partition of {sts.name} is at {wanted} already: nothing to do", markup=False)
                return
        else:
            wanted = min(max(0, current + delta), sts.replicas)
            if wanted == current:
                edge = "0: every ordinal already updates" if delta < 0 else f"{seen}: no ordinal updates"
                screen.notify(f"the partition is at {edge}", markup=False)
                return
        action = SetPartition(
            _target(gate, row), seen=seen, partition=wanted, warnings=_held_back_warnings(row, wanted)
        )
        await self._confirm_and_run(gate, action, row)

    @work(group="action", exit_on_error=False)
    @_one_at_a_time
    async def _undo(self) -> None:
        screen = _screen(self)
        gate, row = self._start()
        if gate is None or row is None:
            return
        chosen = screen.revisions.selected if screen.revisions_open else previous_revision(row.revisions)
        if chosen is None:
            screen.notify(f"{row.set.name}: no last revision to roll back to", severity="warning", markup=False)
            return
        action = Undo(
            _target(gate, row), revision=chosen.revision, seen=chosen.name, **_undo_notes(screen, row, chosen)
        )
        await self._confirm_and_run(gate, action, row)

    # -- shared steps ------------------------------------------------------------------------------

    def _start(self) -> tuple[Gate | None, SetRow | None]:
        """The gate and the selected set, or (None, None) after saying why not."""
        screen = _screen(self)
        gate = self.gate()
        reason = gate.refusal()
        if reason is not None:
            screen.notify(reason, title="Nothing changed", severity="warning", markup=False)
            return None, None
        row = screen.grid.selected_row
        if row is None:
            screen.notify("no StatefulSet selected", markup=False)
            return None, None
        return gate, row

    async def _confirm(
        self,
        gate: Gate,
        action: Action,
        row: SetRow,
        *,
        choices: tuple[str, ...] = ("Confirm",),
        ordinal: int | None = None,
    ) -> str | None:
        screen = _screen(self)
        where = f"namespace {row.set.namespace}   statefulset {row.set.name}"
        if ordinal is not None:
            where += f"   ordinal {ordinal}"
        protected = gate.context_settings().protected
        dialog = ConfirmDialog(
            action,
            context=gate.context(),
            where=where,
            choices=choices,
            type_to_confirm=row.set.name if protected else None,
            stale=_stale_note(screen),
        )
        chosen = await screen.app.push_screen_wait(dialog)
        if chosen is None:  # Enter on Cancel closed it without a word: was anything sent?
            screen.notify(f"cancelled: {action.summary}; nothing was sent", markup=False)
        return chosen

    async def _confirm_and_run(self, gate: Gate, action: Action, row: SetRow) -> None:
        if await self._confirm(gate, action, row) is not None:
            await self._run(gate, action)

    async def _run(self, gate: Gate, action: Action) -> None:
        screen = _screen(self)
        self._busy = f"still sending: {action.summary}"
        self._sending = True
        try:
            done = await gate.run(action)
        except Refused as refused:
            screen.notify(str(refused), title="Nothing changed", severity="warning", markup=False)
        except Failed as failed:
            screen.notify(str(failed), title=action.summary, severity="error", timeout=20, markup=False)
        else:
            screen.notify(f"{done}; the cells follow as the watch reports it", title=action.kubectl(), markup=False)
        finally:
            self._sending = self._quit_asked = False

    def action_quit(self) -> None:
        """`q`: leave. While a change is being sent, say so once first: leaving cancels it unseen, and
        whether it reached the server would never be told. A second `q` leaves all the same."""
        screen = _screen(self)
        if self._sending and not self._quit_asked:
            self._quit_asked = True
            screen.notify(
                f"{self._busy}; q again leaves without waiting for its outcome", severity="warning", markup=False
            )
            return
        screen.app.exit()

    async def _autoscaler_warning(self, row: SetRow) -> tuple[str, ...]:
        live = _screen(self).live
        if live is None:
            return ()
        names = await live.source.autoscalers_of(row.set.namespace, row.set.name)
        if names is None:
            return ("Whether a HorizontalPodAutoscaler targets this set is not known: the server did not answer.",)
        if not names:
            return ()
        return (f"HorizontalPodAutoscaler {', '.join(names)} targets this set: it will change the replicas back.",)


def _undo_notes(screen: RolloutScreen, row: SetRow, chosen: RevisionView) -> dict[str, tuple[str, ...]]:
    """The undo dialog's diff (from the update revision, the template now, to the chosen one) and warnings."""
    revisions = screen.setup.source.state.revisions_of(row.set)
    update = next((view for view in row.revisions if view.update), None)
    warnings: list[str] = []
    diff: tuple[DiffEntry, ...]
    if update is None:
        warnings.append("The set's update revision is not known: the change cannot be shown.")
        diff = ()
    elif update.name == chosen.name:
        warnings.append(f"Revision {chosen.revision} is the update revision: kubectl skips the rollback.")
        diff = ()
    else:
        diff = template_diff(revisions.get(update.name), revisions.get(chosen.name))
    if row.set.strategy == ON_DELETE:
        warnings.append("OnDelete: no pod changes until you delete it.")
    elif (held := _partition_note(row, "rolls back", "roll back")) is not None:
        warnings.append(held)
    # What a rollback is usually about comes first (the list is by path): an image hidden under "+3 more"
    # behind seven env lines was the change that mattered.
    diff = tuple(sorted(diff, key=_weight))
    details = [f"{entry.path}: {entry.before or '(none)'} → {entry.after or '(none)'}" for entry in diff]
    # The dialog keeps its title, warnings and buttons in sight and scrolls the diff between them.
    if len(details) > DIFF_SHOWN:
        details[DIFF_SHOWN - 1 :] = [f"+{len(diff) - DIFF_SHOWN + 1} more fields (H shows them all)"]
    return {"warnings": tuple(warnings), "details": tuple(details)}


def _restart_warnings(row: SetRow) -> tuple[str, ...]:
    """What a restart will not roll: a restart is a new revision, rolled as any update is."""
    sts = row.set
    if sts.strategy == ON_DELETE:
        return ("OnDelete: no pod is replaced until you delete it; the new template waits for that.",)
    held = _partition_note(row, "restarts", "restart")
    return (held,) if held is not None else ()


def _held_back_warnings(row: SetRow, partition: int) -> tuple[str, ...]:
    """A partition raised over ordinals that already run the update revision does not take them back: the
    controller leaves every pod below the partition as it is. Said, with the way out, before `<` is confirmed."""
    start, before = row.set.ordinals_start, min(row.set.partition or 0, row.set.replicas)
    held = range(start + before, start + partition)  # the ordinals this move puts below the partition
    updated = [
        cell.ordinal
        for cell in row.cells
        if not cell.condemned and cell.pod is not None and cell.revision == UPDATED and cell.ordinal in held
    ]
    if not updated:
        return ()
    which = f"ordinal {updated[0]} runs" if len(updated) == 1 else f"ordinals {ordinal_ranges(updated)} run"
    return (
        f"{which.capitalize()} the update revision already: raising the partition does not roll "
        f"{'it' if len(updated) == 1 else 'them'} back. Delete {'it' if len(updated) == 1 else 'each'} (Ctrl+D) "
        "to have it made again at the current revision.",
    )


def _partition_note(row: SetRow, does: str, do: str) -> str | None:
    """What the partition holds back from a new template (a restart or a rollback rolls like any update)."""
    sts = row.set
    partition = sts.partition or 0
    if partition <= 0:
        return None
    if partition >= max(sts.replicas, 1):
        return f"Partition {partition}: no pod {does} until the partition is moved down (> or p)."
    # The controller counts the partition from the first ordinal (spec.ordinals.start). Below it each
    # ordinal keeps whatever it runs now, which need not be one old revision.
    start = sts.ordinals_start
    kept = (
        f"ordinal {start} keeps the revision it runs"
        if partition == 1
        else f"ordinals {start}-{start + partition - 1} keep the revisions they run"
    )
    return f"Partition {partition}: only ordinals {start + partition} and above {do}; {kept}."


def _weight(entry: DiffEntry) -> int:
    """Images first, then commands and resources, then the rest (a stable sort keeps each group by path)."""
    path = entry.path
    if path.endswith(".image"):
        return 0
    if any(part in path for part in (".command", ".args", ".resources")):
        return 1
    return 2


def _moved_meanwhile(
    screen: RolloutScreen, row: SetRow, what: str, seen: int | None, read: Callable[[SetRow], int | None]
) -> bool:
    """Whether the set's `what` changed (or the set went) while the number was typed: said, and nothing sent.
    The change would be checked against what was seen and refused; better said now than after a confirm."""
    now = screen.grid.row(row.key)
    if now is None:
        screen.notify(f"{row.set.name} is gone; nothing was sent", severity="warning", markup=False)
        return True
    if read(now) == seen:
        return False
    moved = f"its {what} went from {_shown(seen)} to {_shown(read(now))} while the dialog was open"
    screen.notify(f"{row.set.name}: {moved}; nothing was sent, ask again", severity="warning", markup=False)
    return True


def _shown(value: int | None) -> str:
    return "none" if value is None else str(value)


def _stale_note(screen: RolloutScreen) -> str | None:
    """What to know before acting on a stale picture (the change is still checked against what was seen)."""
    live = screen.live
    if live is None or not live.stale():
        return None
    rows = [kind for kind in live.freshness()[0].kinds if kind.resource in ("statefulsets", "pods")]
    since = min((kind.stale_since for kind in rows if kind.stale_since is not None), default=None)
    when = f" since {since.astimezone().strftime('%H:%M:%S')}" if since is not None else ""
    return f"The screen is stale{when}: the cluster may have changed since what it shows."


def _target(gate: Gate, row: SetRow) -> Target:
    return Target(gate.context(), row.set.namespace, row.set.name, gate.kubeconfig())
