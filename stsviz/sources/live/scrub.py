"""Keep credentials out of every line stsviz prints or logs.

Anything that may end up in front of a user (an error message, a status line,
a log record) goes through `scrub`. It removes the secrets stsviz itself
loaded (registered with `remember`) and anything shaped like a credential:
Authorization headers, bearer/basic tokens, and kubeconfig fields that hold
secrets. Error text from libraries and exec plugins is not trusted to be clean.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

# Shorter strings are not remembered: masking "a" everywhere would help nobody.
_MIN_SECRET = 6
_secrets: set[str] = set()
_lock = threading.Lock()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / authorization=Basic xyz / 'authorization': 'Bearer xyz'
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic)\s+)?[^\s'\",}]+"), r"\1\2 " + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{6,}=*"), r"\1 " + MASK),
    # kubeconfig / ExecCredential fields: token: x, "token": "x", password=x, client-key-data: x
    (
        re.compile(
            r"(?i)([\"']?\b(?:token|id-token|refresh-token|access-token|password|secret|"
            r"client-key-data|clientKeyData|client-secret)[\"']?\s*[:=]\s*)([\"']?)[^\s\"',}]+"
        ),
        r"\1\2" + MASK,
    ),
    # PEM blocks (private keys pasted in an error)
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
)


def remember(*secrets: str | None) -> None:
    """Register secret values (tokens, passwords) to be masked wherever they appear."""
    with _lock:
        for secret in secrets:
            if not secret:
                continue
            secret = secret.strip()
            for prefix in ("Bearer ", "Basic "):
                if secret.startswith(prefix):
                    secret = secret[len(prefix) :].strip()
            if len(secret) >= _MIN_SECRET:
                _secrets.add(secret)


def scrub(text: object) -> str:
    """`text` as a string with every credential masked."""
    result = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in result:
            result = result.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        result = pattern.sub(replacement, result)
    return result


def one_line(text: object, limit: int = 300) -> str:
    """A scrubbed message squeezed onto one line, for status bars and stderr."""
    line = " ".join(scrub(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ScrubFilter(logging.Filter):
    """A handler filter that masks credentials in every record it lets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: show it raw
            message = f"{record.msg} {record.args}"
        record.msg = scrub(message)
        record.args = None
        if record.exc_info:
            # The formatter would print the traceback text unscrubbed: fold it in here.
            record.msg += "\n" + scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        return True
