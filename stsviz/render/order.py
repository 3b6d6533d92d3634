"""Which rows the grid shows and in what order: sort by name, health or age; only the sets not done.

Textual-free, so the rule is tested on rows alone. Health puts what needs a
look first: stalled, then a failed pod in range, then progressing, then done.
Age puts the newest set first (k9s sorts ages the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stsviz.model.cells import FAILED
from stsviz.model.frame import SetRow
from stsviz.model.times import parse_rfc3339

NAME = "name"
HEALTH = "health"
AGE = "age"
SORTS = (NAME, HEALTH, AGE)


def health_rank(row: SetRow) -> int:
    """0 stalled, 1 a failed pod in range, 2 progressing, 3 done."""
    if row.verdict.stalled:
        return 0
    if any(cell.state == FAILED for cell in row.cells if not cell.condemned):
        return 1
    return 3 if row.verdict.done else 2


def needs_a_look(row: SetRow) -> bool:
    """What the health filter keeps: every set that is not done."""
    return not row.verdict.done


def _created(row: SetRow) -> float:
    moment = parse_rfc3339(row.set.created)
    return moment.timestamp() if moment is not None else float("-inf")


def sort_key(sort: str) -> Callable[[SetRow], Any]:
    """The key `sorted` takes for one of SORTS; namespace/name breaks every tie."""
    if sort == HEALTH:
        return lambda row: (health_rank(row), row.key)
    if sort == AGE:
        return lambda row: (-_created(row), row.key)
    return lambda row: row.key
