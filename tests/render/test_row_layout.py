"""Row geometry: `row_height` and `cell_at` agree with what `render_row` draws; RowLines finds lines."""

from __future__ import annotations

import pytest

from stsviz.model import build_frame
from stsviz.render.rows import cell_at, fixed_columns, render_row, row_height
from stsviz.ui.grid_layout import RowLines
from tests.k8s_objects import pod, statefulset
from tests.ui.helpers import fold


def partitioned_row_with_condemned_pod():
    state = fold(
        ("ADDED", statefulset(replicas=7, partition=3, status={"updateRevision": "web-new"})),
        *[("ADDED", pod(f"web-{n}")) for n in range(7)],
        ("ADDED", pod("web-9", deleting=True)),
    )
    [row] = build_frame(state).rows
    return row


@pytest.mark.parametrize("width", [None, 200, 50, 48, 47])
def test_row_height_is_the_number_of_lines_render_row_returns(width):
    row = partitioned_row_with_condemned_pod()
    assert row_height(row, 11, width) == len(render_row(row, 11, width))


@pytest.mark.parametrize("width", [200, 50, 47])
def test_cell_at_names_the_cell_drawn_at_each_position(width):
    row = partitioned_row_with_condemned_pod()
    indent = fixed_columns(row, 11).cell_len
    lines = render_row(row, 11, width, color=False)
    found = []
    for number, line in enumerate(lines):
        for column in range(indent, line.cell_len):
            index = cell_at(row, 11, width, number, column)
            char = line.plain[column]
            if char in "|:":  # a mark picks the cell after it
                assert index == (row.partition_index if char == "|" else row.condemned_index)
            else:
                found.append(index)
    assert found == list(range(len(row.cells)))
    assert cell_at(row, 11, width, 0, indent - 1) is None  # the fixed columns are not a cell


def test_row_lines_locate_wrapped_rows_by_line():
    lines = RowLines()
    lines.rebuild([(("ns", "a"), 1), (("ns", "b"), 3), (("ns", "c"), 2)])
    assert lines.total == 6
    assert [lines.locate(n) for n in range(7)] == [
        (("ns", "a"), 0),
        (("ns", "b"), 0),
        (("ns", "b"), 1),
        (("ns", "b"), 2),
        (("ns", "c"), 0),
        (("ns", "c"), 1),
        None,
    ]
    assert lines.span(("ns", "c")) == (4, 2)
    assert lines.position(("ns", "zzz")) is None
