"""The user's settings file: per-context cues and guards (read-only, protected, a colour).

`$STSVIZ_CONFIG`, else `$XDG_CONFIG_HOME/stsviz/config.toml`, else
`~/.config/stsviz/config.toml`. TOML (Python reads it without a dependency):

    [[context]]
    match = "prod*"        # a context name or a shell-style pattern
    protected = true       # changes ask to type the set's name
    color = "red"          # the header's colour for this context (k9s users ask for it)

    [[context]]
    match = "*-readonly"
    read_only = true       # every change is refused, as with --read-only

The first entry whose pattern matches the context name applies. A file that
cannot be read is a one-line error at startup, never a silent default.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLORS = frozenset({"red", "orange", "yellow", "green", "blue", "magenta", "cyan", "purple"})


class SettingsError(Exception):
    """The settings file exists but cannot be used; the message is one line."""


@dataclass(frozen=True)
class ContextSettings:
    """What the settings say about one context."""

    read_only: bool = False
    protected: bool = False
    color: str | None = None


@dataclass(frozen=True)
class Settings:
    """Every [[context]] entry, in file order."""

    contexts: tuple[tuple[str, ContextSettings], ...] = ()
    path: str | None = None

    def for_context(self, name: str | None) -> ContextSettings:
        if name is None:
            return ContextSettings()
        for pattern, settings in self.contexts:
            if fnmatch.fnmatchcase(name, pattern):
                return settings
        return ContextSettings()


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("STSVIZ_CONFIG"):
        return Path(environ["STSVIZ_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME", os.path.expanduser("~")), ".config")
    return Path(base) / "stsviz" / "config.toml"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings file read, or empty settings when there is none; SettingsError when it is broken."""
    path = settings_path(environ)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"settings {path}: {getattr(error, 'strerror', None) or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"settings {path}: not TOML: {error}") from None
    return Settings(tuple(_contexts(path, data.get("context", []))), str(path))


def _contexts(path: Path, entries: Any) -> list[tuple[str, ContextSettings]]:
    if not isinstance(entries, list):
        raise SettingsError(f"settings {path}: [[context]] entries expected")
    parsed = []
    for number, entry in enumerate(entries, 1):
        where = f"settings {path}: context entry {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("match"), str):
            raise SettingsError(f'{where}: needs match = "NAME or pattern"')
        unknown = set(entry) - {"match", "read_only", "protected", "color"}
        if unknown:
            raise SettingsError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        color = entry.get("color")
        if color is not None and color not in COLORS:
            raise SettingsError(f"{where}: color must be one of {', '.join(sorted(COLORS))}")
        for flag in ("read_only", "protected"):
            if not isinstance(entry.get(flag, False), bool):
                raise SettingsError(f"{where}: {flag} must be true or false")
        parsed.append(
            (
                entry["match"],
                ContextSettings(bool(entry.get("read_only")), bool(entry.get("protected")), color),
            )
        )
    return parsed
