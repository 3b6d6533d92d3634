"""Comparing two folds in tests: what a ClusterState knows, without its bookkeeping."""

from __future__ import annotations

from stsviz.model import ClusterState

# Not what the fold knows: its dispatch table, what a view has yet to redraw, and
# what it shares with a copy (copy-on-write of the nested indexes).
_BOOKKEEPING = ("_handlers", "_dirty", "_sharing")


def fold_contents(state: ClusterState) -> dict:
    """Everything the fold knows, as a dict two equal folds give equal."""
    return {key: value for key, value in vars(state).items() if key not in _BOOKKEEPING and not key.startswith("_own_")}
