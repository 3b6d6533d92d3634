"""Cutting metadata.managedFields out of the bytes before parsing must never change what is read."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.sources.live.wire import loads, parse_line
from tests.conftest import RECORDINGS


def without_managed(value):
    if isinstance(value, dict):
        return {k: without_managed(v) for k, v in value.items() if k != "managedFields"}
    if isinstance(value, list):
        return [without_managed(v) for v in value]
    return value


def test_real_objects_parse_to_the_same_fields_without_managed_fields():
    lines = (RECORDINGS / "web-lifecycle" / "merged.jsonl").read_bytes().splitlines()
    assert any(b'"managedFields":[' in line for line in lines)
    for line in lines:
        expected = without_managed(orjson.loads(line))
        assert without_managed(loads(line)) == expected
        assert without_managed(parse_line(line)) == expected


tricky_text = st.text(alphabet='abc"\\[]{},:\n ', max_size=12)


@settings(max_examples=300, deadline=None)
@given(managers=st.lists(st.tuples(tricky_text, tricky_text), max_size=3), name=tricky_text, note=tricky_text)
def test_adversarial_strings_never_change_the_object(managers, name, note):
    obj = {
        "type": "MODIFIED",
        "object": {
            "kind": "Pod",
            "metadata": {
                "name": name,
                "managedFields": [{"manager": m, "fieldsV1": {f"f:{k}": {}}} for m, k in managers],
                "annotations": {"note": note, "fake": '"managedFields":[' + note},
            },
        },
    }
    raw = json.dumps(obj, separators=(",", ":")).encode()
    assert without_managed(parse_line(raw)) == without_managed(obj)
    assert without_managed(loads(raw)) == without_managed(obj)
