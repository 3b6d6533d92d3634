"""How one StatefulSet row looks: the glyph table, colours and column layout.

The grid widget, `--plain` and `--color` all render rows through here, so a
pasted frame is exactly what was on screen. Rich only, no Textual, so the
one-shot printers start fast. Cluster strings go in as `Text`, never markup.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from stsviz.model.cells import (
    CREATING,
    FAILED,
    MISSING,
    READY,
    RUNNING,
    TERMINATING,
    UNKNOWN,
    UNSCHEDULED,
    UPDATED,
)
from stsviz.model.frame import Cell, SetRow
from stsviz.model.text import printable, printable_line

# One character per cell. Upper case: the pod runs the update revision; lower
# case: an old revision. Meaning never rests on colour alone.
GLYPHS: dict[str, tuple[str, str]] = {
    #   state        (updated, old)
    READY: ("R", "r"),
    RUNNING: ("N", "n"),  # running, Not ready
    CREATING: ("C", "c"),
    UNSCHEDULED: ("P", "p"),  # Pending, not scheduled
    FAILED: ("X", "x"),
    TERMINATING: ("T", "t"),
    UNKNOWN: ("?", "?"),
    MISSING: (".", "."),
}
PARTITION_MARK = "|"  # between partition-1 and partition: left keeps the old revision
CONDEMNED_MARK = ":"  # before pods above the desired range

CELL_STYLES: dict[str, Style] = {
    READY: Style(color="black", bgcolor="green3"),
    RUNNING: Style(color="black", bgcolor="dark_sea_green4"),
    CREATING: Style(color="black", bgcolor="steel_blue1"),
    UNSCHEDULED: Style(color="black", bgcolor="grey58"),
    FAILED: Style(color="white", bgcolor="red3", bold=True),
    TERMINATING: Style(color="black", bgcolor="orange3"),
    UNKNOWN: Style(color="white", bgcolor="magenta"),
    MISSING: Style(color="grey50"),
}
READY_NOT_AVAILABLE = Style(color="black", bgcolor="dark_green")
OLD_REVISION = Style(underline=True)  # second channel besides case: old pods are underlined
MARK_STYLE = Style(color="yellow", bold=True)
CURSOR = Style(reverse=True, bold=True)

VERDICT_STYLES = {
    "done": Style(color="green"),
    "stalled": Style(color="red", bold=True),
    "deleting": Style(color="orange3"),
}

NAME_WIDTH_MAX = 40
COLUMNS = ("STATEFULSET", "READY", "UPDATED", "VERDICT", "PODS")
READY_WIDTH = 7
UPDATED_WIDTH = 10
VERDICT_WIDTH = 14


def glyph(cell: Cell) -> str:
    updated, old = GLYPHS[cell.state]
    return updated if cell.revision == UPDATED else old


def cell_style(cell: Cell) -> Style:
    style = CELL_STYLES[cell.state]
    if cell.state == READY and not cell.available:
        style = READY_NOT_AVAILABLE  # Ready, but not yet for minReadySeconds
    return style + OLD_REVISION if cell.revision == "old" else style


def set_name(row: SetRow) -> str:
    """namespace/name as shown: on one line (a newline in a name would forge a row), no controls."""
    return printable(f"{row.set.namespace}/{row.set.name}", newlines=False)


def name_width(rows: list[SetRow] | tuple[SetRow, ...]) -> int:
    """The STATEFULSET column's width in terminal cells (a CJK character takes two)."""
    widest = max((cell_len(set_name(row)) for row in rows), default=len(COLUMNS[0]))
    return min(max(widest, len(COLUMNS[0])), NAME_WIDTH_MAX)


def header(name_w: int) -> Text:
    text = Text()
    for title, width in zip(COLUMNS, (name_w, READY_WIDTH, UPDATED_WIDTH, VERDICT_WIDTH)):
        text.append(title.ljust(width) + " ")
    text.append(COLUMNS[-1])
    return text


def prefix_width(name_w: int) -> int:
    """Width of the fixed columns left of the cells, when their values fit their columns."""
    return name_w + READY_WIDTH + UPDATED_WIDTH + VERDICT_WIDTH + 4


def fixed_columns(row: SetRow, name_w: int) -> Text:
    """Name, ready, updated, verdict: the part of a row left of the cells."""
    sts = row.set
    name = set_name(row)
    if cell_len(name) > name_w:
        # Cut by cells, not characters; a wide character split at the cut becomes a space.
        name = set_cell_size(name, name_w - 1) + "…"
    ready_count, updated_count, condemned = _counts(row)
    updated = f"{updated_count}/{sts.replicas}"
    if sts.partition:
        updated += f" p{sts.partition}"
    ready = f"{ready_count}/{sts.replicas}" + (f" +{condemned}" if condemned else "")
    text = Text(no_wrap=True)
    text.append(name + " " * (name_w - cell_len(name)) + " ")
    text.append(ready.ljust(READY_WIDTH) + " ")
    text.append(updated.ljust(UPDATED_WIDTH) + " ")
    label = row.verdict.label
    style = VERDICT_STYLES.get(label, Style(color="yellow"))
    if len(label) > VERDICT_WIDTH:  # cut visibly: "ready 3/10000…", never a shorter number that reads as true
        label = label[: VERDICT_WIDTH - 1] + "…"
    text.append(label.ljust(VERDICT_WIDTH) + " ", style)
    return text


def _counts(row: SetRow) -> tuple[int, int, int]:
    """(ready, updated, condemned) for the READY and UPDATED columns.

    The set's status counts every pod it owns, so during a scale-down it says
    4/1 next to a `done` verdict. While condemned pods are alive the columns
    count the desired range from the cells instead, and READY adds "+N" for
    the condemned pods still there (drawn after `:`).
    """
    sts = row.set
    condemned = sum(1 for cell in row.cells if cell.condemned)
    if not condemned:
        return sts.ready_replicas, sts.updated_replicas, 0
    in_range = [cell for cell in row.cells if not cell.condemned]
    ready = sum(1 for cell in in_range if cell.state == READY)
    updated = sum(1 for cell in in_range if cell.revision == UPDATED and cell.state != TERMINATING)
    return ready, updated, condemned


def cell_units(row: SetRow) -> list[tuple[str, Style | None, int | None]]:
    """The cell area as (text, style, cell index) units, marks included (index None)."""
    units: list[tuple[str, Style | None, int | None]] = []
    partition = row.partition_index
    end_of_range = row.condemned_index
    for index, cell in enumerate(row.cells):
        if index == partition:  # at end_of_range: nothing will update, the mark closes the range
            units.append((PARTITION_MARK, MARK_STYLE, None))
        if index == end_of_range and cell.condemned:
            units.append((CONDEMNED_MARK, MARK_STYLE, None))
        units.append((glyph(cell), cell_style(cell), index))
    if partition is not None and partition >= len(row.cells):
        units.append((PARTITION_MARK, MARK_STYLE, None))
    if row.hidden:
        # Ordinals too many to draw (see MAX_CELLS): say how many, one character per unit.
        units.extend((char, MARK_STYLE, None) for char in f"+{row.hidden}")
    return units


def _units_per_line(indent: int, width: int | None) -> int | None:
    """How many cell units fit on one line right of the fixed columns (None: no wrapping)."""
    return max(1, width - indent) if width else None


def row_height(row: SetRow, name_w: int, width: int | None = None) -> int:
    """How many lines `render_row` returns for this row, without rendering it."""
    per_line = _units_per_line(fixed_columns(row, name_w).cell_len, width)
    units = len(cell_units(row))
    if per_line is None or units == 0:
        return 1
    return (units + per_line - 1) // per_line


def cell_at(row: SetRow, name_w: int, width: int | None, line: int, column: int) -> int | None:
    """The cell index drawn at (line, column) of the row's lines, None left of the cells.

    A click on a partition or condemned mark picks the cell right after it.
    """
    indent = fixed_columns(row, name_w).cell_len
    if column < indent:
        return None
    per_line = _units_per_line(indent, width)
    if per_line is not None and column - indent >= per_line:
        return None
    position = column - indent + (line * per_line if per_line else 0)
    units = cell_units(row)
    if position >= len(units):
        return None
    for _text, _style, index in units[position:]:
        if index is not None:
            return index
    return None


def render_row(
    row: SetRow,
    name_w: int,
    width: int | None = None,
    *,
    color: bool = True,
    cursor: int | None = None,
) -> list[Text]:
    """The row's lines. Cells wrap under the PODS column when `width` is given."""
    prefix = fixed_columns(row, name_w)
    indent = prefix.cell_len
    per_line = _units_per_line(indent, width)
    lines: list[Text] = []
    current = prefix
    used = 0
    # Runs of units in one style go in with one append: a 20,000-pod set is mostly long runs of
    # the same state, and a span per cell made its row cost ~120 ms to draw.
    run: list[str] = []
    run_style: Style | None = None
    for text, style, index in cell_units(row):
        if per_line is not None and used >= per_line:
            if run:
                current.append("".join(run), run_style)
                run = []
            lines.append(current)
            current, used = Text(" " * indent, no_wrap=True), 0
        if not color:
            style = None
        if index is not None and index == cursor:
            style = (style or Style()) + CURSOR
        if run and style != run_style:
            current.append("".join(run), run_style)
            run = []
        run.append(text)
        run_style = style
        used += 1
    if run:
        current.append("".join(run), run_style)
    lines.append(current)
    if not color:
        for line in lines:
            line.spans.clear()
    return lines


def plain_frame(rows: tuple[SetRow, ...], *, color: bool = False) -> list[Text]:
    """A whole frame as lines of text: header, then each row unwrapped."""
    name_w = name_width(rows)
    lines = [header(name_w)]
    for row in rows:
        lines.extend(render_row(row, name_w, color=color))
        # What the rollout changes, under its row: the first thing asked of a bad rollout.
        lines.extend(Text("  " + printable_line(entry.line())) for entry in row.template_diff)
    return lines
