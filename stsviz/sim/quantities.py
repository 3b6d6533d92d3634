"""Kubernetes resource quantities as numbers: `1Gi` of storage or memory in bytes, `500m` of cpu in millicores."""

from __future__ import annotations

_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def quantity(text: str | None) -> int:
    """`1Gi` -> 1073741824, `500M` -> 500000000, `100` -> 100; absent is 0."""
    if not text:
        return 0
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * _UNITS[suffix])
    return int(float(text))


def millicpu(text: object) -> int:
    """`500m` -> 500, `2` -> 2000, `0.5` -> 500."""
    value = str(text or "0").strip()
    if value.endswith("m"):
        return int(float(value[:-1]))
    return int(float(value) * 1000)
