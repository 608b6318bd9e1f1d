"""Hostile reads and admin calls (issue 13): bad query and path parameters are a clear 4xx on both
databases, errors leave the keep-alive connection usable, unknown subjects are 404, revocations
need a reason."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from .helpers import fingerprint, post, report
from .test_api import all_required


@pytest.fixture
def client(monitor: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=monitor["url"], limits=httpx.Limits(max_connections=1), timeout=60) as opened:
        yield opened


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/status?at=0001-01-01", 422),  # was 500 (OverflowError)
        ("/status?at=0001-01-01T00:00:00%2B05:00", 422),  # the offset alone leaves the datetime range
        ("/status?at=9999-12-31", 422),
        ("/status?at=2026-01-01%00", 422),
        ("/status?subject=cloud-a%00", 422),  # was 500 on PostgreSQL
        ("/status?subject=" + "a" * 129, 422),
        ("/status?subject=nobody", 404),  # was 200 MISSING
        ("/status?subject=group-nobody", 404),
        ("/status?scope=" + "s" * 5000, 422),
        ("/api/subjects/cloud-a%00", 422),
        ("/api/subjects/%ED%A0%80", 422),  # a surrogate, UTF-8 encoded
        ("/api/subjects/" + "a" * 129 + "/history", 422),
        ("/subjects/cloud-a%00", 422),
        ("/subjects/cloud-a%00/history", 422),
        ("/api/reports?subject=cloud-a%00", 422),
        ("/api/reports/abc%00def", 422),
        ("/api/reports/" + "r" * 65, 422),
        ("/reports/abc%00def", 422),
        ("/api/certificates?subject=a%00", 422),
        ("/certificates?subject=%0D%0ASet-Cookie:%20x=1", 422),
        ("/badges/cloud-a%00/scs-compatible-iaas.svg", 422),
        ("/badges/nobody/scs-compatible-iaas.svg", 404),  # was 200 MISSING
        ("/badges/cloud-a/" + "s" * 100 + ".svg", 422),
        ("/api/scopes/" + "s" * 100, 422),
        ("/scopes/" + "s" * 100, 422),
    ],
)
def test_bad_parameters_are_4xx_and_the_connection_stays_usable(
    monitor: dict[str, Any], client: httpx.Client, path: str, status: int
) -> None:
    assert post(monitor, [report()]).status_code == 201  # cloud-a has a report, so it is a known subject
    before = fingerprint(monitor["database"])
    reply = client.get(path)
    assert reply.status_code == status, reply.text
    assert fingerprint(monitor["database"]) == before
    assert client.get("/healthz").status_code == 200


def test_known_subjects_still_answer(monitor: dict[str, Any]) -> None:
    """The 404s above are about unknown names, not a blanket refusal: declared and grouped subjects answer."""
    assert post(monitor, [report()]).status_code == 201
    for path in ("/status?subject=cloud-a", "/status?subject=group-acme", "/badges/group-acme/scs-compatible-iaas.svg"):
        assert httpx.get(monitor["url"] + path).status_code == 200, path


def raw_request(url: str, request: bytes) -> bytes:
    """Send bytes no well-behaved client library would send, and read the answer's status line."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(request)
        return connection.recv(65536).split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /status?subject=" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET /status?subject=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"4"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 20_000 + b"\r\n\r\n", b"431"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 70_000 + b"\r\n\r\n", b"4"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n", b"400"),  # a bare CR: header injection
    ],
    ids=["url-9k", "url-70k", "header-20k", "header-70k", "bare-cr-in-header"],
)
def test_overlong_or_malformed_request_heads_are_refused(
    monitor: dict[str, Any], request_bytes: bytes, status: bytes
) -> None:
    status_line = raw_request(monitor["url"], request_bytes)
    assert status_line.split()[1].startswith(status), status_line
    assert httpx.get(monitor["url"] + "/healthz").status_code == 200


def test_the_host_header_is_never_reflected(monitor: dict[str, Any]) -> None:
    """Pages link relatively: a forged Host cannot plant links (or cache-poison) through them."""
    assert post(monitor, [report()]).status_code == 201
    for path in ("/", "/subjects/cloud-a", "/certificates", "/openapi.json", "/docs"):
        reply = httpx.get(monitor["url"] + path, headers={"Host": "evil.example"})
        assert reply.status_code == 200 and "evil.example" not in reply.text, path
        assert all("evil.example" not in value for value in reply.headers.values()), path


def test_an_unhandled_error_is_a_clean_500_and_the_next_request_works(
    monitor: dict[str, Any], client: httpx.Client
) -> None:
    """A broken database (here: a table gone) is a 500 that closes the connection cleanly: the
    client sees `Connection: close` and opens a new one instead of failing on a dead socket."""
    with monitor["database"].engine.begin() as connection:
        connection.execute(text("DROP TABLE certificate"))
    try:
        broken = client.get("/api/certificates")
        assert broken.status_code == 500 and broken.headers["connection"] == "close"
        assert broken.json() == {"detail": "internal server error; it has been logged"}
        assert "certificate" not in broken.text  # no SQL or traceback in the answer
        assert client.get("/healthz").status_code == 200
    finally:
        from scs_toolkit.monitor.db import Certificate

        Certificate.__table__.create(monitor["database"].engine)  # type: ignore[attr-defined]
    metrics = client.get("/metrics").text  # (it counts certificates, so only with the table back)
    assert 'route="/api/certificates",status="500"} 1.0' in metrics


def test_revocation_needs_a_reason_and_409_is_documented(monitor: dict[str, Any]) -> None:
    assert post(monitor, [report(**all_required(dt.date.today()))]).status_code == 201
    serial = httpx.get(f"{monitor['url']}/api/certificates").json()[0]["serial"]
    revoke = f"{monitor['url']}/api/certificates/{serial}/revoke"
    admin = ("admin", "admin-secret")
    for reason in ("", "   ", "x" * 1001, "line\nbreak", "nul\u0000"):
        refused = httpx.post(revoke, json={"reason": reason}, auth=admin)
        assert refused.status_code == 422, (reason, refused.text)
    assert httpx.post(revoke, json={}, auth=admin).status_code == 422
    assert httpx.post(revoke, json={"reason": 5}, auth=admin).status_code == 422
    assert httpx.get(f"{monitor['url']}/api/certificates/revoked").json()["certificates"] == []
    assert httpx.post(revoke, json={"reason": "  manual check failed  "}, auth=admin).status_code == 200
    crl = httpx.get(f"{monitor['url']}/api/certificates/revoked").json()["certificates"]
    assert crl[0]["revocation_reason"] == "manual check failed"
    assert httpx.post(revoke, json={"reason": "again"}, auth=admin).status_code == 409
    bad_serial = httpx.post(f"{monitor['url']}/api/certificates/a%00b/revoke", json={"reason": "x"}, auth=admin)
    assert bad_serial.status_code == 422
    responses = httpx.get(f"{monitor['url']}/openapi.json").json()["paths"]["/api/certificates/{serial}/revoke"]
    assert {"401", "403", "404", "409", "422", "429"} <= set(responses["post"]["responses"])
    paths = httpx.get(f"{monitor['url']}/openapi.json").json()["paths"]
    assert "404" in paths["/badges/{subject}/{scope}.svg"]["get"]["responses"]
    assert "404" in paths["/status"]["get"]["responses"]
