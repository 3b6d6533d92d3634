"""The command palette (Ctrl+P): every action of the screen, and "go to" every StatefulSet.

Screen actions are offered from the screen's active bindings, so the palette
runs exactly what the key runs (the same checks, the same refusals) and never
offers what the mode refuses. Set names come from the cluster or a file: they
are shown as plain text, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.markup import escape

from stsviz.model.text import printable

if TYPE_CHECKING:
    from stsviz.ui.screen import RolloutScreen

# The palette lists at most this many sets before the user types: 300 sets are a scroll, not a list.
DISCOVER_SETS = 50


def _highlight(matcher: Matcher, candidate: str) -> Content:
    """`candidate` as plain text, its fuzzy-matched letters styled (Textual's highlight parses markup)."""
    content = Content(candidate)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def _rollout_screen(provider: Provider) -> RolloutScreen | None:
    from stsviz.ui.screen import RolloutScreen

    screen = provider.screen
    return screen if isinstance(screen, RolloutScreen) else None


def screen_actions(screen: RolloutScreen) -> Iterator[tuple[str, str, Callable[[], object]]]:
    """(name, help, run) for every enabled binding of the screen, once per action."""
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not active.enabled or binding.action in seen or binding.action == "command_palette":
            continue
        seen.add(binding.action)
        key = binding.key_display or screen.app.get_key_display(binding)
        run = partial(screen.app.run_action, binding.action, active.node)
        # The palette reads help as markup: a bracket in it would vanish. Without a tooltip the help is the key
        # alone: "Previous set (↑)" under "Previous set" read as the same command listed twice.
        help_text = f"{binding.tooltip} ({key})" if binding.tooltip else key
        yield binding.description, escape(help_text), run


class ScreenActions(Provider):
    """What the keys of the rollout screen do, by name."""

    async def discover(self) -> Hits:
        screen = _rollout_screen(self)
        if screen is None:
            return
        for name, help_text, run in screen_actions(screen):
            yield DiscoveryHit(Content(name), run, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        screen = _rollout_screen(self)
        if screen is None:
            return
        matcher = self.matcher(query)
        for name, help_text, run in screen_actions(screen):
            if (score := matcher.match(name)) > 0:
                yield Hit(score, _highlight(matcher, name), run, text=name, help=help_text)


class GoToSet(Provider):
    """ "Go to namespace/name" for every StatefulSet the screen knows."""

    async def discover(self) -> Hits:
        screen = _rollout_screen(self)
        if screen is None:
            return
        for namespace, name in screen.grid.all_keys[:DISCOVER_SETS]:
            label = printable(f"Go to {namespace}/{name}", newlines=False)  # names from the cluster
            yield DiscoveryHit(Content(label), partial(screen.go_to_set, (namespace, name)), text=label)

    async def search(self, query: str) -> Hits:
        screen = _rollout_screen(self)
        if screen is None:
            return
        matcher = self.matcher(query)
        for namespace, name in screen.grid.all_keys:
            label = printable(f"Go to {namespace}/{name}", newlines=False)
            if (score := matcher.match(label)) > 0:
                run = partial(screen.go_to_set, (namespace, name))
                yield Hit(score, _highlight(matcher, label), run, text=label, help="select this StatefulSet")
