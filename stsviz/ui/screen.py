"""The rollout screen: grid, detail pane, filter, replay bar, and their keys.

The screen owns the source and drives it from one timer (at most `fps`
redraws a second; the timer ends with the screen): each tick asks the source
to fold what is due, hands the new state down to the grid, lets the detail
pane follow the grid's selection, and shows the frame's time in the header.
Frame times never come from the wall clock: a replay Player runs on the clock
it was given, so tests decide what time it is. The screen reads the monotonic
clock only to let a key's frame go before the next tick (live, KEYS_FIRST).

Live, a worker owned by the screen follows the source and posts batches
(stsviz/ui/live.py); the header then says how fresh each kind is instead of
the frame time, and the replay keys are refused.
"""

from __future__ import annotations

import logging
import time
from functools import partial

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from stsviz.actions.verbs import Target
from stsviz.model.records import SetKey
from stsviz.model.times import rfc3339
from stsviz.settings import COLORS
from stsviz.sources.live.scrub import one_line
from stsviz.ui.action_keys import BINDINGS as ACTION_BINDINGS
from stsviz.ui.action_keys import MUTATING_ACTIONS, ActionKeys
from stsviz.ui.detail import PodDetail
from stsviz.ui.filter_bar import FilterBar
from stsviz.ui.footer import KeysFooter
from stsviz.ui.frame_source import AppSetup, LiveControls, ReplayControls, SeekRun
from stsviz.ui.freshness_bar import FreshnessBar
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.header import PART, StatusHeader
from stsviz.ui.help import HelpScreen
from stsviz.ui.live import LiveBatch
from stsviz.ui.load_bar import LoadBar
from stsviz.ui.replay_bar import ReplayStatus
from stsviz.ui.revisions import RevisionsPanel
from stsviz.ui.service_checks import ServiceChecks
from stsviz.ui.switcher import ALL_NAMESPACES, CommandPrompt, Picker, parse_command
from stsviz.ui.timeline import Timeline

# `]` and `[` walk this ladder; 1x is real time as recorded (the Player allows 0.25x to 64x).
# Live, keys before data: for this long after a key, at most this many ticks wait, so the key's frame
# is not drawn behind the fold and redraw of a busy cluster (measured on demo many: a tick is up to
# ~8 ms of folding plus the rows it changed). The data is a frame or two later; never frozen.
KEYS_FIRST = 0.05  # seconds
KEYS_FIRST_TICKS = 2
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
SAID_FOR = 4.0  # seconds a refused key's toast stays; the same refusal within them is not said again
JUMP_SECONDS = 10  # Shift+Left and Shift+Right, as a video player's ten-second skip

log = logging.getLogger("stsviz.ui")

# Workers whose failure is said and survived (the live source's is its own story), by what they do.
WORKER_GROUPS = {
    "action": "the change",
    "rbac": "the rules review",
    "service-check": "the Service check",
    "command": "the command",
}
# Actions that only make sense with a replay: refused (and hidden) otherwise.
REPLAY_ACTIONS = frozenset({"toggle_play", "step", "speed", "seek_start", "seek_end", "jump", "seek_fraction"})
# And with a live source: a recording has no other namespace or context to switch to.
LIVE_ACTIONS = frozenset({"command_line", "all_namespaces"})
DESCRIBE_TIP = "k9s's describe: the detail pane is stsviz's; says the kubectl describe command for the set"
YAML_TIP = "k9s's YAML: says the kubectl get -o yaml command for the set"


_WARNING_NOTE: dict = {"severity": "warning", "timeout": 10, "markup": False}


class RolloutScreen(ActionKeys, Screen[None]):
    """StatefulSet rollouts, live or replayed."""

    # Tests turn this off so a focused filter looks the same in every snapshot.
    CURSOR_BLINK = True
    # Narrow terminals stack the detail pane under the grid (see app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    # The footer shows the keys in this order, each whole, and leaves out those from the first that does
    # not fit (KeysFooter): help and quit first, so an 80-column terminal always shows how to learn the
    # rest (k9s's `<?> Help`); then the replay's transport or, live, `/`, `:` and the keys that change
    # the cluster; H and v last. `?` and Ctrl+P list every key.
    BINDINGS = [
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            key_display="?",
            tooltip="Keys, cell legend and verdict words",
        ),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave stsviz"),
        Binding(
            "space",
            "toggle_play",
            "Play/Pause",
            id="replay.toggle",
            key_display="space",
            tooltip="Play or pause the replay",
        ),
        Binding(
            "full_stop",
            "step(1)",
            "Step",
            id="replay.step_forward",
            key_display=".",
            tooltip="Fold the next event, then pause",
        ),
        # `,` and `[` are the footer's `.` and `]` backwards: in the help, not the footer (80 columns).
        Binding(
            "comma",
            "step(-1)",
            "Back",
            id="replay.step_back",
            key_display=",",
            show=False,
            tooltip="Go back one event, then pause",
        ),
        Binding(
            "right_square_bracket",
            "speed(1)",
            "Faster",
            id="replay.faster",
            key_display="]",
            tooltip="Double the replay speed",
        ),
        Binding(
            "left_square_bracket",
            "speed(-1)",
            "Slower",
            id="replay.slower",
            key_display="[",
            show=False,
            tooltip="Halve the replay speed",
        ),
        Binding("g", "seek_start", "Start", id="replay.start", tooltip="Jump to the first event"),
        Binding(
            "G",
            "seek_end",
            "End",
            id="replay.end",
            key_display="G",
            tooltip="Jump to the end of the recording",
        ),
        # As in a video player: Shift+arrows skip ten seconds (the arrows move over the grid; `<` `>`
        # are live's partition keys, so they mean nothing here), digits go a tenth of the way.
        Binding(
            "shift+left",
            f"jump(-{JUMP_SECONDS})",
            f"Back {JUMP_SECONDS}s",
            id="replay.jump_back",
            key_display="shift+←",
            show=False,
            tooltip=f"Back {JUMP_SECONDS} seconds of the recording",
        ),
        Binding(
            "shift+right",
            f"jump({JUMP_SECONDS})",
            f"Forward {JUMP_SECONDS}s",
            id="replay.jump_forward",
            key_display="shift+→",
            show=False,
            tooltip=f"Forward {JUMP_SECONDS} seconds of the recording",
        ),
        *(
            Binding(
                str(digit),
                f"seek_fraction({digit / 10})",
                f"Jump to {digit * 10}%",
                id=f"replay.tenth_{digit}",
                key_display=str(digit),
                show=False,
                tooltip="Jump to 0%, 10% ... 90% of the recording (or click on the timeline)",
            )
            for digit in range(10)
        ),
        Binding(
            "slash",
            "open_filter",
            "Filter",
            id="grid.filter",
            key_display="/",
            tooltip="Show only sets whose namespace/name contains some text",
        ),
        Binding(
            "escape", "clear_filter", "Clear filter", id="grid.clear_filter", show=False, tooltip="Show all sets again"
        ),
        Binding(
            "ctrl+z",
            "toggle_unhealthy",
            "Not done",
            id="grid.only_unhealthy",
            show=False,
            tooltip="Only the sets that are not done; again: all (k9s: toggle faults)",
        ),
        # k9s's sort keys: Shift+N name, Shift+S status (here: health), Shift+A age.
        Binding(
            "N",
            "sort('name')",
            "Sort by name",
            id="grid.sort_name",
            key_display="N",
            show=False,
            tooltip="Sort by namespace/name",
        ),
        Binding(
            "S",
            "sort('health')",
            "Sort by health",
            id="grid.sort_health",
            key_display="S",
            show=False,
            tooltip="Sort by health: stalled, failed, progressing, done",
        ),
        Binding(
            "A",
            "sort('age')",
            "Sort by age",
            id="grid.sort_age",
            key_display="A",
            show=False,
            tooltip="Sort by age: the newest set first",
        ),
        Binding(
            "colon",
            "command_line",
            "Command",
            id="live.command",
            key_display=":",
            tooltip="k9s's command line: ns NAME or ns all switches namespace, ctx NAME context, q quits",
        ),
        # k9s's `0`: every namespace (in replay, 0 is the recording's start; that binding comes first).
        Binding(
            "0",
            "all_namespaces",
            "All namespaces",
            id="live.all_namespaces",
            show=False,
            tooltip="Watch every namespace, as :ns all (k9s's 0)",
        ),
        # k9s's describe and YAML: not views of stsviz; they say the kubectl command for the selected set.
        Binding("d", "kubectl_for('describe')", "Describe", id="grid.describe", show=False, tooltip=DESCRIBE_TIP),
        Binding("y", "kubectl_for('yaml')", "YAML", id="grid.yaml", show=False, tooltip=YAML_TIP),
        *ACTION_BINDINGS,
        Binding(
            "H",
            "toggle_revisions",
            "History",
            id="view.revisions",
            key_display="H",
            tooltip="The selected set's revisions, who runs which, and the diff to the update revision (u: undo)",
        ),
        Binding(
            "v",
            "toggle_volumes",
            "Volumes",
            id="detail.volumes",
            tooltip="Follow the selected ordinal's claims until they bind (again: back to the pod)",
        ),
    ]

    def __init__(self, setup: AppSetup) -> None:
        super().__init__()
        self.setup = setup
        # Kept, not queried: the timer runs 30 times a second, and may fire once
        # more while the app shuts down and the widgets are already gone.
        self.grid = StatefulSetGrid(stall_seconds=setup.stall_seconds, id="grid")
        self.detail = PodDetail(id="detail")
        self.revisions = RevisionsPanel(id="revisions")
        self.filter_bar = FilterBar(id="filter")
        self.status = ReplayStatus(id="replay-status") if setup.replay is not None else None
        self.load_bar = LoadBar(id="load-bar") if setup.loading is not None else None
        self.timeline = Timeline(id="timeline") if setup.replay is not None else None
        self.warnings = list(setup.warnings)  # what loading skipped; a load still running adds its own at the end
        self.freshness = FreshnessBar(id="freshness") if setup.live is not None else None
        self._live_error: str | None = None
        self._filter_opening = False  # `/` pressed, the bar not focused yet
        self._reviews = {}
        self._busy = None
        self._reviewing = set()
        self._review_misses = {}
        self.services = ServiceChecks()  # what each shown set's serviceName names (live)
        self._filter_done_early = False  # and Enter too, before the bar opened
        self._key_at = -1.0  # when the last key came (time.monotonic), for KEYS_FIRST
        self._refusal_said: dict[tuple[str, str], float] = {}  # the key refusals toasted, and when
        self._ticks_waited = 0

    @property
    def replay(self) -> ReplayControls | None:
        return self.setup.replay

    @property
    def live(self) -> LiveControls | None:
        return self.setup.live

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        if self.freshness is not None:
            yield self.freshness
        with Horizontal(id="main"):
            yield self.grid
            yield self.detail
            yield self.revisions
        yield self.filter_bar
        if self.load_bar is not None:
            yield self.load_bar
        if self.timeline is not None:
            yield self.timeline
        if self.status is not None:
            yield self.status
        yield KeysFooter()

    def on_mount(self) -> None:
        self.filter_bar.cursor_blink = self.CURSOR_BLINK
        self.grid.focus()
        self.show_frame()
        self.set_interval(1 / self.setup.fps, self._tick)
        if self.live is not None:
            self._follow_live()
            self._paint_context()
        self._notify_warnings()
        if self.setup.loading is not None:
            self.call_after_refresh(self.setup.loading.resume)  # the first frame is drawn: load the rest

    def _notify_warnings(self) -> None:
        # One warning is said as it is (not every warning is input skipped: --at past the end is one).
        count = len(self.warnings)
        if count == 1:
            self.notify(self.warnings[0], title="While loading (? shows it again)", **_WARNING_NOTE)
        elif count > 1:
            self.notify(f"{count} warnings while loading; ? shows them", title="While loading", **_WARNING_NOTE)

    # -- live -----------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="live")
    async def _follow_live(self) -> None:
        assert self.live is not None
        await self.live.follow(self.post_message)

    @on(LiveBatch)
    def _live_batch(self, batch: LiveBatch) -> None:
        if self.live is not None:
            self.live.push(batch)  # folded on the next tick, at most `fps` times a second

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        # The one place worker failures are shown. The live source stopped for good; or a key's flow
        # (an action, a review, a Service check, the command line) met what it did not expect: said
        # in a scrubbed line, and the screen goes on. Textual would end the app and print a traceback,
        # whose locals can hold a request's headers.
        error = event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        group = event.worker.group
        if group in WORKER_GROUPS:
            what = WORKER_GROUPS[group]
            log.error("%s failed: %s: %s", what, type(error).__name__, one_line(error))
            self.notify(
                f"{type(error).__name__}: {one_line(error)}",
                title=f"{what} failed",
                severity="error",
                timeout=20,
                markup=False,
            )
            return
        if group == "live" and self.live:
            as_of = rfc3339(self.live.frame_time)
            self._live_error = f"{self.live.failure(error)}; data as of {as_of or '?'}"
            self.sub_title = self._frame_label()
            self._show_notice()
            self.notify(f"live updates stopped: {self._live_error}", severity="error", timeout=30, markup=False)

    # -- frames -------------------------------------------------------------------

    def _tick(self) -> None:
        if self.live is not None and self._key_first():
            return
        if self.load_bar is not None:
            self._follow_load()
        if self.setup.source.tick():
            self.show_frame()
        elif self.replay is not None and self.replay.playing:
            self._show_status()  # the offset moves on between events
        elif self.live is not None:
            self._show_live()  # countdowns move on; Textual repaints only a change

    def _key_first(self) -> bool:
        """Whether this tick waits for the key just pressed to be drawn first (live only)."""
        if self._ticks_waited < KEYS_FIRST_TICKS and time.monotonic() - self._key_at < KEYS_FIRST:
            self._ticks_waited += 1
            return True
        self._ticks_waited = 0
        return False

    def _follow_load(self) -> None:
        """A recording still loading: the bar moves on; when it ends the bar goes and its warnings show."""
        loading, bar = self.setup.loading, self.load_bar
        assert loading is not None and bar is not None
        if not loading.finished:
            bar.show(loading)
            self._show_status()  # the count of events loaded moves on
            return
        self.load_bar = None
        bar.remove()
        if loading.error is not None:
            self.app.exit(return_code=2)  # unusable after all: the command says why once the screen is gone
            return
        self.warnings += loading.warnings()
        self._notify_warnings()
        self._show_status()

    def show_frame(self) -> None:
        """Hand the source's current state down to every widget."""
        source = self.setup.source
        # Replay's verdicts stop their clock while the recorder's watch was broken, as live did then.
        self.grid.sync(source.state, self.replay.verdict_time() if self.replay is not None else source.frame_time)
        self._show_detail()
        self._show_status()
        if self.live is not None:
            self._show_live()
        else:
            if self.replay is not None:  # the recorder's broken watches: stale then, stale now
                broken = self.replay.broken_watches()
                self.grid.set_stale(any(resource in ("statefulsets", "pods") for resource in broken))
            self.sub_title = self._frame_label()  # the header shows the screen's sub-title
        self._show_notice_and_rbac()

    def _show_live(self) -> None:
        """Freshness line, header and dim rows: how current the live picture is."""
        live = self.live
        assert live is not None
        self.sub_title = self._frame_label()
        if self.freshness is not None:
            self.freshness.show(*live.freshness())
        self.grid.set_stale(live.stale() or self._live_error is not None)

    def _show_notice_and_rbac(self) -> None:
        self._show_notice()
        self.want_review()
        self.show_rbac_read_only()  # the selected set may be in another namespace now

    def _show_notice(self) -> None:
        """What the grid says when it shows no row: why there is nothing to show."""
        self.grid.set_notice(self._notice())

    def _notice(self) -> str:
        live = self.live
        if self._live_error is not None:
            return f"Live updates stopped: {self._live_error}"
        if live is not None and (problem := live.problem()) is not None:
            return f"{problem}\n\n{live.retrying()} ? for help, q to quit."
        if live is not None and (live.stale() or live.header() == "listing"):
            return "Listing StatefulSets…"
        if self.grid.name_filter:
            return f"No StatefulSet matches the filter {self.grid.name_filter!r}."
        if self.grid.only_unhealthy and self.grid.all_keys:
            return "Every StatefulSet is done. Ctrl+Z shows them all."
        if live is not None:
            return f"No StatefulSets in {live.describe()}."
        if self.replay is not None and self.replay.sets_unlisted():
            return "The recorder's first list of StatefulSets has not played yet: . or Space goes on."
        return "No StatefulSets at this point of the recording."

    def _frame_label(self) -> str:
        """The header's sub-title: the frame's time (replay) or freshness (live), and the row order if not by name."""
        shown = ([] if self.grid.sort_by == "name" else [f"by {self.grid.sort_by}"]) + (
            ["not done only"] if self.grid.only_unhealthy else []
        )
        # The recording last: at 80 columns it is the part that shrinks (header.fit_header).
        recording = self.live.recording() if self.live is not None and self._live_error is None else None
        return PART.join([self._frame_time_label(), *shown, *([recording] if recording else [])])

    def _frame_time_label(self) -> str:
        if self.live is not None:
            if self._live_error is not None:
                return f"stopped: {self._live_error}"
            return self.live.header()
        time = rfc3339(self.setup.source.frame_time)
        if time is not None:
            return time + self._replay_staleness()
        if self.replay is not None:
            return f"event {self.replay.position}/{len(self.replay.recording)}"
        return "no events yet"

    def _replay_staleness(self) -> str:
        """` · stale since 20:48:15` while a watch the recorder had was broken, as the live header said then."""
        if self.replay is None or not self.replay.broken_watches():
            return ""
        since = self.replay.broken_since()
        return f" · stale since {since.astimezone().strftime('%H:%M:%S')}" if since is not None else " · stale"

    def _show_detail(self) -> None:
        source = self.setup.source
        # A kind the user may not read (or that is reconnecting) must not look like "nothing happened".
        events_note = self.live.not_current("events") if self.live is not None else None
        row = self.grid.selected_row
        if self.revisions_open:
            self.revisions.show(source.state, row, source.frame_time, undo_note=self.gate().refusal())
            return
        volumes_note = self.live.not_current("persistentvolumes") if self.live is not None else None
        service = None
        if self.live is not None and row is not None and row.set.service_name:
            namespace, name = row.set.namespace, row.set.service_name
            service = self.services.answer(namespace, name)
            if self.services.due(namespace, name):
                self.run_worker(self._check_service(namespace, name), group="service-check", exit_on_error=False)
        self.detail.show(
            source.state,
            row,
            self.grid.selected_cell,
            source.frame_time,
            events_note=events_note,
            volumes_note=volumes_note,
            service=service,
            kubectl=self._kubectl if self.live is not None else None,
        )

    def _kubectl(self, namespace: str, *words: str) -> str:
        """A kubectl command line for the cluster watched, as the dialogs give them (context, kubeconfig); in
        replay, for no context in particular."""
        if self.live is None:
            return Target(None, namespace, "").kubectl(*words)
        target = self.live.source.target
        return Target(target.context, namespace, "", target.kubectl_kubeconfig()).kubectl(*words)

    async def _check_service(self, namespace: str, name: str) -> None:
        live = self.live
        if live is not None:
            await self.services.ask(live.source, namespace, name)
            # The answer may come after the app began to close and the pane's body is gone.
            if self.detail.query("#detail-body"):
                self._show_detail()

    def _show_status(self) -> None:
        if self.status is not None and self.replay is not None:
            self.status.show(self.replay)
        if self.timeline is not None and self.replay is not None:
            self.timeline.show(self.replay)

    @on(StatefulSetGrid.CellSelected)
    def _selection_changed(self) -> None:
        self._show_detail()

    # -- replay controls ---------------------------------------------------------------

    def _refused(self, action: str) -> str | None:
        """Why a key that changes the cluster will be refused here, known before it is pressed: --read-only or
        a read-only context (as k9s's --readonly, its keys are not offered as usable), or RBAC."""
        if action not in MUTATING_ACTIONS:
            return None
        return self.gate().refusal() or self.rbac_denial(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REPLAY_ACTIONS and self.replay is None:
            return False
        if action in LIVE_ACTIONS and self.live is None:
            return False
        if action in MUTATING_ACTIONS and self.live is None:
            return False  # a recording cannot be changed: not offered (and the gate refuses it anyway)
        if action in MUTATING_ACTIONS and self._refused(action) is not None:
            return None  # shown dimmed (--read-only, a read-only context, RBAC); pressing it says why (on_key)
        if action == "clear_filter":
            return bool(self.grid.name_filter)
        return True

    def action_toggle_play(self) -> None:
        replay = self.replay
        assert replay is not None
        if replay.playing:
            replay.tick()  # up to now: the frame a pause leaves is of the moment it was asked
            replay.pause()
            self.show_frame()  # at the playhead: while playing, the frame is redrawn once a recorded second
        else:
            replay.play()
            self._show_status()

    def action_step(self, events: int) -> None:
        assert self.replay is not None
        self._seek(self.replay.request_step(events))  # and pauses: stepping is for looking closely

    def action_speed(self, direction: int) -> None:
        replay = self.replay
        assert replay is not None
        current = min(range(len(SPEEDS)), key=lambda index: abs(SPEEDS[index] - replay.speed))
        wanted = current + direction
        if not 0 <= wanted < len(SPEEDS):  # said, or the key seems dead
            which = "slowest" if wanted < 0 else "fastest"
            self.notify(f"already at the {which} speed, {SPEEDS[current]:g}x", markup=False, timeout=3)
            return
        replay.set_speed(SPEEDS[wanted])
        self._show_status()

    def action_seek_start(self) -> None:
        assert self.replay is not None
        # The start as the screen opens there and `0` and `--at +0` go: what happened at the very start.
        self._seek(self.replay.request_seek_offset(0.0))

    def action_seek_end(self) -> None:
        assert self.replay is not None
        # The end of the timeline: past the last event when the recorder went on watching after it.
        self._seek(self.replay.request_seek_offset(self.replay.duration or 0.0))

    def action_jump(self, seconds: float) -> None:
        assert self.replay is not None
        self._seek(self.replay.request_jump(seconds))  # playing goes on from there, as in a video player

    def action_seek_fraction(self, fraction: float) -> None:
        assert self.replay is not None
        self._seek(self.replay.request_seek_offset(fraction * (self.replay.duration or 0.0)))

    @on(Timeline.Scrub)
    def _scrub(self, message: Timeline.Scrub) -> None:
        if self.replay is not None:
            self._seek(self.replay.request_seek_offset(message.seconds))

    def _seek(self, job: SeekRun | None) -> None:
        """Show a seek: now if it was cheap, else when its fold (in a thread) lands; the latest wins.

        A long fold on the UI loop would freeze every key for seconds on a big
        recording; in a thread the keys answer, and an obsolete job stops early.
        """
        if job is None:
            self.show_frame()
            return
        self._show_status()  # "seeking"
        # Named here: Textual would otherwise describe the worker by the repr of its work.
        self.run_worker(
            partial(self._run_seek, job),
            name="seek",
            description="replay seek",
            thread=True,
            group="seek",
            exit_on_error=False,
        )

    def _run_seek(self, job: SeekRun) -> None:
        try:
            done = job.run()
        except Exception as error:  # a bug in the fold: say so, and leave the replay where it was
            log.exception("replay seek failed")
            self.app.call_from_thread(self._seek_failed, job, f"{type(error).__name__}: {error}")
            return
        if done:
            self.app.call_from_thread(self._seek_done, job)

    def _seek_failed(self, job: SeekRun, reason: str) -> None:
        if self.replay is not None:
            self.replay.cancel_seek()
            self._show_status()
        self.notify(reason, title="Seek failed; the replay stays where it was", severity="error", markup=False)

    def _seek_done(self, job: SeekRun) -> None:
        if self.replay is not None and self.replay.finish_seek(job):
            self.show_frame()

    def on_unmount(self) -> None:
        # Quitting must not wait for a long fold: the worker's thread is joined as Python exits.
        if self.replay is not None:
            self.replay.cancel_seek()
        if self.setup.loading is not None:
            self.setup.loading.cancel()  # a load still running stops at its next slice

    # -- switching namespace and context (live) ----------------------------------------------

    def action_command_line(self) -> None:
        self._command_line()

    def action_all_namespaces(self) -> None:
        live = self.live
        if live is not None and live.source.scope.namespace is None:
            # Listing everything again would blank the screen for a list it already holds.
            self.notify("already watching every namespace", markup=False)
            return
        self._command_line("ns all")

    def action_kubectl_for(self, view: str) -> None:
        """k9s's `d` and `y`: the detail pane is stsviz's describe; the full object is kubectl's."""
        row = self.grid.selected_row
        if row is None:
            self.notify("no StatefulSet selected", markup=False)
            return
        sts = row.set
        words = (
            ("describe", "statefulset", sts.name)
            if view == "describe"
            else ("get", "statefulset", sts.name, "-o", "yaml")
        )
        # The context watched, as the action dialogs name it: kubectl's current one may be another cluster.
        command = self._kubectl(sts.namespace, *words)
        where = (
            "the detail pane shows the set and the selected pod (Tab to scroll it)"
            if view == "describe"
            else "stsviz keeps only the fields it shows"
        )
        self.notify(f"{where}; for all of it: {command}", title="Not a view of stsviz", markup=False, timeout=10)

    @work(group="command", exclusive=True, exit_on_error=False)
    async def _command_line(self, text: str | None = None) -> None:
        if text is None:
            text = await self.app.push_screen_wait(CommandPrompt())
        if not text:
            return
        command = parse_command(text)
        if command is None:
            self.notify(f"not a command: {text.strip()}; try ns, ns NAME, ns all, ctx, ctx NAME or q", markup=False)
            return
        if command.verb == "quit":
            self.action_quit()  # as `q`
            return
        if command.verb == "sts":
            self.notify("stsviz shows StatefulSets only: this is that view", markup=False)
            return
        live = self.live
        if live is not None and getattr(live, "recorder", None) is not None:
            # One file, one scope: its header names what was watched.
            self.notify("recording: switching would mix two scopes in one file; start another stsviz", markup=False)
            return
        if self._still_sending():
            return
        if command.verb == "ns":
            await self._switch_namespace(command.argument)
        else:
            await self._switch_context(command.argument)

    async def _switch_namespace(self, name: str | None) -> None:
        from stsviz.sources.live.kinds import Scope

        live = self.live
        assert live is not None
        scope = live.source.scope
        if name is None:
            try:
                names = await live.source.namespaces()
            except Exception as error:  # 403, unreachable: say why and let the name be typed
                self.notify(f"cannot list namespaces: {live.failure(error)}; type :ns NAME", markup=False)
                return
            current = scope.namespace or ALL_NAMESPACES
            name = await self.app.push_screen_wait(Picker("Namespace", [ALL_NAMESPACES, *names], current))
            if name is None:
                return
        namespace = None if name in (ALL_NAMESPACES, "-A") else name
        if namespace is not None and not await self._namespace_exists(namespace):
            return
        self._switch_to(live.source.elsewhere(scope=Scope(namespace, scope.selector)))

    async def _namespace_exists(self, name: str) -> bool:
        """False, said, for a name the server's namespaces do not hold (a typo watched an empty namespace,
        "No StatefulSets" and "watching" all the same); True when they do, or cannot be listed to tell."""
        from stsviz.sources.live.source import NAMESPACES_LISTED

        live = self.live
        assert live is not None
        try:
            names = await live.source.namespaces()
        except Exception:  # forbidden, unreachable: the switch says what it finds
            return True
        if not names or name in names or len(names) >= NAMESPACES_LISTED:  # none, or a cut list: cannot tell
            return True
        self.notify(f'namespace "{name}" not found; :ns alone lists them', severity="error", markup=False)
        return False

    async def _switch_context(self, name: str | None) -> None:
        from stsviz.sources.live.config import ConfigError
        from stsviz.sources.live.kinds import Scope

        live = self.live
        assert live is not None
        target = live.source.target
        contexts = target.contexts()
        if name is None:
            name = await self.app.push_screen_wait(Picker("Context", contexts, target.context))
            if name is None:
                return
        if name not in contexts:
            self.notify(f"no context {name!r} in the kubeconfig", severity="error", markup=False)
            return
        try:
            other = target.for_context(name)
        except ConfigError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self._switch_to(live.source.elsewhere(target=other, scope=Scope(other.namespace, live.source.scope.selector)))

    def _paint_context(self) -> None:
        """The context's colour from the settings file on the header: production looks like production."""
        live = self.live
        assert live is not None
        settings = self.setup.settings.for_context(live.source.target.context)
        header = self.query_one(StatusHeader)
        for color in COLORS:
            header.set_class(settings.color == color, f"-context-{color}")
        if (settings.read_only or self.setup.read_only) and not self.app.title.endswith("(read-only)"):
            self.app.title += " (read-only)"

    def _still_sending(self) -> bool:
        """Whether a confirmed change is being sent, said if so: a switch closes the connection it is on,
        and its outcome would never be told."""
        if self._sending:
            self.notify(f"{self._busy}; switch once its outcome is told", severity="warning", markup=False)
        return self._sending

    def _switch_to(self, source: object) -> None:
        """Follow `source` instead: a fresh fold, the worker restarted, the title saying what is watched."""
        live = self.live
        assert live is not None
        if self._still_sending():  # asked again: a change may have been confirmed while the picker was up
            return
        # A Service or an RBAC review asked of the old source: its request would run on a connection about
        # to close (aiohttp then fails the worker, and the app with it); the Service's answer is of the old
        # scope besides. Either is asked again of the new source when the screen needs it.
        self.workers.cancel_group(self, "service-check")
        self.workers.cancel_group(self, "rbac")
        self._reviewing.clear()  # a review cancelled before it began would otherwise never be asked again
        live.switch(source)
        self.services.forget()
        self._live_error = None
        self.app.title = f"live {live.describe()}"
        self._paint_context()
        self._follow_live()  # exclusive: the old worker is cancelled and closes the old source
        self.refresh_bindings()  # another context may be read-only (or no longer): the footer says so now
        self.show_frame()
        self.notify(f"watching {live.describe()}", markup=False)

    # -- help and the palette ----------------------------------------------------------

    def action_help(self) -> None:
        notes = [*self.setup.notes, *self.warnings]
        self.app.push_screen(HelpScreen(self.setup.mode, dict(self.active_bindings), notes))

    def go_to_set(self, key: SetKey) -> None:
        """Select a set, as the palette's "Go to" does; a filter that hides it is cleared."""
        if key in self.grid.all_keys and key not in self.grid.visible_keys:
            self.action_clear_filter()
        self.grid.select_set(key)
        self.grid.focus()

    # -- filter ---------------------------------------------------------------------

    def action_toggle_volumes(self) -> None:
        self.detail.volumes = not self.detail.volumes
        self._show_detail()

    @property
    def revisions_open(self) -> bool:
        return self.has_class("-revisions")

    def action_toggle_revisions(self) -> None:
        if self.revisions_open:
            self._close_revisions()
            return
        if self.grid.selected_row is None:
            self.notify("no StatefulSet selected", markup=False)
            return
        self.add_class("-revisions")
        self._show_detail()
        self.revisions.focus()

    @on(RevisionsPanel.Closed)
    def _close_revisions(self) -> None:
        self.remove_class("-revisions")
        self.revisions.forget()
        self._show_detail()
        self.grid.focus()

    def action_toggle_unhealthy(self) -> None:
        self.grid.only_unhealthy = not self.grid.only_unhealthy
        self._show_notice()
        self.sub_title = self._frame_label()

    def action_sort(self, order: str) -> None:
        self.grid.sort_by = order
        self.sub_title = self._frame_label()

    def action_open_filter(self) -> None:
        self.filter_bar.add_class("-shown")
        if self._filter_done_early:
            self._filter_done_early = False  # "/web<Enter>" was typed and submitted before this ran
            return
        self.filter_bar.focus()

    def _not_allowed(self, what: str, why: str) -> None:
        """Why the key for `what` ("Restart") was refused, once while its toast is still up: pressed again and
        again (read-only, a viewer), the same toast stacked four or five deep at 80x24. The title names the
        action: another key's refusal is its own toast (one for all made the later keys look ignored). Other
        toasts are left alone: an outcome or an error must not be cleared before it is read."""
        # Live, on the source's clock, as the screen's other waits (a test's fake clock makes it exact).
        now = self.live.source.timing.clock() if self.live is not None else time.monotonic()
        said = (what, why)
        if self._refusal_said.get(said, -SAID_FOR) > now - SAID_FOR:
            return
        self._refusal_said = {key: at for key, at in self._refusal_said.items() if at > now - SAID_FOR}
        self._refusal_said[said] = now
        self.notify(why, title=f"{what}: not allowed", severity="warning", markup=False, timeout=SAID_FOR)

    def on_key(self, event: events.Key) -> None:
        self._key_at = time.monotonic()
        if self.focused is self.filter_bar:
            return
        for binding in ACTION_BINDINGS:
            if event.key not in binding.key.split(","):
                continue
            action = binding.action.split("(")[0]
            if self.live is None and action in MUTATING_ACTIONS:
                # Not offered in replay, but the detail pane may name the key ("delete it (ctrl+d)"): say why not.
                event.stop()
                self._not_allowed(binding.description, self.gate().refusal() or "")
                return
            denial = self._refused(action)
            if denial is not None:  # a dimmed key does not run: say why instead
                event.stop()
                self._not_allowed(binding.description, denial)
                return
        if event.key == "slash":
            # The binding's action runs after the keys already queued behind this one:
            # from here on, printable keys belong to the filter ("/web" typed in one burst).
            self._filter_opening = True
        elif not self._filter_opening:
            return
        elif event.key == "enter":
            event.stop()
            self._filter_done_early = True
            self._filter_submitted()
        elif event.is_printable and event.character:
            event.stop()
            self.filter_bar.insert_text_at_cursor(event.character)

    def action_clear_filter(self) -> None:
        self._filter_opening = False
        self.filter_bar.value = ""  # Input.Changed clears the grid's filter
        self.filter_bar.remove_class("-shown")
        self.grid.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.grid.name_filter = event.value
        self._show_notice()
        self.refresh_bindings()  # "Clear filter" comes and goes with the filter

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self._filter_opening = False
        # Keep the filter (and its bar, as a reminder) and go back to the grid.
        self.grid.focus()

    @on(FilterBar.Dismissed)
    def _filter_dismissed(self) -> None:
        self.action_clear_filter()
