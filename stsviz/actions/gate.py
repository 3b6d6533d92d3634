"""The one gate every change to the cluster goes through, whatever asked (a key, the palette, a click).

It refuses in replay, with --read-only, and for a context the settings file
marks read-only; hiding a key is not the protection, this is. Past the gate
an action gets the only transport that can write (`wire.send`), and its
outcome, good or bad, is one line worded as kubectl words it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from stsviz.actions.errors import kubectl_error, outcome_of
from stsviz.actions.verbs import Action, PreconditionFailed, Transport
from stsviz.settings import ContextSettings, Settings
from stsviz.sources.live.wire import ApiError, Unreachable, get_object, send

log = logging.getLogger("stsviz.actions")

REPLAY = "replay: a recording cannot be changed"
READ_ONLY = "read-only (--read-only): stsviz changes nothing in the cluster"


class Refused(Exception):
    """The gate said no; nothing was sent. The message says why."""


class Failed(Exception):
    """The server refused the change, or its outcome is unknown; the message is kubectl's wording."""


@dataclass
class Gate:
    """Decides whether changes may be sent, and sends them.

    `api` gives the live connection's ApiClient (None in replay); `context`
    names the kubeconfig context now watched: both are read at each change,
    so a `:ctx` switch is honoured at once.
    """

    api: Callable[[], Any] | None
    context: Callable[[], str | None]
    read_only: bool = False
    kubeconfig: Callable[[], str | None] = lambda: None  # for the kubectl lines: see Target.kubeconfig
    settings: Settings = field(default_factory=Settings)
    outcomes: list[Callable[[Action, str, bool], None]] = field(default_factory=list)

    def context_settings(self) -> ContextSettings:
        return self.settings.for_context(self.context())

    def refusal(self) -> str | None:
        """Why no change may be sent now, or None."""
        if self.api is None:
            return REPLAY
        if self.read_only:
            return READ_ONLY
        if self.context_settings().read_only:
            where = f" in {self.settings.path}" if self.settings.path else ""
            return f"context {self.context()} is read-only{where}: stsviz changes nothing there"
        return None

    async def run(self, action: Action) -> str:
        """Send `action`: what was done, in kubectl's words. Raises Refused (nothing sent) or Failed."""
        reason = self.refusal()
        if reason is not None:
            log.info("refused %s: %s", action.summary, reason)
            raise Refused(reason)
        assert self.api is not None
        transport = _Transport(self.api())  # Refused here (not connected, the view moved): nothing sent
        log.info("sending: %s (%s)", action.summary, action.kubectl())
        try:
            done = await action.perform(transport)
        except (ApiError, Unreachable, PreconditionFailed) as error:
            self._fail(action, kubectl_error(action, error, sent=transport.sent))
        except (AttributeError, TypeError, KeyError, ValueError):
            # An object whose fields have other types than Kubernetes gives them (a meddling
            # proxy, a broken server): the action cannot read it, and says so instead of guessing.
            log.debug("%s: the server's answer was not understood", action.summary, exc_info=True)
            self._fail(action, f"error: the server's answer was not understood; {outcome_of(transport.sent)}")
        log.info("%s: %s", action.summary, done)
        self._tell(action, done, True)
        return done

    def _fail(self, action: Action, line: str) -> None:
        log.warning("%s: %s", action.summary, line)
        self._tell(action, line, False)
        raise Failed(line) from None

    def _tell(self, action: Action, outcome: str, ok: bool) -> None:
        for listener in self.outcomes:  # the recorder writes actions and outcomes as markers
            listener(action, outcome, ok)


class _Transport(Transport):
    """The only way an action reaches the server; made by the gate, after it said yes."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self.sent = False  # whether a change was sent (or may have been): before it, a failure changed nothing

    async def get(self, path: str, query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        return await get_object(self._api, path, list(query or ()), aiohttp.ClientTimeout(total=30))

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        query: list[tuple[str, str]] | None = None,
    ) -> Any:
        self.sent = True
        return await send(self._api, method, path, body=body, content_type=content_type, query=query)
