"""Where each StatefulSet row sits among the grid's lines.

A row wraps onto several lines when its cells do not fit, so line -> row is
not the identity. This keeps the first line of every visible row and answers
"which row and which of its lines is line N" by bisection, so a grid of
hundreds of sets finds a line without walking them. No Textual here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from stsviz.model.records import SetKey


class RowLines:
    """The visible rows in screen order and the lines each occupies."""

    def __init__(self) -> None:
        self.keys: list[SetKey] = []
        self.starts: list[int] = []  # first line of each row
        self.heights: list[int] = []
        self._index: dict[SetKey, int] = {}

    def rebuild(self, rows: Iterable[tuple[SetKey, int]]) -> None:
        """Lay out (key, height) pairs top to bottom."""
        self.keys, self.starts, self.heights = [], [], []
        line = 0
        for key, height in rows:
            self.keys.append(key)
            self.starts.append(line)
            self.heights.append(height)
            line += height
        self._index = {key: position for position, key in enumerate(self.keys)}

    @property
    def total(self) -> int:
        return self.starts[-1] + self.heights[-1] if self.keys else 0

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def position(self, key: SetKey) -> int | None:
        """The row's place among the visible rows, None when it is filtered out or gone."""
        return self._index.get(key)

    def span(self, key: SetKey) -> tuple[int, int] | None:
        """(first line, height) of a visible row."""
        position = self._index.get(key)
        if position is None:
            return None
        return self.starts[position], self.heights[position]

    def locate(self, line: int) -> tuple[SetKey, int] | None:
        """(row key, line within the row) shown on `line`, None past the last row."""
        if line < 0 or line >= self.total:
            return None
        position = bisect_right(self.starts, line) - 1
        return self.keys[position], line - self.starts[position]
