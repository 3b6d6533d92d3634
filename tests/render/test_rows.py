"""What one row draws for each pod: the glyph a user reads and the colour they see.

Expected glyphs are written out here, never read from the production table, so
a change to the table shows up as a failure.
"""

from __future__ import annotations

from datetime import timedelta

from rich.style import Style

from stsviz.model import build_frame
from stsviz.model.frame import SetRow
from stsviz.render.rows import fixed_columns, render_row
from tests.k8s_objects import pod, statefulset
from tests.ui.helpers import T0, fold

NAME_W = 12


def every_state(revision: str) -> list[tuple[str, dict]]:
    """web-0..web-6 in each cell state but missing (web-7 has no pod), on `revision`."""
    return [
        ("ADDED", pod("web-0", revision=revision)),
        ("ADDED", pod("web-1", revision=revision, ready=False)),
        ("ADDED", pod("web-2", revision=revision, phase="Pending", ready=False, waiting="ContainerCreating")),
        ("ADDED", pod("web-3", revision=revision, phase="Pending", ready=False, scheduled=False)),
        ("ADDED", pod("web-4", revision=revision, ready=False, waiting="CrashLoopBackOff")),
        ("ADDED", pod("web-5", revision=revision, deleting=True)),
        ("ADDED", pod("web-6", revision=revision, phase="Unknown", ready=False)),
    ]


def row_of(*events: tuple[str, dict], now_seconds: float | None = None) -> SetRow:
    state = fold(*events)
    [row] = build_frame(state, now=T0 + timedelta(seconds=now_seconds) if now_seconds is not None else None).rows
    return row


def cells_text(row: SetRow) -> str:
    [line] = render_row(row, NAME_W, color=False)
    return line.plain[fixed_columns(row, NAME_W).cell_len :]


def cell_styles(row: SetRow) -> list[Style]:
    """The Rich style each cell is drawn with, in cell order (no marks in these rows)."""
    [line] = render_row(row, NAME_W)
    start = fixed_columns(row, NAME_W).cell_len
    styles = []
    for offset in range(start, start + len(row.cells)):
        covering = [span.style for span in line.spans if span.start <= offset < span.end]
        styles.append(Style.combine(Style.parse(s) if isinstance(s, str) else s for s in covering))
    return styles


def test_each_cell_state_has_its_own_glyph_upper_case_on_the_update_revision():
    sts = statefulset(replicas=8, status={"updateRevision": "web-new"})
    row = row_of(("ADDED", sts), *every_state("web-new"))
    assert [c.state for c in row.cells] == [
        "ready",
        "running",
        "creating",
        "unscheduled",
        "failed",
        "terminating",
        "unknown",
        "missing",
    ]
    assert cells_text(row) == "RNCPXT?."


def test_each_cell_state_has_its_own_glyph_lower_case_on_an_old_revision():
    sts = statefulset(replicas=8, status={"updateRevision": "web-new"})
    assert cells_text(row_of(("ADDED", sts), *every_state("web-old"))) == "rncpxt?."


def test_an_unscheduled_pod_is_not_drawn_as_creating():
    sts = statefulset(replicas=2, status={"updateRevision": "web-new"})
    row = row_of(
        ("ADDED", sts),
        ("ADDED", pod("web-0", phase="Pending", ready=False, scheduled=False)),
        ("ADDED", pod("web-1", phase="Pending", ready=False, waiting="ContainerCreating")),
    )
    assert cells_text(row) == "PC"
    assert cell_styles(row)[0] != cell_styles(row)[1]


def ready_since(name: str, since: str, **kwargs) -> dict:
    raw = pod(name, **kwargs)
    [ready] = [c for c in raw["status"]["conditions"] if c["type"] == "Ready"]
    ready["lastTransitionTime"] = since
    return raw


def test_ready_within_min_ready_seconds_looks_different_from_available_and_from_not_ready():
    sts = statefulset(replicas=3, status={"updateRevision": "web-new"})
    sts["spec"]["minReadySeconds"] = 30
    row = row_of(
        ("ADDED", sts),
        ("ADDED", ready_since("web-0", "2026-11-25T13:58:00Z")),  # ready for two minutes: available
        ("ADDED", ready_since("web-1", "2026-11-25T14:00:00Z")),  # ready for 10 s of the 30
        ("ADDED", pod("web-2", ready=False)),  # running, not ready
        now_seconds=10,
    )
    assert [(c.state, c.available) for c in row.cells] == [("ready", True), ("ready", False), ("running", False)]
    assert cells_text(row) == "RRN"  # the glyph says Ready; only the colour says "not yet available"
    available, not_yet, not_ready = cell_styles(row)
    assert not_yet != available
    assert not_yet != not_ready
    assert available != not_ready
    # Once minReadySeconds have passed, the same pod looks available.
    later = row_of(
        ("ADDED", sts),
        ("ADDED", ready_since("web-0", "2026-11-25T13:58:00Z")),
        ("ADDED", ready_since("web-1", "2026-11-25T14:00:00Z")),
        ("ADDED", pod("web-2", ready=False)),
        now_seconds=31,
    )
    assert cell_styles(later)[1] == available


def test_old_revision_cells_are_underlined_as_well_as_lower_case():
    sts = statefulset(replicas=2, status={"updateRevision": "web-new"})
    row = row_of(("ADDED", sts), ("ADDED", pod("web-0", revision="web-old")), ("ADDED", pod("web-1")))
    old, new = cell_styles(row)
    assert cells_text(row) == "rR"
    assert old.underline and not new.underline


def test_a_scale_down_counts_the_desired_range_and_the_condemned_pods_apart():
    # kubectl get sts says 4/1 here (status counts every pod the set owns); the row says what it draws.
    status = {"observedGeneration": 1, "readyReplicas": 4, "updatedReplicas": 3, "updateRevision": "web-new"}
    row = row_of(
        ("ADDED", statefulset(replicas=1, status=status)),
        ("ADDED", pod("web-0")),
        ("ADDED", pod("web-1")),
        ("ADDED", pod("web-2")),
        ("ADDED", pod("web-3", deleting=True)),
    )
    columns = fixed_columns(row, NAME_W).plain.split()
    assert columns[1:4] == ["1/1", "+3", "1/1"]
    assert cells_text(row).strip() == "R:RRT"


def test_without_condemned_pods_the_columns_are_the_sets_status():
    status = {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 2, "updateRevision": "web-new"}
    row = row_of(("ADDED", statefulset(replicas=3, status=status)), ("ADDED", pod("web-0")))
    assert fixed_columns(row, NAME_W).plain.split()[1:3] == ["1/3", "2/3"]


def test_a_verdict_too_long_for_its_column_is_cut_visibly_never_into_another_number():
    state = fold(("ADDED", statefulset(replicas=1_000_000_000, status={"readyReplicas": 3, "observedGeneration": 1})))
    [row] = build_frame(state, now=T0).rows
    assert row.verdict.label == "ready 3/1000000000"
    assert "ready 3/10000… " in fixed_columns(row, 11).plain
