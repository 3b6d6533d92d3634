"""Protobuf request bodies: decoded as the real server does, refused in its words, never a JSON parse error."""

from __future__ import annotations

import aiohttp

from stsviz.sim.api import protobuf

PROTOBUF = {"Content-Type": protobuf.MEDIA_TYPE}


def field(number: int, payload: bytes) -> bytes:
    # Wire type 2 (length-delimited); lengths here stay under 128, one varint byte.
    return bytes([number << 3 | 2, len(payload)]) + payload


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return protobuf.MAGIC + field(1, type_meta) + field(2, raw)


def test_a_namespace_decodes_to_what_json_would_carry():
    meta = field(1, b"shop") + field(2, b"") + field(11, field(1, b"team") + field(2, b"web"))
    body = envelope("v1", "Namespace", field(1, meta) + field(2, b"") + field(3, b""))
    from stsviz.sim.resources import NAMESPACES

    assert protobuf.decode(body, NAMESPACES) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": "web"}},
        "spec": {},
        "status": {},
    }


async def test_bodies_that_are_not_protobuf_or_not_this_kind_are_400_in_the_servers_words(cluster):
    async with aiohttp.ClientSession() as http:
        url = f"{cluster.url}/api/v1/namespaces"
        async with http.post(url, data=b'{"metadata":{"name":"x"}}', headers=PROTOBUF) as response:
            status = await response.json()
        assert response.status == 400 and status["reason"] == "BadRequest"
        assert status["message"].startswith(
            "the object provided is unrecognized (must be of type Namespace): provided data does not appear "
            "to be a protobuf message, expected prefix [107, 56, 115, 0]"
        )
        assert "json parse error" not in status["message"]
        async with http.post(url, data=envelope("v1", "Pod", b""), headers=PROTOBUF) as response:
            status = await response.json()
        assert response.status == 400 and "cannot be handled as a Namespace" in status["message"]
        async with http.post(url, data=protobuf.MAGIC + b"\x0a\xff", headers=PROTOBUF) as response:
            assert response.status == 400
