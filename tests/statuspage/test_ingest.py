"""Health alerts -> incidents, through the real bridge and the real server with synthetic iterations:
one incident per symptom, updates while it lasts, resolution after N clean iterations, recurrences,
"propose" mode with confirm and dismiss, a person's decision respected, and refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from scs_toolkit.health import Alert, IterationResult, StepResult
from scs_toolkit.health._incidents import BridgeSettings, StatusPageBridge, evidence_url

from .conftest import StatusPage

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class Cloud:
    """Iterations of one cloud, fed through the bridge as the health monitor would."""

    def __init__(self, page: StatusPage, name: str = "east", mode: str = "open", who: str = "machine") -> None:
        self.page, self.name, self.number = page, name, 0
        self.bridge = StatusPageBridge(
            BridgeSettings(page.url, page.tokens[who], "http://health.example", mode=mode, resolve_after=3)
        )

    def iterate(self, *rules: tuple[str, str], ok: bool | None = None) -> dict[str, Any]:
        self.number += 1
        started = T0 + dt.timedelta(minutes=5 * self.number)
        steps = (StepResult("login", ok if ok is not None else not rules, 0.1, None if not rules else "boom"),)
        result = IterationResult(self.name, self.number, started, 1.0, steps, ())
        firing = [Alert(self.name, rule, True, message, T0) for rule, message in rules]
        self.bridge(result, firing)
        return self.bridge.last.get(self.name, {})


def _component(page: StatusPage, cloud: str) -> str:
    with page.client("admin") as admin:
        return str(
            admin.post("/components", json={"displayName": f"{cloud} IaaS", "labels": {"cloud": cloud}}).json()["id"]
        )


def _incident(page: StatusPage, incident: str, who: str | None = None) -> httpx.Response:
    with page.client(who) as client:
        return client.get(f"/incidents/{incident}")


def _updates(page: StatusPage, incident: str) -> list[dict[str, Any]]:
    with page.client("writer") as client:
        return list(client.get(f"/incidents/{incident}/updates").json()["data"])


ERRORS = ("error-rate:compute", "compute: 40% of 20 API calls failed in the last 15 min (limit 5%)")


def test_a_symptom_opens_one_incident_updates_it_and_resolves_after_clean_iterations(standalone: StatusPage) -> None:
    component = _component(standalone, "east")
    cloud = Cloud(standalone)
    first = cloud.iterate(ERRORS)
    [incident] = first["opened"]
    data = _incident(standalone, incident).json()["data"]  # public at once, anonymous readers see it
    assert data["displayName"] == "east: compute API requests fail"
    assert data["affects"][0]["reference"] == component and data["affects"][0]["severity"] == 60
    assert data["phase"] == {"generation": 1, "order": 1}  # Investigation ongoing
    assert data["beganAt"] == "2026-03-01T12:00:00Z" and "endedAt" not in data
    [detected] = _updates(standalone, incident)
    assert (
        "40% of 20 API calls" in detected["description"]
        and "http://health.example/clouds/east?start=" in (detected["description"])
    )
    active = httpx.get(f"{standalone.url}/components/{component}").json()["data"]["activelyAffectedBy"]
    assert [i["reference"] for i in active] == [incident]

    same = cloud.iterate(ERRORS)  # the same message soon after: deduplicated, no new update
    assert same["opened"] == [] and same["updated"] == []
    worse = cloud.iterate(("error-rate:compute", "compute: 70% of 30 API calls failed"))
    assert worse["updated"] == [incident]
    assert len(_updates(standalone, incident)) == 2

    assert cloud.iterate()["resolved"] == []  # one clean iteration
    assert cloud.iterate()["resolved"] == []  # two
    assert cloud.iterate(ERRORS)["opened"] == []  # back before the third: the count starts again
    for _ in range(2):
        assert cloud.iterate()["resolved"] == []
    assert cloud.iterate()["resolved"] == [incident]
    ended = _incident(standalone, incident).json()["data"]
    assert "endedAt" in ended and ended["phase"] == {"generation": 1, "order": 4}  # Done
    assert _updates(standalone, incident)[-1]["displayName"] == "Resolved"
    assert httpx.get(f"{standalone.url}/components/{component}").json()["data"]["activelyAffectedBy"] == []

    recurrence = cloud.iterate(ERRORS)  # the same symptom later: a new incident
    assert len(recurrence["opened"]) == 1 and recurrence["opened"] != [incident]


def test_symptoms_and_clouds_are_tracked_apart(standalone: StatusPage) -> None:
    _component(standalone, "east")
    _component(standalone, "west")
    east, west = Cloud(standalone, "east"), Cloud(standalone, "west")
    opened = east.iterate(ERRORS, ("latency:image", "image: p95 latency 7.10 s"))["opened"]
    assert len(opened) == 2
    assert len(west.iterate(ERRORS)["opened"]) == 1
    assert east.iterate(ERRORS)["opened"] == []  # image latency gone, compute errors stay
    titles = {_incident(standalone, i).json()["data"]["displayName"] for i in opened}
    assert titles == {"east: compute API requests fail", "east: image API is slow"}


def test_propose_mode_hides_incidents_until_a_person_confirms(standalone: StatusPage) -> None:
    component = _component(standalone, "east")
    cloud = Cloud(standalone, mode="propose")
    [proposal] = cloud.iterate(ERRORS)["proposed"]
    assert _incident(standalone, proposal).status_code == 404
    assert _incident(standalone, proposal, "writer").status_code == 404  # not a 1.1.2 incident yet
    window = {"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
    assert httpx.get(standalone.url + "/incidents", params=window).json()["data"] == []
    assert httpx.get(f"{standalone.url}/components/{component}").json()["data"]["activelyAffectedBy"] == []
    with standalone.client("writer") as writer:
        [listed] = writer.get("/proposals").json()["data"]
        assert listed["id"] == proposal and listed["source"] == "healthmon" and listed["owner"] == "healthmon-1"
        assert httpx.get(standalone.url + "/proposals").status_code == 401
        assert writer.post(f"/proposals/{proposal}/confirm").status_code == 204
        assert writer.post(f"/proposals/{proposal}/confirm").status_code == 404
    assert _incident(standalone, proposal).status_code == 200
    assert cloud.iterate(ERRORS)["opened"] == []  # confirmed: the machine goes on updating it
    for _ in range(3):
        result = cloud.iterate()
    assert result["resolved"] == [proposal]


def test_a_dismissed_proposal_stays_quiet_while_its_symptom_lasts(standalone: StatusPage) -> None:
    _component(standalone, "east")
    cloud = Cloud(standalone, mode="propose")
    [proposal] = cloud.iterate(ERRORS)["proposed"]
    with standalone.client("writer") as writer:
        assert writer.delete(f"/proposals/{proposal}").status_code == 204
        assert writer.get("/proposals").json()["data"] == []
    assert cloud.iterate(ERRORS)["proposed"] == []
    for _ in range(3):
        cloud.iterate()
    assert len(cloud.iterate(ERRORS)["proposed"]) == 1  # cleared, then back: a new proposal
    with standalone.client("admin") as admin:
        actions = [e["action"] for e in admin.get("/audit", params={"entity": "incident"}).json()["data"]]
    assert actions.count("dismiss") == 1 and actions.count("propose") == 2


def test_an_incident_a_person_ended_is_left_alone_until_the_symptom_clears(standalone: StatusPage) -> None:
    _component(standalone, "east")
    cloud = Cloud(standalone)
    [incident] = cloud.iterate(ERRORS)["opened"]
    with standalone.client("writer") as writer:
        assert writer.patch(f"/incidents/{incident}", json={"endedAt": "2026-03-01T12:20:00Z"}).status_code == 204
    quiet = cloud.iterate(("error-rate:compute", "compute: worse and worse"))
    assert quiet["opened"] == [] and quiet["updated"] == [] and quiet["resolved"] == []
    assert len(_updates(standalone, incident)) == 1


def test_without_a_component_nothing_opens_and_the_problem_is_said(standalone: StatusPage) -> None:
    cloud = Cloud(standalone, "nowhere")
    answer = cloud.iterate(ERRORS)
    assert answer["opened"] == [] and "cloud=nowhere" in answer["problems"][0]
    assert "scs status component create" in answer["problems"][0]


def test_only_machine_tokens_ingest_and_malformed_reports_are_refused(standalone: StatusPage) -> None:
    _component(standalone, "east")
    report = StatusPageBridge(BridgeSettings(standalone.url, "x.y")).report(
        IterationResult("east", 1, T0, 1.0, (), ()), []
    )
    assert httpx.post(standalone.url + "/ingest/healthmon", json=report).status_code == 401
    with standalone.client("writer") as writer:
        assert writer.post("/ingest/healthmon", json=report).status_code == 403
    with standalone.client("machine") as machine:
        assert machine.post("/ingest/healthmon", json=report).status_code == 200
        for broken in (
            {**report, "cloud": "../etc"},
            {**report, "mode": "shout"},
            {**report, "evidenceUrl": "javascript:alert(1)"},
            {**report, "firing": [{"symptom": "x", "message": "m", "since": 5}]},
            {**report, "resolveAfter": 0},
        ):
            answer = machine.post("/ingest/healthmon", json=broken)
            assert answer.status_code == 400, broken


def test_the_bridge_never_raises_when_the_status_page_is_down(caplog: pytest.LogCaptureFixture) -> None:
    bridge = StatusPageBridge(BridgeSettings("http://127.0.0.1:9", "a.b", timeout_s=2))
    result = IterationResult("east", 1, T0, 1.0, (), ())
    bridge(result, [])
    bridge(result, [])
    warnings = [r.message for r in caplog.records if "unreachable" in r.message]
    assert len(warnings) == 1  # said once, not every iteration


def test_evidence_links_name_an_absolute_time_range() -> None:
    link = evidence_url("http://h", "a b", T0, T0 + dt.timedelta(hours=2, minutes=5))
    assert link == (
        "http://h/clouds/a%20b?start=2026-03-01T12%3A00%3A00%2B00%3A00&end=2026-03-01T14%3A06%3A00%2B00%3A00&hours=3"
    )
