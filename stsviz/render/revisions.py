"""`H`: a set's revisions, newest first, and the template diff of the selected one against the update revision.

One line per ControllerRevision: its number, name, age, whether it is the
set's current and/or update revision, and which ordinals run it (`0-1,3`);
under them the diff from the selected revision to the update revision
(path, from -> to; env values hidden). Textual-free, like the pod's detail;
cluster strings are text, never markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text

from stsviz.model import ClusterState, SetRow
from stsviz.model.revisions import DiffEntry, RevisionView, ordinal_ranges, template_diff
from stsviz.render.describe import GOOD, HEADING, LABEL, NAME, WARNING
from stsviz.render.rows import printable
from stsviz.render.timefmt import age

SELECTED = Style(bgcolor="grey30", bold=True)
REMOVED = Style(color="red")
ADDED = Style(color="green")
ARROW = " → "


def diff_lines(entries: tuple[DiffEntry, ...], text: Text) -> None:
    """The diff as `path` then `  from → to` lines, coloured (red: what goes, green: what comes)."""
    for entry in entries:
        text.append(f"  {entry.path}\n", NAME)
        text.append("    ")
        text.append("(none)" if entry.before is None else entry.before, REMOVED)
        text.append(ARROW, LABEL)
        text.append("(none)" if entry.after is None else entry.after, ADDED)
        text.append("\n")


def describe_revisions(
    state: ClusterState,
    row: SetRow | None,
    selected: RevisionView | None,
    now: datetime | None,
    *,
    undo_note: str | None = None,
) -> Text:
    """The panel. `undo_note` says why `u` cannot roll back here (replay, read-only), or None."""
    text = Text(no_wrap=False)
    if row is None:
        text.append("No StatefulSet selected.", LABEL)
        return text
    sts = row.set
    text.append("Revisions", HEADING)
    text.append(" of ")
    text.append(f"{sts.namespace}/{sts.name}", NAME)
    text.append("\n")
    keys = "↑↓ select  u roll back to it  esc back" if undo_note is None else f"↑↓ select  esc back  (u: {undo_note})"
    text.append(keys + "\n", LABEL)
    if not row.revisions:
        text.append(
            "\nNo ControllerRevisions seen for this set: not watched, forbidden, or not in the recording.\n", WARNING
        )
        return _done(text)
    text.append("\n")
    for view in row.revisions:
        _revision_line(text, view, view == selected, now)
    if selected is not None:
        _diff(text, state, row, selected)
    return _done(text)


def _revision_line(text: Text, view: RevisionView, selected: bool, now: datetime | None) -> None:
    line = Text()
    line.append("▶ " if selected else "  ")
    line.append(f"{view.revision:>3} ", NAME)
    line.append(view.name)
    line.append(f" {age(view.created, now):>5}", LABEL)
    if view.current:
        line.append(" current", WARNING if not view.update else GOOD)
    if view.update:
        line.append(" update", GOOD)
    ordinals = ordinal_ranges(view.ordinals)
    line.append(f"  pods {ordinals}" if ordinals else "  no pods", LABEL if not ordinals else Style())
    if selected:
        line.stylize(SELECTED)
    text.append_text(line)
    text.append("\n")


def _diff(text: Text, state: ClusterState, row: SetRow, selected: RevisionView) -> None:
    sts = row.set
    revisions = state.revisions_of(sts)
    update = next((view for view in row.revisions if view.update), None)
    text.append("\n")
    if update is None:
        text.append("The set's update revision is not among them yet: no diff.\n", WARNING)
        return
    text.append(f"Revision {selected.revision} → {update.revision} (update)", HEADING)
    text.append("\n")
    if selected.name == update.name:
        text.append("  the update revision itself: nothing differs\n", LABEL)
        return
    before, after = revisions.get(selected.name), revisions.get(update.name)
    entries = template_diff(before, after)
    if not entries:
        same = before is not None and after is not None
        text.append("  same pod template\n" if same else "  a template is not known: no diff\n", LABEL)
        return
    diff_lines(entries, text)


def _done(text: Text) -> Text:
    text.rstrip()
    text.plain = printable(text.plain)  # one character for one: spans stay put
    return text
