"""The StatefulSet grid: one row per set, one cell per ordinal, through the Line API.

Rows are drawn by `rows.render_row`, the same renderer `--plain` prints with,
so the screen and a pasted frame agree. Each row's lines are cached as Strips
and only rows that `ClusterState.take_dirty()` names are rebuilt; when a
rebuilt row keeps its height, only its lines are refreshed. Only visible rows
are ever rendered, which keeps hundreds of sets with thousands of cells smooth.

The cursor is a (set, ordinal) pair: up/down move between sets, left/right
between the cells of the current set. Selection changes go up as
`StatefulSetGrid.CellSelected`; state and the filter come down as calls and
attributes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from stsviz.model import Cell, CellCache, ClusterState, SetRow, build_row
from stsviz.model.cells import READY
from stsviz.model.frame import PODS_UNREAD, matches_filter
from stsviz.model.records import SetKey, StatefulSet
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.model.text import printable
from stsviz.render.order import HEALTH, NAME, needs_a_look, sort_key
from stsviz.render.rows import cell_at, header, name_width, prefix_width, render_row, row_height
from stsviz.ui.grid_layout import RowLines

# A rollout turns "stalled" with time alone, no event needed: rows that could
# are re-judged when the frame clock has moved on by this much.
VERDICT_RECHECK = timedelta(seconds=1)
# Rows wrap at the viewport's width, but keep at least this many cells per line.
MIN_CELLS_PER_LINE = 8


def _may_stall(row: SetRow) -> bool:
    """Whether time alone can change the row's verdict: "stalled" needs a pod in range not Ready (or
    missing: one never created is as stuck), as build_row counts them; pods not read decide nothing."""
    if row.verdict.done or row.verdict.label == PODS_UNREAD:
        return False
    return row.verdict.stalled or any(cell.state != READY for cell in row.cells if not cell.condemned)


def _cell_index(row: SetRow, ordinal: int | None) -> int | None:
    """The index of the cell at `ordinal`, or of the nearest ordinal still shown."""
    if not row.cells:
        return None
    if ordinal is None:
        return 0
    return min(range(len(row.cells)), key=lambda index: (abs(row.cells[index].ordinal - ordinal), index))


NOTICE = Style(italic=True)  # the empty grid's explanation
NOTICE_LINES = 6  # lines an empty grid keeps for it
STALE = Style(dim=True)  # rows that are not current
# Dim greys text only: a stale row's coloured cells are faded towards black as well, so no bright
# green "ready" claims to be current while its kind is not watching.
STALE_FADE = 0.55
STALE_LETTER = 0.6  # a stale cell's letter: its faded colour this far towards white
_BLACK = Color(0, 0, 0)
_WHITE = Color(255, 255, 255)


class StatefulSetGrid(ScrollView, can_focus=True, inherit_bindings=False):
    """One line (or a few, when it wraps) per StatefulSet, with a fixed header line."""

    COMPONENT_CLASSES = {"statefulset-grid--header", "statefulset-grid--cursor-set"}

    DEFAULT_CSS = """
    StatefulSetGrid {
        overflow-x: auto;
        scrollbar-gutter: stable;
    }
    StatefulSetGrid > .statefulset-grid--header {
        text-style: bold;
        color: $text-muted;
    }
    StatefulSetGrid > .statefulset-grid--cursor-set {
        text-style: bold reverse;
    }
    """

    BINDINGS = [
        Binding("up", "cursor_set(-1)", "Previous set", id="grid.previous_set", show=False),
        Binding("down", "cursor_set(1)", "Next set", id="grid.next_set", show=False),
        Binding("left", "cursor_cell(-1)", "Previous ordinal", id="grid.previous_ordinal", show=False),
        Binding("right", "cursor_cell(1)", "Next ordinal", id="grid.next_ordinal", show=False),
        Binding("home", "edge_cell(0)", "First ordinal", id="grid.first_ordinal", show=False),
        Binding("end", "edge_cell(-1)", "Last ordinal", id="grid.last_ordinal", show=False),
        Binding("pageup", "page(-1)", "Page up", id="grid.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="grid.page_down", show=False),
        Binding("ctrl+home", "edge_set(0)", "First set", id="grid.first_set", show=False),
        Binding("ctrl+end", "edge_set(-1)", "Last set", id="grid.last_set", show=False),
        # k9s's vi keys, besides the arrows.
        Binding("j", "cursor_set(1)", "Next set", id="grid.next_set_vi", show=False),
        Binding("k", "cursor_set(-1)", "Previous set", id="grid.previous_set_vi", show=False),
        Binding("h", "cursor_cell(-1)", "Previous ordinal", id="grid.previous_ordinal_vi", show=False),
        Binding("l", "cursor_cell(1)", "Next ordinal", id="grid.next_ordinal_vi", show=False),
    ]

    class CellSelected(Message):
        """The cursor moved to another set or ordinal. `row`/`cell` are None when nothing is shown."""

        def __init__(self, grid: StatefulSetGrid, row: SetRow | None, cell: Cell | None) -> None:
            super().__init__()
            self.grid = grid
            self.row = row
            self.cell = cell

        @property
        def control(self) -> StatefulSetGrid:
            return self.grid

        @property
        def set_key(self) -> SetKey | None:
            return self.row.key if self.row else None

        @property
        def ordinal(self) -> int | None:
            return self.cell.ordinal if self.cell else None

        def can_replace(self, message: Message) -> bool:
            # Holding an arrow key: only where the cursor ends up matters.
            return isinstance(message, StatefulSetGrid.CellSelected) and message.grid is self.grid

    name_filter: reactive[str] = reactive("")
    """Show only sets whose namespace/name contains this substring."""
    sort_by: reactive[str] = reactive(NAME)
    """Row order: name, health (stalled first) or age (newest first)."""
    only_unhealthy: reactive[bool] = reactive(False)
    """Show only the sets that are not done."""

    def __init__(
        self,
        *,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.stall_seconds = stall_seconds
        self._state: ClusterState | None = None
        self._rows: dict[SetKey, SetRow] = {}  # every set, filtered or not
        self._cells = CellCache()  # a changed row rebuilds only its changed cells
        self._lines = RowLines()  # the visible ones
        self._strips: dict[SetKey, list[Strip]] = {}
        self._header: Strip | None = None
        self._name_w = 0
        self._width = 0
        self._verdict_clock: datetime | None = None
        self.cursor_key: SetKey | None = None
        self.cursor_ordinal: int | None = None
        self._announced: tuple[SetKey | None, int | None] | None = None
        self._notice = ""  # what the grid says when it shows no row (why there is nothing)
        self._stale = False  # the rows are not current: drawn dim

    # -- what the screen says -----------------------------------------------------

    def set_notice(self, notice: str) -> None:
        """What to say in place of rows when there are none: not connected, listing, no sets, filtered."""
        notice = printable(notice)  # names a context, a namespace, a filter, a server's error
        if notice != self._notice:
            self._notice = notice
            if not self._lines.keys:
                self._relayout()

    def set_stale(self, stale: bool) -> None:
        """Dim every row while the sets or pods are not being watched: what they show may be gone."""
        if stale != self._stale:
            self._stale = stale
            self._strips.clear()
            self.refresh()

    # -- what the app reads -----------------------------------------------------

    @property
    def visible_keys(self) -> list[SetKey]:
        return list(self._lines.keys)

    @property
    def selected_row(self) -> SetRow | None:
        key = self.cursor_key
        return self._rows.get(key) if key is not None and key in self._lines else None

    def row(self, key: SetKey) -> SetRow | None:
        """The set's row as now drawn (filtered out or not), or None once the set is gone."""
        return self._rows.get(key)

    @property
    def selected_cell(self) -> Cell | None:
        row = self.selected_row
        if row is None:
            return None
        index = _cell_index(row, self.cursor_ordinal)
        return row.cells[index] if index is not None else None

    # -- state coming down ----------------------------------------------------------

    def _build(self, state: ClusterState, sts: StatefulSet, now: datetime | None) -> SetRow:
        return build_row(state, sts, now=now, stall_seconds=self.stall_seconds, cache=self._cells)

    def sync(self, state: ClusterState, now: datetime | None = None) -> None:
        """Take in what changed in `state` since the last call; redraw only that."""
        if state is not self._state:
            # A seek may hand over a fresh fold: nothing cached belongs to it.
            self._state = state
            state.take_dirty()
            self._strips.clear()
            self._cells = CellCache()
            self._rows = {key: self._build(state, sts, now) for key, sts in state.sets.items()}
            self._verdict_clock = now or state.now
            self._relayout()
            self._follow_cursor()
            return
        changed = state.take_dirty()
        clock = now or state.now
        if clock is not None and (self._verdict_clock is None or clock - self._verdict_clock >= VERDICT_RECHECK):
            self._verdict_clock = clock
            changed |= {key for key, row in self._rows.items() if _may_stall(row)}
        if not changed:
            return
        structural = False  # a set came or went: rows move
        redraw: list[SetKey] = []
        for key in changed:
            sts = state.sets.get(key)
            old = self._rows.get(key)
            if sts is None:
                if old is not None:
                    del self._rows[key]
                    self._strips.pop(key, None)
                    self._cells.forget(key)
                    structural = True
                continue
            row = self._build(state, sts, now)
            if row == old:
                continue
            self._rows[key] = row
            self._strips.pop(key, None)
            if old is None:
                structural = True
            elif key in self._lines:
                redraw.append(key)
        # Sorted by health or filtered by it, a changed verdict can move a row or hide it.
        reorders = self.sort_by == HEALTH or self.only_unhealthy
        if structural or (reorders and redraw) or any(self._height_changed(key) for key in redraw):
            self._relayout()
        else:
            for key in redraw:
                self._refresh_row(key)
        self._follow_cursor()

    def watch_name_filter(self) -> None:
        self._relayout()
        self._follow_cursor()
        # A filter cleared: the selection stays in view, once the taller grid is laid out.
        self.call_after_refresh(self._scroll_to_cursor)

    def watch_sort_by(self) -> None:
        self._relayout()
        self._scroll_to_cursor()

    def watch_only_unhealthy(self) -> None:
        self._relayout()
        self._follow_cursor()

    # -- layout ---------------------------------------------------------------------

    def _wrap_width(self, name_w: int) -> int:
        """Where rows wrap: the viewport, but never so narrow that no cell fits beside the columns.

        Narrower than that, the grid scrolls sideways instead. 0 before the first
        layout: rows render unwrapped until a real width arrives.
        """
        viewport = self.scrollable_content_region.width
        return max(viewport, prefix_width(name_w) + MIN_CELLS_PER_LINE) if viewport else 0

    def _height_changed(self, key: SetKey) -> bool:
        span = self._lines.span(key)
        return span is None or span[1] != self._height(key)

    def _height(self, key: SetKey) -> int:
        return row_height(self._rows[key], self._name_w, self._width or None)

    def _relayout(self) -> None:
        rows = [
            row
            for key, row in self._rows.items()
            if matches_filter(key, self.name_filter) and (not self.only_unhealthy or needs_a_look(row))
        ]
        keys = [row.key for row in sorted(rows, key=sort_key(self.sort_by))]
        name_w = name_width([self._rows[key] for key in keys])
        width = self._wrap_width(name_w)
        if (name_w, width) != (self._name_w, self._width):
            self._strips.clear()
            self._header = None
            self._name_w, self._width = name_w, width
        self._lines.rebuild((key, self._height(key)) for key in keys)
        # One more line for the header, which stays put while rows scroll under it.
        # Room for the notice when there is no row, so an auto-sized grid still shows why.
        rows_height = self._lines.total or (NOTICE_LINES if self._notice else 0)
        self.virtual_size = Size(width, rows_height + 1)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self._wrap_width(self._name_w) != self._width:
            self._relayout()
            self._scroll_to_cursor()

    # -- rendering ------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = round(self.scroll_offset.x), round(self.scroll_offset.y)
        viewport = self.scrollable_content_region.width
        if y == 0:
            strip = self._header_strip()
        else:
            found = self._lines.locate(scroll_y + y - 1)
            if found is None:
                if not self._lines.keys and self._notice:
                    return self._notice_line(y - 1, viewport)
                return Strip.blank(viewport, self.rich_style)
            key, line = found
            strips = self._strips.get(key)
            if strips is None:
                strips = self._strips[key] = self._render_row(key)
            strip = strips[line]
        return strip.crop_extend(scroll_x, scroll_x + viewport, self.rich_style)

    def _notice_line(self, index: int, viewport: int) -> Strip:
        """Line `index` of the empty grid's notice, wrapped to the viewport, one blank line above it."""
        lines = Text(self._notice, style=NOTICE).wrap(self.app.console, max(10, viewport - 2))
        if index == 0 or index > len(lines):
            return Strip.blank(viewport, self.rich_style)
        line = Text(" ") + lines[index - 1]
        strip = Strip(line.render(self.app.console), line.cell_len)
        return strip.extend_cell_length(viewport).apply_style(self.rich_style)

    def _header_strip(self) -> Strip:
        if self._header is None:
            text = header(self._name_w)
            text.stylize(self.get_component_rich_style("statefulset-grid--header"))
            self._header = self._to_strip(text)
        return self._header

    def _render_row(self, key: SetKey) -> list[Strip]:
        row = self._rows[key]
        on_cursor = key == self.cursor_key
        cursor = _cell_index(row, self.cursor_ordinal) if on_cursor else None
        lines = render_row(row, self._name_w, self._width or None, cursor=cursor)
        if on_cursor:
            lines[0].stylize(self.get_component_rich_style("statefulset-grid--cursor-set"), 0, self._name_w)
        if self._stale:
            for line in lines:
                line.stylize(STALE)
        return [self._to_strip(line, faded=self._stale) for line in lines]

    def _to_strip(self, text: Text, *, faded: bool = False) -> Strip:
        strip = Strip(text.render(self.app.console), text.cell_len)
        if faded:  # before the widget's own background is applied: only the cells fade
            strip = _faded(strip)
        return strip.extend_cell_length(self._width).apply_style(self.rich_style)

    def _refresh_row(self, key: SetKey) -> None:
        span = self._lines.span(key)
        if span is not None:
            # Row lines sit one below their index: line 0 is the header.
            self.refresh_lines(span[0] + 1, span[1])

    # -- the cursor -----------------------------------------------------------------

    def _move_cursor(self, key: SetKey | None, ordinal: int | None) -> None:
        old_key = self.cursor_key
        self.cursor_key, self.cursor_ordinal = key, ordinal
        for redraw in (old_key, key):
            if redraw is not None and self._strips.pop(redraw, None) is not None:
                self._refresh_row(redraw)
        self._scroll_to_cursor()
        self._announce()

    def _follow_cursor(self) -> None:
        """Keep the cursor on something shown after rows came, went or were filtered."""
        if self.cursor_key in self._lines:
            self._announce()  # the cell under it may have come or gone
        else:
            self._move_cursor(self._lines.keys[0] if self._lines.keys else None, self.cursor_ordinal)

    def _announce(self) -> None:
        row, cell = self.selected_row, self.selected_cell
        selection = (row.key if row else None, cell.ordinal if cell else None)
        if selection != self._announced:
            self._announced = selection
            self.post_message(self.CellSelected(self, row, cell))

    def _scroll_to_cursor(self) -> None:
        span = self._lines.span(self.cursor_key) if self.cursor_key else None
        if span is None:
            return
        first, height = span
        rows_shown = max(1, self.scrollable_content_region.height - 1)  # minus the header
        top = round(self.scroll_offset.y)
        if first < top:
            self.scroll_to(y=first, animate=False)
        elif first + height > top + rows_shown:
            self.scroll_to(y=first + min(height, rows_shown) - rows_shown, animate=False)

    @property
    def all_keys(self) -> list[SetKey]:
        """Every set known, filtered out or not, in the grid's order."""
        return sorted(self._rows)

    def select_set(self, key: SetKey) -> bool:
        """Put the cursor on a set (clearing a filter that hides it); False if the set is unknown."""
        if key not in self._rows:
            return False
        if key not in self._lines:
            self.name_filter = ""
        self._move_cursor(key, self.cursor_ordinal)
        return True

    def action_cursor_set(self, delta: int) -> None:
        keys = self._lines.keys
        if not keys:
            return
        position = self._lines.position(self.cursor_key) if self.cursor_key else None
        target = 0 if position is None else max(0, min(len(keys) - 1, position + delta))
        self._move_cursor(keys[target], self.cursor_ordinal)

    def action_cursor_cell(self, delta: int) -> None:
        row = self.selected_row
        index = _cell_index(row, self.cursor_ordinal) if row else None
        if row is None or index is None:
            return
        target = max(0, min(len(row.cells) - 1, index + delta))
        self._move_cursor(row.key, row.cells[target].ordinal)

    def action_edge_cell(self, edge: int) -> None:
        row = self.selected_row
        if row is not None and row.cells:
            self._move_cursor(row.key, row.cells[edge].ordinal)

    def action_edge_set(self, edge: int) -> None:
        if self._lines.keys:
            self._move_cursor(self._lines.keys[edge], self.cursor_ordinal)

    def action_page(self, direction: int) -> None:
        # A page of sets, counting rows rather than lines: wrapped rows make pages uneven.
        self.action_cursor_set(direction * max(1, self.scrollable_content_region.height - 2))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        found = self._lines.locate(round(self.scroll_offset.y) + offset.y - 1)
        if found is None:
            return
        key, line = found
        row = self._rows[key]
        index = cell_at(row, self._name_w, self._width or None, line, round(self.scroll_offset.x) + offset.x)
        self.focus()
        self._move_cursor(key, row.cells[index].ordinal if index is not None else self.cursor_ordinal)


def _faded(strip: Strip) -> Strip:
    """The strip with every background colour faded towards black (a stale row's cells).

    The cell's letter (R or r, N or n: the revision) stays readable in a light tint of the cell's
    colour: dimmed, black letters blended into the darkened cell until they could not be told apart.
    """
    segments = []
    for segment in strip:
        style = segment.style
        if style is not None and style.bgcolor is not None and not style.bgcolor.is_default:
            faded = Color.from_rich_color(style.bgcolor).blend(_BLACK, STALE_FADE)
            letter = faded.blend(_WHITE, STALE_LETTER)
            style = style + Style(bgcolor=faded.rich_color, color=letter.rich_color, dim=False)
        segments.append(Segment(segment.text, style, segment.control))
    return Strip(segments, strip.cell_length)
