"""Keep credentials out of every line stsviz prints or logs.

Anything that may end up in front of a user (an error message, a status line,
a log record) goes through `scrub`. Error text from libraries, API servers and
exec plugins is not trusted to be clean. `scrub` masks, in this order:

1. the secrets stsviz itself loaded, registered with `remember` (kubeconfig
   tokens and passwords, exec plugin output, a password in the server URL);
2. Authorization headers and `Bearer`/`Basic` credentials;
3. credential fields, as YAML, JSON or `key=value`: `token`, `password`,
   `client-key-data`, `access_token`, `id_token`, `refresh_token`,
   `client_secret`... (the value after the `:` or `=`);
4. PEM private keys;
5. JSON Web Tokens: `eyJ` + base64url, two dots (the header, payload and
   signature of every service account and OIDC token);
6. a token-shaped word right after the word "token" (`cached token X was
   rejected`): one of 12 or more characters that holds a letter and a digit;
7. opaque tokens anywhere: a word of the token alphabet (letters, digits,
   `-._~+/=`) is masked whole when a piece of it between separators
   (`-./~`) is 32 or more characters of letters, digits, `_+=`, with a letter
   and a digit, and either both cases of letters or hex digits only. Random
   base64, base64url and hex tokens have such a piece; what else appears in
   messages has not: Kubernetes names are lowercase and cut by `-` and `.`
   (`ip-10-0-1-23.eu-west-1.compute.internal`), UIDs are 8-4-4-4-12 hex,
   resourceVersions are digits, words have no digits, paths are cut by `/`.

`one_line` also squeezes the result onto one line of at most 300 characters,
so a plugin that prints pages of diagnostics cannot flood the screen or log.
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
    # kubeconfig / ExecCredential / OAuth fields: token: x, "access_token": "x", password=x, client-key-data: x
    (
        re.compile(
            r"(?i)([\"']?\b(?:token|id[-_]token|refresh[-_]token|access[-_]token|password|secret|"
            r"client-key-data|clientKeyData|client[-_]secret|api[-_]key)[\"']?\s*[:=]\s*)([\"']?)[^\s\"',}]+"
        ),
        r"\1\2" + MASK,
    ),
    # PEM blocks (private keys pasted in an error)
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
    # JSON Web Tokens (service account, OIDC): header.payload.signature, the header always `{"` -> eyJ
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # "cached token X was rejected": a word after "token" that is not an ordinary word
    (
        re.compile(
            r"(?i)(\btokens?\s+)(?=[A-Za-z0-9._~+/=-]*[0-9])(?=[A-Za-z0-9._~+/=-]*[A-Za-z])[A-Za-z0-9._~+/=-]{12,}"
        ),
        r"\1" + MASK,
    ),
)

# Rule 7 of the module docstring: a word of the token alphabet and its pieces between separators.
_WORD = re.compile(r"[A-Za-z0-9._~+/=-]{32,}")
_PIECE = re.compile(r"[A-Za-z0-9_+=]{32,}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _opaque(piece: str) -> bool:
    """Whether a 32+ character piece looks like a random token rather than a word or a name."""
    has_digit = any(c.isdigit() for c in piece)
    has_upper = any(c.isupper() for c in piece)
    has_lower = any(c.islower() for c in piece)
    if not has_digit or not (has_upper or has_lower):
        return False
    return (has_upper and has_lower) or _HEX.fullmatch(piece) is not None


def _mask_opaque(match: re.Match[str]) -> str:
    word = match.group()
    return MASK if any(_opaque(piece) for piece in _PIECE.findall(word)) else word


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
    return _WORD.sub(_mask_opaque, result)


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
