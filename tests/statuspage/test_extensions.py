"""The additive extensions: structured RCAs, uptime over a range, Atom feeds, signed webhooks."""

from __future__ import annotations

import datetime as dt
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.db import Database
from scs_toolkit.statuspage.app import PageSettings, create_standalone_app
from scs_toolkit.statuspage.services.catalog import Band, bands
from scs_toolkit.statuspage.services.timeline import Interval, daily_worst, uptime
from scs_toolkit.statuspage.services.webhooks import verify

from .conftest import CLI, StatusPage, make_tokens

ATOM = "{http://www.w3.org/2005/Atom}"
H = dt.datetime(2026, 3, 1)


def _component(page: StatusPage) -> str:
    with page.client("admin") as admin:
        return str(admin.post("/components", json={"displayName": "Compute", "labels": {}}).json()["id"])


def _incident(
    page: StatusPage, component: str, severity: int, began: str, ended: str | None, kind: str = "Unknown"
) -> str:
    impact = {"reference": component, "type": page.seeded()["types"][kind], "severity": severity}
    body: dict[str, Any] = {"displayName": f"sev {severity}", "beganAt": began, "affects": [impact]}
    if ended:
        body["endedAt"] = ended
    with page.client("writer") as writer:
        answer = writer.post("/incidents", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_an_rca_is_a_draft_until_published_and_only_writers_write_it(standalone: StatusPage) -> None:
    component = _component(standalone)
    incident = _incident(standalone, component, 80, "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z")
    rca = {
        "summary": "Power loss in AZ 2",
        "rootCause": "A breaker",
        "correctiveActions": "Replaced it",
        "published": False,
    }
    with standalone.client("machine") as machine:
        assert machine.put(f"/incidents/{incident}/rca", json=rca).status_code == 403  # an RCA is a person's account
    with standalone.client("writer") as writer:
        assert writer.put(f"/incidents/{incident}/rca", json=rca).status_code == 204
        draft = writer.get(f"/incidents/{incident}/rca").json()
        assert draft["published"] is False and draft["author"] == "ops-writer" and "publishedAt" not in draft
    assert httpx.get(f"{standalone.url}/incidents/{incident}/rca").status_code == 404
    assert "No RCA published yet" in httpx.get(f"{standalone.url}/pages/incidents/{incident}").text
    with standalone.client("writer") as writer:
        assert writer.put(f"/incidents/{incident}/rca", json={**rca, "published": True}).status_code == 204
        assert writer.put(f"/incidents/{incident}/rca", json={"summary": 5}).status_code == 400
    public = httpx.get(f"{standalone.url}/incidents/{incident}/rca").json()
    assert public["rootCause"] == "A breaker" and public["published"] is True and public["publishedAt"]
    page = httpx.get(f"{standalone.url}/pages/incidents/{incident}").text
    assert "Power loss in AZ 2" in page and "Replaced it" in page
    with standalone.client("writer") as writer:
        assert writer.delete(f"/incidents/{incident}/rca").status_code == 204
        assert writer.delete(f"/incidents/{incident}/rca").status_code == 404


SCALE = [
    Band("maintenance", -1, 0, 0),
    Band("operational", 0, 33, 1),
    Band("limited", 33, 66, 2),
    Band("broken", 66, 100, 3),
]


def test_uptime_weighs_time_by_the_worst_active_band_and_leaves_maintenance_out() -> None:
    start, end = H, H + dt.timedelta(hours=10)
    intervals = [
        Interval(H + dt.timedelta(hours=1), H + dt.timedelta(hours=3), 80),  # 2 h broken
        Interval(H + dt.timedelta(hours=2), H + dt.timedelta(hours=4), 50),  # overlaps: 1 h more limited
        Interval(H + dt.timedelta(hours=6), H + dt.timedelta(hours=8), 0),  # 2 h maintenance
        Interval(H - dt.timedelta(hours=5), H + dt.timedelta(minutes=30), 10),  # clipped to 30 min
        Interval(H + dt.timedelta(hours=9), None, 70),  # still running: 1 h broken
    ]
    figures = uptime(intervals, start, end, SCALE, include_maintenance=False)
    assert figures.seconds == {
        "none": 3.5 * 3600,
        "operational": 0.5 * 3600,  # severity 10: an impact, in the band named "operational"
        "broken": 3 * 3600,
        "limited": 3600,
        "maintenance": 2 * 3600,
    }
    assert figures.uptime == pytest.approx(1 - 3 / 8)  # 3 h down of 8 measured
    assert figures.unaffected == pytest.approx(1 - 4.5 / 8)
    with_maintenance = uptime(intervals, start, end, SCALE, include_maintenance=True)
    assert with_maintenance.uptime == pytest.approx(1 - 5 / 10)
    assert uptime([], start, end, SCALE, False).uptime == 1.0


def test_daily_worst_is_the_highest_severity_of_each_day() -> None:
    days = [dt.date(2026, 3, d) for d in range(1, 6)]
    worst = daily_worst(
        [
            Interval(H + dt.timedelta(hours=23), H + dt.timedelta(days=1, hours=1), 40),  # 1st and 2nd
            Interval(H + dt.timedelta(days=1, hours=5), H + dt.timedelta(days=1, hours=6), 90),  # 2nd
            Interval(H + dt.timedelta(days=2), H + dt.timedelta(days=3), 0),  # the 3rd only (ends at midnight)
            Interval(H + dt.timedelta(days=4, hours=3), None, 20),  # 5th, running
        ],
        days,
    )
    assert worst == {days[0]: 40, days[1]: 90, days[2]: 0, days[3]: None, days[4]: 20}


def test_bands_come_from_the_severity_table() -> None:
    class Row:
        def __init__(self, name: str, value: int) -> None:
            self.display_name, self.value = name, value

    scale = bands([Row("broken", 100), Row("ok", 25), Row("maintenance-ish", 0)])  # type: ignore[list-item]
    assert [(b.name, b.low, b.high) for b in scale] == [("maintenance", -1, 0), ("ok", 0, 25), ("broken", 25, 100)]


def test_uptime_over_the_api(standalone: StatusPage) -> None:
    component = _component(standalone)
    _incident(standalone, component, 90, "2026-03-01T01:00:00Z", "2026-03-01T03:00:00Z")
    _incident(standalone, component, 0, "2026-03-01T05:00:00Z", "2026-03-01T07:00:00Z", "Maintenance")
    params = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-01T10:00:00Z"}
    data = httpx.get(f"{standalone.url}/components/{component}/uptime", params=params).json()
    assert data["uptime"] == pytest.approx(1 - 2 / 8) and data["seconds"]["maintenance"] == 7200
    counted = httpx.get(
        f"{standalone.url}/components/{component}/uptime", params={**params, "includeMaintenance": "true"}
    )
    assert counted.json()["uptime"] == pytest.approx(1 - 4 / 10)
    backwards = httpx.get(
        f"{standalone.url}/components/{component}/uptime", params={"start": params["end"], "end": params["start"]}
    )
    assert backwards.status_code == 400


def test_atom_feeds_list_incidents_per_page_and_per_component(standalone: StatusPage) -> None:
    a, b = _component(standalone), _component(standalone)
    first = _incident(standalone, a, 80, "2026-03-01T10:00:00Z", None)
    _incident(standalone, b, 40, "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")
    with standalone.client("writer") as writer:
        writer.post(
            f"/incidents/{first}/updates", json={"displayName": "Identified", "description": "<b>disk</b> & co"}
        )
    answer = httpx.get(f"{standalone.url}/feed.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    titles = sorted(e.findtext(f"{ATOM}title") or "" for e in entries)
    assert titles == ["[ongoing] sev 80", "[resolved] sev 40"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert f"http://status.example/pages/incidents/{first}" in links  # the configured public URL
    content = next(e.findtext(f"{ATOM}content") for e in entries if first in (e.findtext(f"{ATOM}id") or ""))
    assert "Identified: <b>disk</b> & co" in (content or "")  # text, escaped by the XML writer
    one = ET.fromstring(httpx.get(f"{standalone.url}/components/{a}/feed.atom").content)
    assert [e.findtext(f"{ATOM}id") for e in one.findall(f"{ATOM}entry")] == [f"urn:uuid:{first}"]


class Receiver:
    """A webhook receiver on loopback that records deliveries and signals each one."""

    def __init__(self, status: int = 200) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        self.status = status

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.arrived:
                self.deliveries.append((dict(request.headers), body))
                self.arrived.notify_all()
            return Response(status_code=self.status)

        self.server = BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=30)
            return list(self.deliveries)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    created = Receiver()
    with created.server:
        yield created


def test_webhooks_are_signed_and_announce_create_update_and_resolve(database: Database, receiver: Receiver) -> None:
    from scs_toolkit.statuspage.services import webhooks

    secret = "s3cret-for-the-hmac-key"
    with database.session() as db:
        webhooks.add(db, CLI, f"{receiver.server.url}/hook", secret)
        with pytest.raises(Exception, match="16 to 256"):
            webhooks.add(db, CLI, f"{receiver.server.url}/hook", "short")
    tokens = make_tokens(database)
    app = create_standalone_app(database, PageSettings(public_url="http://status.example"))
    with (
        BackgroundServer(app) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens['writer']}"}) as writer,
    ):
        incident = writer.post("/incidents", json={"displayName": "Outage"}).json()["id"]
        writer.post(f"/incidents/{incident}/updates", json={"displayName": "Fixing"})
        writer.patch(f"/incidents/{incident}", json={"endedAt": "2999-01-01T00:00:00Z"})
        refused = writer.patch(f"/incidents/{incident}", json={"endedAt": "1999-01-01T00:00:00Z"})
        assert refused.status_code == 400  # refused writes announce nothing
        deliveries = receiver.wait_for(3)
    events = []
    for headers, body in deliveries:
        assert verify(secret, headers["x-scs-timestamp"], body, headers["x-scs-signature"])
        assert not verify("another-secret-of-16", headers["x-scs-timestamp"], body, headers["x-scs-signature"])
        payload = json.loads(body)
        assert payload["event"] == headers["x-scs-event"] and payload["incident"]["id"] == incident
        assert payload["url"] == f"http://status.example/pages/incidents/{incident}"
        events.append(payload["event"])
    assert events == ["incident.created", "incident.updated", "incident.resolved"]
    assert secret not in json.dumps([json.loads(b) for _, b in deliveries])
