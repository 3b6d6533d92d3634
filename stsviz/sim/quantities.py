"""Kubernetes resource quantities as numbers: `1Gi` of storage or memory in bytes, `500m` of cpu in millicores.

The grammar is resource.Quantity's: a number, then a binary suffix (Ki..Ei),
a decimal one (n, u, m, k, M, G, T, P, E) or an exponent (`1e3`). YAML may
give a bare number (`memory: 512`). Text that is none of these raises
ValueError, worded as the API server words it. `int_or_percent` reads the
other number kind of field, a count or a percentage (maxUnavailable, minAvailable).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
INVALID = f"quantities must match the regular expression '{PATTERN}'"
_QUANTITY = re.compile(PATTERN)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse(value: object) -> Decimal:
    """The quantity's exact value; ValueError (INVALID) for anything that is not one."""
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        raise ValueError(INVALID)
    number, suffix = match.groups()
    try:
        base = Decimal(number)
        if suffix in _BINARY:
            return base * _BINARY[suffix]
        if suffix in _DECIMAL:
            return base.scaleb(_DECIMAL[suffix])
        if suffix[:1] in "eE" and suffix[1:].lstrip("+-").isdigit():
            return base.scaleb(int(suffix[1:]))
    except InvalidOperation:
        pass
    raise ValueError(INVALID)


def quantity(value: object) -> int:
    """Whole units, rounded up as Quantity.Value() rounds: `1Gi` -> 1073741824, `100` -> 100; absent is 0."""
    if value is None or value == "":
        return 0
    return math.ceil(parse(value))


def millicpu(value: object) -> int:
    """Thousandths, rounded up as Quantity.MilliValue(): `500m` -> 500, `2` -> 2000, `0.5` -> 500."""
    if value is None or value == "":
        return 0
    return math.ceil(parse(value) * 1000)


def valid(value: object) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def int_or_percent(value: int | str, total: int, *, round_up: bool) -> int:
    """intstr.GetValueFromIntOrPercent: a count as it is, "50%" of `total` rounded up or down (validated before)."""
    if isinstance(value, int):
        return value
    share = int(value.removesuffix("%")) * total / 100
    return math.ceil(share) if round_up else math.floor(share)
