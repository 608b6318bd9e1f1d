"""Hostile input gets a clear 4xx and stores nothing: malformed ids, huge or odd bodies, control
characters, over-long texts and URLs; markup in every text field is stored as text and leaves the
pages and feeds escaped (tests/browser/test_status_pages.py shows it never runs in a browser)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from scs_toolkit.monitor.db import Base

from .conftest import StatusPage

XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


def fingerprint(page: StatusPage) -> dict[str, int]:
    with page.database.session() as db:
        return {
            name: db.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
            if name.startswith("sp_") and name != "sp_audit"
        }


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/components/{bad}"),
        ("PATCH", "/components/{bad}"),
        ("DELETE", "/components/{bad}"),
        ("GET", "/incidents/{bad}"),
        ("PATCH", "/incidents/{bad}"),
        ("GET", "/incidents/{bad}/updates"),
        ("POST", "/incidents/{bad}/updates"),
        ("GET", "/incidents/{bad}/updates/0"),
        ("GET", "/impacttypes/{bad}"),
        ("DELETE", "/impacttypes/{bad}"),
        ("GET", "/incidents/{bad}/rca"),
        ("GET", "/components/{bad}/uptime"),
        ("GET", "/pages/incidents/{bad}"),
    ],
)
@pytest.mark.parametrize("bad", ["not-a-uuid", "1' OR '1'='1", "%00", "0" * 200])
def test_malformed_ids_are_400_and_change_nothing(status_page: StatusPage, method: str, path: str, bad: str) -> None:
    before = fingerprint(status_page)
    with status_page.client("admin") as admin:
        answer = admin.request(method, path.format(bad=bad), json={"displayName": "x"})
    assert answer.status_code == 400, answer.text
    assert "UUID" in answer.json()["message"] or "uuid" in answer.json()["message"].lower()
    assert fingerprint(status_page) == before


def test_update_orders_must_be_non_negative_integers(status_page: StatusPage) -> None:
    with status_page.client("admin") as admin:
        incident = admin.post("/incidents", json={"displayName": "x"}).json()["id"]
        for bad in ("-1", "one", "1.5", "99999999999999999999"):
            assert admin.get(f"/incidents/{incident}/updates/{bad}").status_code == 400, bad
        assert admin.get(f"/incidents/{incident}/updates/7").status_code == 404


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    yield b'{"displayName": "'
    while sent < total:
        yield b"a" * 65536
        sent += 65536
    yield b'"}'


def test_huge_bodies_are_refused_before_they_are_read_whole(status_page: StatusPage) -> None:
    before = fingerprint(status_page)
    with status_page.client("admin") as admin:
        declared = admin.post(
            "/components", content=b"{" + b" " * (300 * 1024) + b"}", headers={"Content-Type": "application/json"}
        )
        assert declared.status_code == 413
        streamed = admin.post(
            "/components", content=_chunks(2 * 1024 * 1024), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        many = admin.post(
            "/incidents",
            json={
                "displayName": "x",
                "affects": [
                    {
                        "reference": "00000000-0000-4000-8000-000000000000",
                        "type": "00000000-0000-4000-8000-000000000000",
                        "severity": 1,
                    }
                ]
                * 500,
            },
        )
        assert many.status_code == 400
    assert fingerprint(status_page) == before


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"displayName": "a", "displayName": "b"}', "application/json", 400),
        (b'{"labels": {"a": NaN}, "displayName": "x"}', "application/json", 400),
        (b"[" * 100 + b"]" * 100, "application/json", 400),
        (b'{"displayName": "x"}', "text/plain", 415),  # what a form on another site could send
        (b"displayName=x", "application/x-www-form-urlencoded", 415),
        (b'{"displayName": 5}', "application/json", 400),
        (b'{"displayName": "a\\u0000b"}', "application/json", 400),
        (b'{"displayName": "line\\nbreak"}', "application/json", 400),
        (b'{"displayName": "\\ud800"}', "application/json", 400),
        (b'{"displayName": "' + b"x" * 300 + b'"}', "application/json", 400),
        (b'{"displayName": "x", "labels": {"bad key!": "v"}}', "application/json", 400),
        (b'{"displayName": "x", "labels": {"k": 5}}', "application/json", 400),
    ],
)
def test_odd_bodies_are_refused_with_a_reason(
    status_page: StatusPage, body: bytes, content_type: str, status: int
) -> None:
    before = fingerprint(status_page)
    with status_page.client("admin") as admin:
        answer = admin.post("/components", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == status, answer.text
    assert answer.json()["message"]
    assert fingerprint(status_page) == before


def test_too_many_labels_and_long_urls(status_page: StatusPage) -> None:
    with status_page.client("admin") as admin:
        labels = {f"k{n}": "v" for n in range(40)}
        assert admin.post("/components", json={"displayName": "x", "labels": labels}).status_code == 400
        assert admin.get("/components", params={"at": "x" * 9000}).status_code == 414
        assert admin.get("/incidents", params={"start": "2026-01-01T00:00:00Z", "end": "9" * 70}).status_code == 400


def _everything_with(page: StatusPage, text: str) -> dict[str, Any]:
    """Markup in every text field the API takes."""
    with page.client("admin") as admin:
        kind = admin.post("/impacttypes", json={"displayName": f"type {text}", "description": text}).json()["id"]
        assert admin.post("/severities", json={"displayName": f"sev{text}"[:120], "value": 50}).status_code == 204
        component = admin.post(
            "/components", json={"displayName": f"comp {text}", "labels": {"cloud": "c1", "note": text}}
        ).json()["id"]
        incident = admin.post(
            "/incidents",
            json={
                "displayName": f"inc {text}",
                "description": f"desc {text} https://example.org/?q=<x>",
                "affects": [{"reference": component, "type": kind, "severity": 50}],
            },
        ).json()["id"]
        admin.post(f"/incidents/{incident}/updates", json={"displayName": f"upd {text}", "description": f"body {text}"})
        rca = {name: f"{name} {text}" for name in ("summary", "rootCause", "timeline", "preventiveActions")}
        assert admin.put(f"/incidents/{incident}/rca", json={**rca, "published": True}).status_code == 204
    return {"component": component, "incident": incident}


def test_markup_is_stored_as_text_and_every_page_and_feed_escapes_it(status_page: StatusPage) -> None:
    ids = _everything_with(status_page, XSS)
    with status_page.client() as anonymous:
        stored = anonymous.get(f"/incidents/{ids['incident']}").json()["data"]
        assert stored["displayName"] == f"inc {XSS}"  # JSON keeps the text exactly
        pages = [
            anonymous.get("/"),
            anonymous.get(f"/pages/incidents/{ids['incident']}"),
            anonymous.get("/pages/incidents"),
            anonymous.get("/pages/clouds/c1"),
        ]
        feed = anonymous.get("/feed.atom").text
    for answer in pages:
        assert answer.status_code == 200
        assert "<script>" not in answer.text and 'onerror="window' not in answer.text
        assert "script-src" not in answer.headers["content-security-policy"]  # no scripts at all
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    incident_page = pages[1].text
    assert html.escape(f"inc {XSS}", quote=False) in incident_page or "inc &lt;script&gt;" in incident_page
    assert 'href="https://example.org/?q=&lt;x&gt;"' not in incident_page  # links stop before markup
    assert '<a href="https://example.org/?q=" rel="nofollow noopener">' in incident_page
    assert "<script>" not in feed and "&lt;script&gt;" in feed


def test_json_answers_carry_the_locked_down_headers(status_page: StatusPage) -> None:
    answer = httpx.get(status_page.url + "/components")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.headers["x-frame-options"] == "DENY"
