"""The JSON API and the pages built on it: reports (redaction and permissions), scopes, history,
certificates and revocation, groups, metrics, OpenAPI. Over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from scs_toolkit.standards import load_scope

from .helpers import IAAS, post, report

IAAS_SCOPE = load_scope("scs-compatible-iaas")


def all_required(on: dt.date, value: int = 1) -> dict[str, int]:
    """A result for every testcase some version listed on `on` requires."""
    return {tc: value for version in IAAS_SCOPE.selected_versions(on) for tc in version.required}


def get(monitor: dict[str, Any], path: str, user: str | None = None, **params: Any) -> httpx.Response:
    auth = (user, f"{user.split('-')[-1]}-secret") if user else None
    return httpx.get(f"{monitor['url']}{path}", params=params, auth=auth)


def untrusted_report(**results: int) -> dict[str, Any]:
    document = report(**results)
    invocation = document["run"]["invocations"]["i"]
    invocation["stdout"] = ["foo", "bar: PASS", "baz: ABORT", "<script>alert('out')</script>: FAIL"]
    invocation["stderr"] = ["INFO: x", "WARNING: y", "ERROR: <img src=x onerror=alert(1)>"]
    document["run"]["assignment"] = {"os_cloud": "internal-name"}
    document["details"] = {
        "scs-0100-syntax-check": {"result": "FAIL", "reason": "<b>bold</b> reason", "findings": [{"subject": "x"}]}
    }
    return document


def test_report_is_redacted_for_the_public_and_full_for_its_readers(monitor: dict[str, Any]) -> None:
    document = untrusted_report(**{"scs-0100-syntax-check": -1})
    assert post(monitor, [document]).status_code == 201
    path = f"/api/reports/{document['run']['uuid']}"
    public = get(monitor, path).json()
    invocation = public["run"]["invocations"]["i"]
    marker = "(the following has been redacted)"
    assert invocation["stdout"] == [marker, "bar: PASS", "baz: ABORT", "<script>alert('out')</script>: FAIL"]
    assert invocation["stderr"] == [marker, "WARNING: y", "ERROR: <img src=x onerror=alert(1)>"]
    assert public["run"]["assignment"] == marker and public["details"]["scs-0100-syntax-check"]["findings"] == marker
    assert public["redacted"] is True
    for reader in ("cloud-a", "auditor", "zuul"):  # subject, read_any, and (below) the uploader
        if reader == "zuul":
            other = report()
            assert post(monitor, [other], user="zuul", password="zuul-secret").status_code == 201
            full = get(monitor, f"/api/reports/{other['run']['uuid']}", user=reader, full="true")
            assert full.status_code == 200
            continue
        full = get(monitor, path, user=reader, full="true").json()
        assert full["run"]["invocations"]["i"]["stdout"][0] == "foo" and "redacted" not in full
    assert get(monitor, path, full="true").status_code == 401
    assert get(monitor, path, user="cloud-b", full="true").status_code == 403
    assert httpx.get(f"{monitor['url']}{path}", auth=("cloud-a", "wrong")).status_code == 401
    assert get(monitor, "/api/reports/no-such-report").status_code == 404


def test_report_page_shows_markup_as_text(monitor: dict[str, Any]) -> None:
    document = untrusted_report(**{"scs-0100-syntax-check": -1})
    assert post(monitor, [document]).status_code == 201
    page = get(monitor, f"/reports/{document['run']['uuid']}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;out&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; reason" in page and "internal-name" not in page
    full = get(monitor, f"/reports/{document['run']['uuid']}", user="cloud-a", full="1")
    assert full.status_code == 200 and "internal-name" in full.text and "(full)" in full.text
    assert get(monitor, f"/reports/{document['run']['uuid']}", full="1").status_code == 401


def test_details_link_failures_to_their_report_and_reason(monitor: dict[str, Any]) -> None:
    document = untrusted_report(**{"scs-0100-syntax-check": -1})
    assert post(monitor, [document]).status_code == 201
    details = get(monitor, "/api/subjects/cloud-a").json()
    testcase = details["scopes"][IAAS]["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]
    assert testcase["result"] == "FAIL" and testcase["reason"] == "<b>bold</b> reason"
    assert testcase["report"] == document["run"]["uuid"]
    page = get(monitor, "/subjects/cloud-a").text
    assert f'href="/reports/{document["run"]["uuid"]}#scs-0100-syntax-check"' in page
    assert get(monitor, "/api/subjects/nobody").status_code == 404


def test_scope_view_lists_versions_and_modules(monitor: dict[str, Any]) -> None:
    scope = get(monitor, "/api/scopes/scs-compatible-iaas").json()
    assert scope["uuid"] == IAAS
    versions = {v["name"]: v for v in scope["versions"]}
    assert set(versions) == {v.name for v in IAAS_SCOPE.versions}
    today = dt.date.today()
    for status in IAAS_SCOPE.statuses(today):
        assert versions[status.version]["state"] == status.state.value
    modules = {m["id"]: m for m in scope["modules"]}
    for version in IAAS_SCOPE.versions:
        for inclusion in version.includes:
            assert modules[inclusion.module.id]["versions"][version.name] is not None
    page = get(monitor, f"/scopes/{IAAS}").text
    assert "Scope versions →" in page and all(m in page for m in modules)
    assert get(monitor, "/api/scopes/../../etc/passwd").status_code == 404


def test_history_shows_each_day_as_of_then(monitor: dict[str, Any]) -> None:
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    passing = all_required(today.date())
    old_failure = report(checked_at=today - dt.timedelta(days=40), **{**passing, "scs-0100-syntax-check": -1})
    recent_pass = report(checked_at=today - dt.timedelta(days=3), **passing)
    assert post(monitor, [old_failure, recent_pass]).status_code == 201
    history = get(monitor, "/api/subjects/cloud-a/history", days=60).json()["days"]
    assert len(history) == 60 and history[-1]["date"] == today.date().isoformat()
    by_date = {dt.date.fromisoformat(d["date"]): d["summary"] for d in history}
    assert by_date[today.date() - dt.timedelta(days=50)] == "MISSING"
    assert by_date[today.date() - dt.timedelta(days=40)] == "FAIL"
    assert by_date[today.date() - dt.timedelta(days=4)] in ("FAIL", "MISSING")  # weekly results of day -40 expired
    assert by_date[today.date() - dt.timedelta(days=3)] == "PASS" and by_date[today.date()] == "PASS"
    assert len(get(monitor, "/api/subjects/cloud-a/history").json()["days"]) == 548
    assert get(monitor, "/api/subjects/cloud-a/history", days=0).status_code == 422
    page = get(monitor, "/subjects/cloud-a/history").text
    assert page.count("<svg") == 2 and 'class="day PASS"' in page and 'class="day FAIL"' in page


def test_certificate_issued_once_revoked_by_admin_and_listed(monitor: dict[str, Any]) -> None:
    passing = all_required(dt.date.today())
    assert post(monitor, [report(**passing)]).status_code == 201
    assert post(monitor, [report(**passing)]).status_code == 201
    issued = get(monitor, "/api/certificates", subject="cloud-a").json()
    effective = {s.version for s in IAAS_SCOPE.statuses(dt.date.today()) if s.state.value == "effective"}
    assert {c["version"] for c in issued} == effective and len(issued) == len(effective)
    certificate = issued[0]
    issued_at = dt.datetime.fromisoformat(certificate["issued_at"])
    assert dt.datetime.fromisoformat(certificate["expires_at"]) == issued_at.replace(year=issued_at.year + 1)
    assert certificate["state"] == "valid" and get(monitor, "/api/certificates/revoked").json()["certificates"] == []
    revoke = f"{monitor['url']}/api/certificates/{certificate['serial']}/revoke"
    assert httpx.post(revoke, json={"reason": "x"}).status_code == 401
    assert httpx.post(revoke, json={"reason": "x"}, auth=("cloud-a", "a-secret")).status_code == 403
    done = httpx.post(revoke, json={"reason": "manual check failed"}, auth=("admin", "admin-secret"))
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    assert httpx.post(revoke, json={"reason": "again"}, auth=("admin", "admin-secret")).status_code == 409
    unknown = f"{monitor['url']}/api/certificates/nope/revoke"
    assert httpx.post(unknown, json={"reason": "x"}, auth=("admin", "admin-secret")).status_code == 404
    crl = get(monitor, "/api/certificates/revoked").json()["certificates"]
    assert [c["serial"] for c in crl] == [certificate["serial"]] and crl[0][
        "revocation_reason"
    ] == "manual check failed"
    assert post(monitor, [report(**passing)]).status_code == 201  # passing again does not undo the revocation
    assert len(get(monitor, "/api/certificates", subject="cloud-a").json()) == len(effective)
    page = get(monitor, "/certificates").text
    assert certificate["serial"] in page and "manual check failed" in page


def test_failing_upload_issues_no_certificate(monitor: dict[str, Any]) -> None:
    assert post(monitor, [report(**all_required(dt.date.today(), value=-1))]).status_code == 201
    assert get(monitor, "/api/certificates").json() == []


def test_older_report_arriving_late_does_not_replace_newer_results(monitor: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    newer = report(checked_at=now - dt.timedelta(hours=1), **{"scs-0100-syntax-check": 1})
    older = report(checked_at=now - dt.timedelta(hours=5), **{"scs-0100-syntax-check": -1})
    assert post(monitor, [newer]).status_code == 201 and post(monitor, [older]).status_code == 201
    status = get(monitor, "/status", subject="cloud-a").json()["subjects"]["cloud-a"]
    assert status["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["result"] == "PASS"
    past = get(monitor, "/status", subject="cloud-a", at=(now - dt.timedelta(hours=3)).isoformat()).json()
    assert past["subjects"]["cloud-a"]["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["result"] == "FAIL"


def test_group_is_as_good_as_its_worst_member(monitor: dict[str, Any]) -> None:
    passing = all_required(dt.date.today())
    assert post(monitor, [report("cloud-a", **passing)]).status_code == 201
    group = get(monitor, "/status", subject="group-acme").json()["subjects"]["group-acme"]
    assert group["summary"] == "MISSING" and group["certified"] == []  # cloud-b has no results
    alone = get(monitor, "/status", subject="cloud-a").json()["subjects"]["cloud-a"]
    assert alone["summary"] == "PASS" and alone["certified"]
    assert (
        post(monitor, [report("cloud-b", **{**passing, "scs-0100-syntax-check": -1})], user="cloud-b").status_code
        == 201
    )
    group = get(monitor, "/status", subject="group-acme").json()["subjects"]["group-acme"]
    assert group["summary"] == "FAIL"
    assert group["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["result"] == "FAIL"
    assert post(monitor, [report("cloud-b", **passing)], user="cloud-b").status_code == 201
    group = get(monitor, "/status", subject="group-acme").json()["subjects"]["group-acme"]
    assert group["summary"] == "PASS" and group["certified"] == alone["certified"]
    assert get(monitor, "/api/subjects/group-acme/history", days=2).json()["days"][-1]["summary"] == "PASS"


def test_metrics_count_requests_by_route_and_reports(monitor: dict[str, Any]) -> None:
    assert post(monitor, [report()]).status_code == 201
    get(monitor, "/api/subjects/cloud-a")
    text = get(monitor, "/metrics").text
    assert 'scs_monitor_http_requests_total{method="POST",route="/reports",status="201"} 1.0' in text
    assert 'route="/api/subjects/{subject}"' in text and "cloud-a" not in text
    assert "scs_monitor_reports_received_total 1.0" in text and "scs_monitor_reports_stored 1.0" in text


def test_openapi_documents_the_json_api(monitor: dict[str, Any]) -> None:
    schema = get(monitor, "/openapi.json").json()
    for path in (
        "/reports",
        "/status",
        "/api/subjects",
        "/api/subjects/{subject}",
        "/api/subjects/{subject}/history",
        "/api/scopes/{scope}",
        "/api/reports/{report_uuid}",
        "/api/certificates",
        "/api/certificates/revoked",
        "/api/certificates/{serial}/revoke",
        "/badges/{subject}/{scope}.svg",
        "/healthz",
        "/metrics",
    ):
        assert path in schema["paths"], path
    assert "HistoryResponse" in schema["components"]["schemas"]
    assert "/subjects/{subject}" not in schema["paths"]  # HTML pages are not API


@pytest.mark.parametrize(
    "path", ["/", "/subjects/cloud-a", "/subjects/cloud-a/history", "/certificates", f"/scopes/{IAAS}"]
)
def test_pages_render(monitor: dict[str, Any], path: str) -> None:
    assert post(monitor, [report()]).status_code == 201
    page = get(monitor, path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_removed_api_key_stops_working_at_once_despite_the_verification_cache(monitor: dict[str, Any]) -> None:
    from scs_toolkit.monitor.db import Account

    document = report()
    assert post(monitor, [document]).status_code == 201  # cloud-a's key is now verified and cached
    path = f"/api/reports/{document['run']['uuid']}"
    assert get(monitor, path, user="cloud-a", full="true").status_code == 200
    with monitor["database"].session() as session:
        account = session.query(Account).filter_by(subject="cloud-a").one()
        account.api_keys.clear()
    assert get(monitor, path, user="cloud-a", full="true").status_code == 401
    assert post(monitor, [report()]).status_code == 401


def test_bad_query_parameters_get_a_clear_4xx(monitor: dict[str, Any]) -> None:
    bad_moment = get(monitor, "/status", subject="cloud-a", at="yesterday")
    assert bad_moment.status_code == 422 and "ISO date" in bad_moment.text
    unknown_scope = get(monitor, "/status", scope="scs-compatible-paas")
    assert unknown_scope.status_code == 404 and "scs-compatible-iaas" in unknown_scope.text  # names the known ones
    assert get(monitor, "/badges/cloud-a/nope.svg").status_code == 404
    assert get(monitor, "/api/reports", limit=0).status_code == 422


def test_every_timestamp_the_monitor_emits_is_timezone_aware_utc(monitor: dict[str, Any]) -> None:
    """Issue 12 (6): `"at": "2026-12-02T03:31:16.497819"` said nothing about its zone. A naive
    `checked_at` in a report is read as UTC (as before); everything emitted carries its offset."""
    naive = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)).replace(tzinfo=None, microsecond=0)
    document = report(checked_at=naive, **all_required(dt.date.today()))
    assert post(monitor, [document]).status_code == 201

    def utc(value: str) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value)
        assert moment.utcoffset() == dt.timedelta(0), value
        return moment

    status = get(monitor, "/status", subject="cloud-a").json()
    utc(status["at"])
    testcase = status["subjects"]["cloud-a"]["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]
    assert utc(testcase["checked_at"]) == naive.replace(tzinfo=dt.UTC)  # read as UTC
    utc(testcase["expires_at"])
    past = get(monitor, "/status", subject="cloud-a", at=(naive + dt.timedelta(minutes=1)).isoformat() + "+00:00")
    assert utc(past.json()["at"]) == (naive + dt.timedelta(minutes=1)).replace(tzinfo=dt.UTC)
    listed = get(monitor, "/api/reports").json()[0]
    assert utc(listed["checked_at"]) == naive.replace(tzinfo=dt.UTC) and utc(listed["received_at"]) >= utc(
        listed["checked_at"]
    )
    certificate = get(monitor, "/api/certificates").json()[0]
    utc(certificate["issued_at"]), utc(certificate["expires_at"])
    utc(get(monitor, "/api/certificates/revoked").json()["generated_at"])
    details = get(monitor, "/api/subjects/cloud-a").json()
    utc(details["scopes"][IAAS]["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["checked_at"])
    iso = naive.replace(tzinfo=dt.UTC).isoformat()
    assert f'<time datetime="{iso}">' in get(monitor, "/subjects/cloud-a").text
    assert f'<time datetime="{iso}">' in get(monitor, f"/reports/{document['run']['uuid']}").text
    assert '<time datetime="' in get(monitor, "/").text and "+00:00" in get(monitor, "/").text
    assert f'<time datetime="{utc(certificate["issued_at"]).isoformat()}">' in get(monitor, "/certificates").text
