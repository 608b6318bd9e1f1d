"""Two replicas of the monitor on one database (each its own app, connection pool and snapshot of
"now"): whatever one of them (or a management command) writes, the other shows on its very next
request, whichever page or API asks. Conditional GETs: 304 while nothing changed, 200 after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.accounts import add_account
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database
from scs_toolkit.standards import load_scope

from .helpers import post, report

IAAS = load_scope("scs-compatible-iaas")


@pytest.fixture
def replicas(monitor: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The fixture's monitor (A) and a second replica (B) with its own pool on the same database."""
    database = Database(monitor["database"].url)
    app = create_app(database)
    with BackgroundServer(app) as server:
        yield monitor["url"], server.url
    app.state.compliance.close()
    database.close()


def passing() -> dict[str, int]:
    return {tc: 1 for version in IAAS.selected_versions(dt.date.today()) for tc in version.required}


def state(url: str, subject: str = "cloud-a") -> dict[str, Any]:
    """What each way of reading says about the subject's IaaS state now."""
    row = next(r for r in httpx.get(f"{url}/api/subjects").json() if r["subject"] == subject)
    one = httpx.get(f"{url}/status", params={"subject": subject}).json()["subjects"][subject]
    everyone = httpx.get(f"{url}/status").json()["subjects"].get(subject)
    detail = httpx.get(f"{url}/api/subjects/{subject}").json()["scopes"][IAAS.uuid]
    badge = httpx.get(f"{url}/badges/{subject}/scs-compatible-iaas.svg").text
    page = httpx.get(f"{url}/subjects/{subject}").text
    overview = httpx.get(f"{url}/").text
    return {
        "summary": {
            row["scopes"][IAAS.uuid]["summary"],
            one["summary"],
            everyone["summary"] if everyone else None,
            detail["summary"],
        },
        "certificate": [v["certificate"] for v in detail["versions"].values() if v["certificate"]],
        "badge": badge,
        "page": page,
        "overview": overview,
        "display_name": row["display_name"],
    }


def test_an_upload_through_one_replica_shows_on_the_other_at_once(
    replicas: tuple[str, str], monitor: dict[str, Any]
) -> None:
    a, b = replicas
    failing = report(**{**passing(), "scs-0100-syntax-check": -1})
    assert post(monitor, [failing]).status_code == 201
    before_a, before_b = state(a), state(b)  # both replicas have built their snapshots now
    assert before_a["summary"] == before_b["summary"] == {"FAIL"}
    assert "fail" in before_b["badge"] and before_b["certificate"] == []
    assert post(monitor, [report(**passing())]).status_code == 201  # through A only
    after = state(b)
    assert after["summary"] == {"PASS"} and len(after["certificate"]) == 1
    assert "fail" not in after["badge"] and after["certificate"][0] in after["page"]
    assert state(a)["summary"] == {"PASS"}


def test_a_revocation_through_one_replica_drops_the_certificate_on_the_other(
    replicas: tuple[str, str], monitor: dict[str, Any]
) -> None:
    a, b = replicas
    assert post(monitor, [report(**passing())]).status_code == 201
    serial = state(b)["certificate"][0]
    assert 'class="facts certificate"' in state(b)["overview"]
    revoked = httpx.post(
        f"{a}/api/certificates/{serial}/revoke", json={"reason": "audit failed"}, auth=("admin", "admin-secret")
    )
    assert revoked.status_code == 200
    after = state(b)
    assert after["certificate"] == [] and 'class="facts certificate"' not in after["overview"]
    assert "revoked" in after["page"] and serial in after["page"]
    assert after["summary"] == {"PASS"}  # still passing: only the certificate went


def test_an_account_change_by_a_command_shows_on_both(replicas: tuple[str, str], monitor: dict[str, Any]) -> None:
    """`scs monitor account add` writes from yet another process: both replicas see the new name."""
    a, b = replicas
    assert post(monitor, [report(**passing())]).status_code == 201
    assert state(a)["display_name"] == state(b)["display_name"] == "cloud-a"
    with monitor["database"].session() as session:
        add_account(session, "cloud-a", [], {"display_name": "Cloud A Renamed"})
    for url in (a, b):
        assert state(url)["display_name"] == "Cloud A Renamed"
        assert "Cloud A Renamed" in httpx.get(f"{url}/").text


def test_conditional_gets_answer_304_until_something_changes(
    replicas: tuple[str, str], monitor: dict[str, Any]
) -> None:
    _, b = replicas
    assert post(monitor, [report(**passing())]).status_code == 201
    for path in ("/api/subjects", "/api/subjects/cloud-a"):
        first = httpx.get(f"{b}{path}")
        tag = first.headers["etag"]
        again = httpx.get(f"{b}{path}", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert httpx.get(f"{b}{path}", headers={"If-None-Match": '"other"'}).status_code == 200
    tag = httpx.get(f"{b}/api/subjects").headers["etag"]
    assert post(monitor, [report(**{**passing(), "scs-0100-syntax-check": -1})]).status_code == 201  # via A
    changed = httpx.get(f"{b}/api/subjects", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    row = next(r for r in changed.json() if r["subject"] == "cloud-a")
    assert row["scopes"][IAAS.uuid]["summary"] == "FAIL"


def test_unknown_subjects_stay_unknown_on_every_route(replicas: tuple[str, str]) -> None:
    _, b = replicas
    for path in ("/subjects/nobody", "/api/subjects/nobody", "/badges/nobody/scs-compatible-iaas.svg"):
        assert httpx.get(f"{b}{path}").status_code == 404, path
    assert httpx.get(f"{b}/status", params={"subject": "nobody"}).status_code == 404
    assert httpx.get(f"{b}/status", params={"subject": "group-acme"}).status_code == 200  # a group with members
