"""Public pages, feeds and badges over real HTTP: content from data, escaping, what a page tells at a
glance (certified since/until, counts, last check, 30/90-day shares, "not offered"), HTML errors
for browsers and JSON for API clients, self-hosted API docs, cache headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import yaml
from sqlalchemy import select

from scs_toolkit._serving import BackgroundServer
from scs_toolkit._web import wants_html
from scs_toolkit.monitor import views
from scs_toolkit.monitor.accounts import hash_api_key, load_accounts, sync_accounts
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, Result, migrate
from scs_toolkit.monitor.services import status
from scs_toolkit.monitor.services.evaluation import certified_days
from scs_toolkit.monitor.services.status import ComplianceCache
from scs_toolkit.standards import load_scope

from .helpers import keypair, post, report

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
REQUIRED = load_scope("scs-compatible-iaas").version("v5.1").required
KAAS = load_scope("scs-compatible-kaas").uuid


def account(subject: str, public: str, **meta: Any) -> dict[str, Any]:
    key_type, key = public.split()[:2]
    return {
        "subject": subject,
        "api_keys": [hash_api_key(f"{subject.split('-')[-1]}-secret")],
        "keys": [{"public_key": key, "public_key_type": key_type, "public_key_name": "k"}],
        **meta,
    }


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    database = Database(url)
    keys = {name: keypair(tmp_path, name) for name in ("cloud-a", "cloud-b", "cloud-k")}
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    account(
                        "cloud-a",
                        keys["cloud-a"][1],
                        display_name="Cloud <A>",
                        description="<script>alert('x')</script> & friends",
                        operator="ACME",
                        layer="IaaS",
                        healthmon_url="javascript:alert(1)",
                    ),
                    account(
                        "cloud-b", keys["cloud-b"][1], display_name="Cloud B", healthmon_url="https://health.example/b"
                    ),
                    account(
                        "cloud-k", keys["cloud-k"][1], display_name="Kube K", operator="=cmd|' /C calc'!A0", group="k8s"
                    ),
                ]
            }
        )
    )
    with database.session() as session:
        sync_accounts(session, load_accounts(accounts))
    app = create_app(database)
    with BackgroundServer(app) as server:
        yield {"url": server.url, "app": app, "database": database, "keys": {n: key for n, (key, _) in keys.items()}}
    app.state.compliance.close()
    database.close()


def get(site: dict[str, Any], path: str, accept: str = "*/*", **params: Any) -> httpx.Response:
    return httpx.get(site["url"] + path, params=params, headers={"Accept": accept})


def days_ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days, minutes=1)


def passing(subject: str = "cloud-a", at: dt.datetime | None = None, **overrides: int) -> dict[str, Any]:
    return report(subject, at, **{**dict.fromkeys(REQUIRED, 1), **overrides})


def section(html: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}".*?</table>', html, flags=re.DOTALL)
    assert match, table_id
    return match.group(0)


def row(html: str, subject: str) -> str:
    match = re.search(rf'<tr data-subject="{subject}">.*?</tr>', html, flags=re.DOTALL)
    assert match, subject
    return match.group(0)


def test_overview_splits_certified_from_the_rest_with_the_facts_and_escapes(site: dict[str, Any]) -> None:
    checked = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=2, seconds=30)
    assert post(site, [passing(at=checked)]).status_code == 201
    failing = report("cloud-b", **{**dict.fromkeys(REQUIRED, 1), "scs-0100-syntax-check": -1})
    assert post(site, [failing], user="cloud-b").status_code == 201
    page = get(site, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Cloud &lt;A&gt;" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html  # unsafe link dropped
    assert 'href="https://health.example/b"' in html and 'src="https://health.example/b/badge.svg"' in html
    certified, others = section(html, "certified"), section(html, "not-certified")
    assert 'data-subject="cloud-a"' in certified and 'data-subject="cloud-a"' not in others
    assert 'data-subject="cloud-b"' in others and 'data-subject="cloud-k"' in others
    a = row(certified, "cloud-a")
    iaas, kaas = a.split(f'data-scope="{KAAS}"')
    today = dt.datetime.now(dt.UTC).date()
    assert "PASS" in iaas and "v5.1" in iaas and f"all {len(REQUIRED)} passing" in iaas
    assert "certified <span>since <time" in iaas and f">{today}</time>" in iaas  # issued now ...
    assert f">{today.replace(year=today.year + 1)}</time>" in iaas  # ... valid a year
    assert "last check" in iaas and ">2 min ago<" in iaas  # the report is 2.5 minutes old
    assert "<!--clock" not in html and re.search(r"As of <time datetime=\"20\d\d-[^\"]+\+00:00\">20", html)
    # an IaaS account under KaaS: not offered (its declared layer), never MISSING
    assert "NOT-OFFERED" in kaas and "MISSING" not in kaas and "declares layer IaaS" in kaas
    b = row(others, "cloud-b")
    assert f"1 of {len(REQUIRED)} failing" in b and "FAIL" in b
    assert "NOT-OFFERED" in b.split(f'data-scope="{KAAS}"')[1]  # no layer: decided from its reports (IaaS only)
    k = row(others, "cloud-k")
    assert (
        k.count('class="scope MISSING"') == 2 and "NOT-OFFERED" not in k
    )  # no layer and no report yet: expected everywhere


def test_a_cached_page_gets_the_clock_of_each_request_and_data_cannot_forge_a_clock_mark() -> None:
    checked = dt.datetime(2026, 4, 10, 12)
    forged = "<!--clock ago 2026-04-10T12:00:00+00:00-->"  # as an account's description might say
    page = views.render_unclocked("error.html", status_code=200, title=forged, message="m", nav_scopes=[])
    page += str(views.ago_mark(checked)) + str(views.clock_mark("utc")) + str(views.ago_mark(None))
    at_two = views.fill_clock(page, dt.datetime(2026, 4, 10, 14, 0, 5, tzinfo=dt.UTC))
    at_three = views.fill_clock(page, dt.datetime(2026, 4, 10, 15, 1, tzinfo=dt.UTC))
    assert at_two.endswith("2 h ago2026-04-10 14:00:05 UTCnever")
    assert at_three.endswith("3 h ago2026-04-10 15:01:00 UTCnever")
    assert "&lt;!--clock ago 2026-04-10T12:00:00+00:00--&gt;" in at_two  # escaped data stays as it was
    assert "<!--clock" not in at_two


def test_overview_filters_by_group_and_operator(site: dict[str, Any]) -> None:
    html = get(site, "/", group="k8s").text
    assert 'data-subject="cloud-k"' in html and 'data-subject="cloud-a"' not in html
    html = get(site, "/", operator="ACME").text
    assert 'data-subject="cloud-a"' in html and 'data-subject="cloud-k"' not in html
    assert '<option value="k8s">k8s</option>' in get(site, "/").text  # the choices come from the accounts
    assert "None with this filter" in get(site, "/", group="nobody").text
    assert get(site, "/", group="x" * 300).status_code == 422


def test_compliance_share_over_30_and_90_days_and_its_cache_follows_new_reports(site: dict[str, Any]) -> None:
    """Daily reports for 30 days: 19 passing, then 11 failing one testcase: 19 of 30 days certified."""
    documents = [passing(at=days_ago(k)) for k in range(29, 10, -1)]
    documents += [passing(at=days_ago(k), **{"scs-0100-syntax-check": -1}) for k in range(10, -1, -1)]
    assert post(site, documents).status_code == 201
    rows = {(r["subject"], r["scope_name"]): r for r in get(site, "/api/feed.json").json()["rows"]}
    a = rows["cloud-a", "SCS-compatible IaaS"]
    assert a["compliance_30d"] == pytest.approx(19 / 30, abs=1e-3)
    assert a["compliance_90d"] == pytest.approx(19 / 30, abs=1e-3)  # days before the first report do not count
    assert a["state"] == "FAIL" and a["failing"] == 1 and a["listed_as"] == "not certified"
    assert "63 % of 30 d" in row(get(site, "/").text, "cloud-a")
    assert (
        "Certified at the end of 63 % of the last 30 days and 63 % of the last 90"
        in get(site, "/subjects/cloud-a").text
    )
    assert rows["cloud-a", "SCS-compatible KaaS"]["compliance_30d"] is None  # not offered
    assert post(site, [passing(at=days_ago(0) + dt.timedelta(seconds=30))]).status_code == 201  # fixed today
    html = get(site, "/").text
    assert "67 % of 30 d" in row(section(html, "certified"), "cloud-a")  # 20 of 30: recomputed, not cached


def test_compliance_from_whole_checks_agrees_with_the_sweep_over_every_result(site: dict[str, Any]) -> None:
    """The overview's fast path (one row per check moment) against the full sweep, on a history with a
    failing stretch, an ABORT, two reports at one moment and a gap long enough for results to expire;
    a check covering only part of a version sends it back to the sweep."""
    offsets = [60, 59, 58, 40, 39, 38, 20, 19, 10, 9, 8, 2, 1]
    documents = [passing(at=days_ago(k)) for k in offsets]
    documents += [passing(at=days_ago(k), **{"scs-0100-syntax-check": -1}) for k in (39, 9)]
    documents += [passing(at=days_ago(19), **{"scs-0101-entropy-avail": 0})]
    assert post(site, documents).status_code == 201
    scope = load_scope("scs-compatible-iaas")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    dates = [now.date() - dt.timedelta(days=k) for k in range(89, -1, -1)]
    start = dt.datetime.combine(dates[0], dt.time()) - status.lookback(scope)
    with site["database"].session() as db:
        fast = status.certified_by_check(db, "cloud-a", scope, start, now, dates)
        rows = [(t, v, c) for t, v, c in db.execute(select(Result.testcase, Result.value, Result.checked_at))]
        assert fast is not None and fast == certified_days(scope, rows, dates, now)
        assert any(fast) and not all(fast), "the history must hold certified and uncertified days"
    assert post(site, [report(checked_at=days_ago(0), **{"scs-0100-syntax-check": 1})]).status_code == 201
    with site["database"].session() as db:
        assert status.certified_by_check(db, "cloud-a", scope, start, now, dates) is None  # a partial check


def test_a_cold_cache_never_holds_up_the_overview(site: dict[str, Any]) -> None:
    """With no time left in a request (a cold start with many subjects), the shares are computed in
    the background: the page says so, and shows them once they are there."""
    assert post(site, [passing(at=days_ago(k)) for k in (2, 1)]).status_code == 201
    site["app"].state.compliance = cache = ComplianceCache(site["database"], budget_s=0)
    try:
        assert "computing…" in row(get(site, "/").text, "cloud-a")
        cache.drained()
        assert "100 % of 30 d" in row(get(site, "/").text, "cloud-a")
        feed = get(site, "/api/feed.json").json()["rows"]  # machine readers wait for the numbers
        assert next(r for r in feed if r["subject"] == "cloud-a" and r["offered"])["compliance_90d"] == 1.0
    finally:
        cache.close()


def test_feed_as_json_and_csv(site: dict[str, Any]) -> None:
    assert post(site, [passing()]).status_code == 201
    feed = get(site, "/api/feed.json").json()
    assert {(r["subject"], r["scope_name"]) for r in feed["rows"]} == {
        (s, n) for s in ("cloud-a", "cloud-b", "cloud-k") for n in ("SCS-compatible IaaS", "SCS-compatible KaaS")
    }
    a = next(r for r in feed["rows"] if r["subject"] == "cloud-a" and r["offered"])
    assert a["state"] == "PASS" and a["certified_versions"] == ["v5.1"] and a["listed_as"] == "certified"
    assert a["certified_since"].endswith("Z") and a["certified_until"] > a["certified_since"]
    assert a["required"] == len(REQUIRED) and a["failing"] == a["missing"] == 0
    assert a["page"] == "/subjects/cloud-a"
    reply = get(site, "/api/feed.csv")
    assert reply.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(reply.text)))
    assert len(lines) == len(feed["rows"])
    k = next(line for line in lines if line["subject"] == "cloud-k")
    assert k["operator"].startswith("'=")  # a formula from an account's text stays text in a spreadsheet
    a_csv = next(line for line in lines if line["subject"] == "cloud-a" and line["offered"] == "True")
    assert a_csv["certified_versions"] == "v5.1" and a_csv["state"] == "PASS"
    assert "/api/feed.json" in get(site, "/openapi.json").json()["paths"]


def test_subject_page_summary_first_then_the_matrix_by_standard(site: dict[str, Any]) -> None:
    document = passing(**{"scs-0100-syntax-check": -1})
    document["details"] = {"scs-0100-syntax-check": {"result": "FAIL", "reason": "bad <name> SCS-x"}}
    assert post(site, [document]).status_code == 201
    html = get(site, "/subjects/cloud-a").text
    assert f"1 of {len(REQUIRED)} required testcases failing" in html
    todo = html.split('<ul class="todo">')[1].split("</ul>")[0]
    assert 'data-testcase="scs-0100-syntax-check"' in todo and "bad &lt;name&gt; SCS-x" in todo
    assert "What to do: Rename the flavor" in todo  # the check's remediation hint
    assert f'href="/reports/{document["run"]["uuid"]}#scs-0100-syntax-check"' in todo  # the deciding report
    url = load_scope("scs-compatible-iaas").testcases["scs-0100-syntax-check"].url
    assert f'<a class="testcase" href="{url}">scs-0100-syntax-check</a>' in html  # the id links to its standard
    flavors = re.search(r'<details class="standard" data-standard="scs-0100-v3.1" open>', html)
    assert flavors, "the failing standard is expanded"
    assert re.search(r'<details class="standard" data-standard="scs-0101-v1">', html)  # passing ones collapsed
    assert html.index('class="summary-box"') < html.index('class="standard"')  # summary first
    assert "declares layer IaaS" in html  # KaaS: not offered, said why
    operations = re.search(r'<a href="(/status/pages/clouds/[^"]+)">Operations', html)
    assert operations, "the subject page links to the cloud's status page"
    cloud = get(site, operations.group(1), accept=BROWSER)
    assert cloud.status_code == 200 and "cloud-a" in cloud.text and "<html" in cloud.text


def test_subject_page_shows_its_certificates_with_validity(site: dict[str, Any]) -> None:
    assert post(site, [passing()]).status_code == 201
    html = get(site, "/subjects/cloud-a").text
    table = html.split('<table class="certificates cards">')[1].split("</table>")[0]
    today = dt.datetime.now(dt.UTC).date()
    assert (
        "v5.1" in table
        and "valid" in table
        and str(today) in table
        and str(today.replace(year=today.year + 1)) in table
    )
    assert "certified since <time" in html


def test_history_draws_nothing_before_the_first_report_and_lists_changes(site: dict[str, Any]) -> None:
    documents = [passing("cloud-b", days_ago(5)), passing("cloud-b", days_ago(4))]
    failing = passing("cloud-b", days_ago(2), **{"scs-0100-syntax-check": -1})
    assert post(site, [*documents, failing], user="cloud-b").status_code == 201
    html = get(site, "/subjects/cloud-b/history").text
    wide = html.split('<div class="chart-wide">')[1].split("</svg>")[0]
    nodata = re.search(r'<rect class="nodata" x="150" y="2" width="([\d.]+)"', wide)
    assert nodata, "a no-data band"
    day = (1000 - 150 - 10) / 30  # the chart shows 30 days, 24 of them before the first report (5 days ago)
    assert float(nodata.group(1)) == pytest.approx(24 * day, abs=0.1)
    assert ">no data</text>" in wide
    first_bar = min(float(x) for x in re.findall(r'<rect class="day [A-Z]+" data-row="summary" x="([\d.]+)"', wide))
    assert first_bar == pytest.approx(150 + 24 * day, abs=0.1)  # nothing drawn before the first report
    assert 'class="change"' in wide and ">FAIL</text>" in wide
    changes = html.split('<table class="changes">')[1].split("</table>")[0]
    assert "Certification" in changes and f'href="/reports/{failing["run"]["uuid"]}"' in changes
    assert "No data: no report on this scope yet." in html  # KaaS
    assert get(site, "/subjects/cloud-b/history", days=0).status_code == 422


def test_browsers_get_html_error_pages_and_api_clients_json(site: dict[str, Any]) -> None:
    page = get(site, "/subjects/nobody", accept=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "404 · Not found" in page.text and "unknown subject &#39;nobody&#39;" in page.text
    assert 'href="/static/monitor.css"' in page.text
    api = get(site, "/subjects/nobody")
    assert api.status_code == 404 and api.json() == {"detail": "unknown subject 'nobody'"}
    assert get(site, "/api/subjects/nobody", accept="application/json").json()["detail"] == "unknown subject 'nobody'"
    assert get(site, "/no/such/page", accept=BROWSER).text.count("404") >= 1
    invalid = get(site, "/api/reports", accept=BROWSER, limit="many")
    assert (
        invalid.status_code == 422
        and "limit" in invalid.text
        and invalid.headers["content-type"].startswith("text/html")
    )
    assert get(site, "/api/reports", limit="many").json()["detail"][0]["loc"] == ["query", "limit"]
    login = get(site, f"/reports/{'x' * 8}", accept=BROWSER, full="1")
    assert login.status_code == 404  # unknown report first; a known one asks for a login:
    assert post(site, [passing()]).status_code == 201
    uuid = get(site, "/api/reports").json()[0]["uuid"]
    login = get(site, f"/reports/{uuid}", accept=BROWSER, full="1")
    assert login.status_code == 401 and login.headers["www-authenticate"].startswith("Basic")
    assert "401 · Login required" in login.text


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html", False),
        ("text/html, application/json", True),
        ("text/html;q=0.5, application/json", False),
        ("application/problem+json, text/html;q=0.9", False),
        ("text/html;q=nonsense", False),
    ],
)
def test_which_clients_count_as_browsers(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


def test_api_docs_and_their_assets_come_from_the_monitor_itself(site: dict[str, Any]) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = get(site, path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources  # nothing from another host
        assert f"/apidocs/{asset}" in sources and "<script>" not in page.text  # no inline script
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-eval" not in policy and "cdn" not in policy
        assert ("'unsafe-inline'" in policy) == (path == "/redoc")  # ReDoc writes <style> elements; Swagger UI not
    bundle = get(site, "/apidocs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000 and "max-age" in bundle.headers["cache-control"]
    assert get(site, "/apidocs/../../../etc/passwd").status_code == 404
    assert get(site, "/apidocs/core.py").status_code == 404  # only the listed files
    assert get(site, "/openapi.json").json()["info"]["title"].startswith("SCS compliance monitor")


def test_favicon_and_stylesheet(site: dict[str, Any]) -> None:
    icon = get(site, "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert ElementTree.fromstring(icon.text).tag == "{http://www.w3.org/2000/svg}svg"
    css = get(site, "/static/monitor.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text and "max-width: 700px" in css.text
    page = get(site, "/")
    assert '<link rel="icon" href="/static/favicon.svg"' in page.text and "<style>" not in page.text
    assert "style-src 'self';" in page.headers["content-security-policy"]


def test_badge(site: dict[str, Any]) -> None:
    reply = httpx.get(site["url"] + "/badges/cloud-b/scs-compatible-iaas.svg")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    assert "max-age" in reply.headers["cache-control"]
    svg = ElementTree.fromstring(reply.text)
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "SCS-compatible IaaS: missing"  # type: ignore[union-attr]
    assert httpx.get(site["url"] + "/badges/cloud-b/nope.svg").status_code == 404
    # cloud-a declares layer IaaS: its KaaS badge says "not offered", not a grey "missing" defect
    kaas = ElementTree.fromstring(httpx.get(site["url"] + "/badges/cloud-a/scs-compatible-kaas.svg").text)
    assert kaas.find("{http://www.w3.org/2000/svg}title").text == "SCS-compatible KaaS: not offered"  # type: ignore[union-attr]
    # cloud-k has no layer and no report yet: expected everywhere, so missing
    k = ElementTree.fromstring(httpx.get(site["url"] + "/badges/cloud-k/scs-compatible-kaas.svg").text)
    assert k.find("{http://www.w3.org/2000/svg}title").text == "SCS-compatible KaaS: missing"  # type: ignore[union-attr]
    assert httpx.get(site["url"] + "/status", params={"scope": "/etc/passwd"}).status_code == 404


def test_scope_references_are_never_read_as_files(site: dict[str, Any]) -> None:
    """A valid scope file whose path is as long as a uuid must still not be loaded from a request."""
    path = Path("/tmp") / ("s" * 26 + ".yaml")
    assert len(str(path)) == 36
    bundled = resources.files("scs_toolkit.standards").joinpath("data", "scopes", "scs-compatible-kaas.yaml")
    path.write_text(bundled.read_text(encoding="utf-8"))
    assert load_scope(str(path)).name == "SCS-compatible KaaS"  # a scope the loader itself would accept
    try:
        assert httpx.get(site["url"] + "/status", params={"scope": str(path)}).status_code == 404
    finally:
        path.unlink()
