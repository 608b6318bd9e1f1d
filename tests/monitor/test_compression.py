"""gzip for the monitor's answers (compression.py): the same documents compressed or not, never for
callers with credentials, and the per-request tail of `/status` spliced into a once-compressed head."""

from __future__ import annotations

import gzip
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from scs_toolkit.monitor import compression

from .helpers import post, report

IDENTITY = {"Accept-Encoding": "identity"}


def _request(accept_encoding: str | None, authorization: bool = False) -> Request:
    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding.encode())]
    if authorization:
        headers.append((b"authorization", b"Basic eDp5"))
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("gzip, deflate", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=nonsense", False),
        ("deflate, br", False),
        ("identity", False),
        (None, False),
    ],
)
def test_which_clients_get_gzip(accept: str | None, wanted: bool) -> None:
    assert compression.accepts_gzip(_request(accept)) is wanted
    assert compression.accepts_gzip(_request(accept, authorization=True)) is False  # credentials: never


def test_a_compressed_head_with_a_tail_per_request_is_the_whole_document() -> None:
    head = json.dumps({"subjects": {f"cloud-{n}": {"summary": "PASS"} for n in range(2000)}}).encode()[:-1]
    packed = compression.GzipHead(head)
    tails = [f',"at":"2026-12-03T06:00:{n:02d}+00:00"}}'.encode() for n in range(40)]
    with ThreadPoolExecutor(8) as pool:  # one compressor copied by several requests at once
        answers = list(pool.map(packed.with_tail, tails))
    for tail, answer in zip(tails, answers, strict=True):
        assert gzip.decompress(answer) == head + tail  # the checksum and length check out, too
        assert len(answer) < len(head) // 10
    assert gzip.decompress(compression.gzip_bytes(head)) == head
    broken = bytearray(answers[0])
    broken[-8] ^= 1  # a wrong checksum is what a reader catches: the trailer is really checked
    with pytest.raises((OSError, zlib.error)):
        gzip.decompress(bytes(broken))


def test_big_answers_come_compressed_to_clients_that_take_gzip_and_plain_to_the_others(
    monitor: dict[str, Any],
) -> None:
    assert post(monitor, [report()]).status_code == 201
    base = monitor["url"]
    with httpx.Client() as client:  # httpx asks for gzip and decodes it
        for path in ("/status", "/api/subjects", "/", "/subjects/cloud-a"):
            packed = client.get(base + path)
            plain = client.get(base + path, headers=IDENTITY)
            assert packed.status_code == plain.status_code == 200, path
            assert packed.headers.get("content-encoding") == "gzip", (path, len(plain.content))
            assert "content-encoding" not in plain.headers, path
            assert "Accept-Encoding" in packed.headers["vary"], path
            if path.startswith("/status"):  # the same document but for its moment
                one, other = packed.json(), plain.json()
                assert one.pop("at") <= other.pop("at") and one == other
                assert list(packed.json()) == ["scope", "subjects", "at"]
            elif path.startswith("/api"):
                assert packed.content == plain.content
        packed, plain = client.get(f"{base}/api/subjects"), client.get(f"{base}/api/subjects", headers=IDENTITY)
        assert packed.headers["etag"] != plain.headers["etag"]  # a strong validator per content coding
        mixed = client.get(f"{base}/api/subjects", headers={**IDENTITY, "If-None-Match": packed.headers["etag"]})
        assert mixed.status_code == 200 and mixed.content == plain.content
        same = client.get(f"{base}/api/subjects", headers={"If-None-Match": packed.headers["etag"]})
        assert same.status_code == 304
        authenticated = client.get(f"{base}/api/subjects", auth=("cloud-a", "a-secret"))
        assert authenticated.status_code == 200 and "content-encoding" not in authenticated.headers
