"""The rules of the 1.1.2 data model, each on its own: the incident window, `at`, maintenance needs an
end, phase generations never change, PATCH replaces impacts, deletes cascade, update orders under
concurrent writers; plus who may write what, and that every write lands in the audit trail."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from scs_toolkit.statuspage.db import AuditEntry, Impact, IncidentUpdate

from .conftest import StatusPage


def _component(page: StatusPage, name: str = "Compute", **labels: str) -> str:
    with page.client("admin") as admin:
        answer = admin.post("/components", json={"displayName": name, "labels": labels})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _incident(page: StatusPage, who: str = "writer", **fields: Any) -> httpx.Response:
    with page.client(who) as client:
        return client.post("/incidents", json={"displayName": "Incident", **fields})


def _impact(page: StatusPage, component: str, severity: int = 70, kind: str = "Unknown") -> dict[str, Any]:
    return {"reference": component, "type": page.seeded()["types"][kind], "severity": severity}


def _window(page: StatusPage, start: str, end: str) -> list[str]:
    answer = httpx.get(page.url + "/incidents", params={"start": start, "end": end})
    assert answer.status_code == 200, answer.text
    return [i["displayName"] for i in answer.json()["data"]]


def test_the_window_holds_what_overlaps_it_and_open_incidents_end_never(status_page: StatusPage) -> None:
    for name, began, ended in (
        ("before", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        ("across-start", "2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z"),
        ("inside", "2026-01-12T00:00:00Z", "2026-01-13T00:00:00Z"),
        ("across-end", "2026-01-19T00:00:00Z", "2026-01-21T00:00:00Z"),
        ("after", "2026-01-25T00:00:00Z", "2026-01-26T00:00:00Z"),
        ("open-before", "2026-01-05T00:00:00Z", None),
        ("open-after", "2026-01-22T00:00:00Z", None),
        ("touches-start", "2026-01-08T00:00:00Z", "2026-01-10T00:00:00Z"),
    ):
        fields = {"beganAt": began, **({"endedAt": ended} if ended else {})}
        assert _incident(status_page, displayName=name, **fields).status_code == 201
    found = _window(status_page, "2026-01-10T00:00:00Z", "2026-01-20T00:00:00Z")
    assert sorted(found) == ["across-end", "across-start", "inside", "open-before", "touches-start"]
    for params in ({"start": "2026-01-10T00:00:00Z"}, {"end": "2026-01-10T00:00:00Z"}, {}):
        assert httpx.get(status_page.url + "/incidents", params=params).status_code == 400
    reversed_window = httpx.get(
        status_page.url + "/incidents", params={"start": "2026-01-20T00:00:00Z", "end": "2026-01-10T00:00:00Z"}
    )
    assert reversed_window.status_code == 400 and "before start" in reversed_window.json()["message"]
    assert httpx.get(status_page.url + "/incidents", params={"start": "yesterday", "end": "now"}).status_code == 400


def test_at_shows_what_was_active_then_and_now_includes_running_maintenance(status_page: StatusPage) -> None:
    component = _component(status_page)
    past = _incident(
        status_page,
        displayName="past",
        beganAt="2026-01-10T00:00:00Z",
        endedAt="2026-01-11T00:00:00Z",
        affects=[_impact(status_page, component)],
    ).json()["id"]
    running = _incident(
        status_page,
        displayName="maintenance now",
        beganAt="2026-01-01T00:00:00Z",
        endedAt="2999-01-01T00:00:00Z",
        affects=[_impact(status_page, component, 0, "Maintenance")],
    ).json()["id"]

    def active(**params: str) -> list[str]:
        data = httpx.get(f"{status_page.url}/components/{component}", params=params).json()["data"]
        return sorted(i["reference"] for i in data["activelyAffectedBy"])

    assert active(at="2026-01-10T12:00:00Z") == sorted([past, running])
    assert active(at="2026-01-11T00:00:00Z") == [running]  # ended at that moment: no longer active
    assert active(at="2025-12-31T00:00:00Z") == []
    # without `at`: now. The reference server listed only incidents without an end, so a running
    # maintenance window never showed; here it does
    assert active() == [running]
    listed = httpx.get(status_page.url + "/components", params={"at": "2026-01-10T12:00:00+01:00"}).json()["data"]
    assert [len(c["activelyAffectedBy"]) for c in listed] == [2]
    assert httpx.get(status_page.url + "/components", params={"at": "not a time"}).status_code == 400


def test_maintenance_needs_an_end_and_ends_are_never_before_beginnings(status_page: StatusPage) -> None:
    component = _component(status_page)
    refused = _incident(status_page, beganAt="2030-01-01T00:00:00Z", affects=[_impact(status_page, component, 0)])
    assert refused.status_code == 400 and "maintenance" in refused.json()["message"]
    future = _incident(
        status_page,
        beganAt="2030-01-01T00:00:00Z",
        endedAt="2030-01-01T04:00:00Z",
        affects=[_impact(status_page, component, 0)],
    )
    assert future.status_code == 201  # both in the future: fine
    with status_page.client("writer") as writer:
        reopen = writer.patch(f"/incidents/{future.json()['id']}", json={"endedAt": None})
        assert reopen.status_code == 400 and "maintenance" in reopen.json()["message"]
        backwards = _incident(status_page, beganAt="2026-01-02T00:00:00Z", endedAt="2026-01-01T00:00:00Z")
        assert backwards.status_code == 400 and "before" in backwards.json()["message"]
        for severity in (-1, 101, "5", 5.5, None):
            bad = _incident(status_page, affects=[{**_impact(status_page, component), "severity": severity}])
            assert bad.status_code == 400, severity
        unknown = _incident(status_page, affects=[_impact(status_page, component) | {"reference": _unknown()}])
        assert unknown.status_code == 400 and "no component" in unknown.json()["message"]
        assert (
            writer.get("/incidents", params={"start": "2029-12-31T00:00:00Z", "end": "2030-12-31T00:00:00Z"}).json()[
                "data"
            ][0]["endedAt"]
            == "2030-01-01T04:00:00Z"
        )


def _unknown() -> str:
    return "00000000-0000-4000-8000-000000000000"


def test_phase_generations_are_append_only_and_references_must_exist(status_page: StatusPage) -> None:
    with status_page.client("admin") as admin:
        first = admin.get("/phases").json()["data"]
        assert admin.post("/phases", json={"phases": ["New", "Done"]}).json() == {"generation": 2}
        assert admin.get("/phases").json()["data"] == {"generation": 2, "phases": ["New", "Done"]}
        assert admin.get("/phases", params={"generation": 1}).json()["data"] == first  # unchanged
        assert admin.get("/phases", params={"generation": 3}).status_code == 404
        assert admin.get("/phases", params={"generation": 0}).status_code == 400
        assert admin.get("/phases", params={"generation": "x"}).status_code == 400
        for body in ({"phases": []}, {"phases": [""]}, {"phases": ["A", "A"]}, {}):
            assert admin.post("/phases", json=body).status_code == 400, body
        # there is no way to edit or delete a list: not in the spec, and not here
        assert admin.patch("/phases", json={"phases": ["X"]}).status_code == 405
        assert admin.delete("/phases").status_code == 405
        old = _incident(status_page, "admin", phase={"generation": 1, "order": 4}).json()["id"]
        assert _incident(status_page, phase={"generation": 2, "order": 2}).status_code == 400
        assert _incident(status_page, phase={"generation": 9, "order": 0}).status_code == 400
        assert admin.get(f"/incidents/{old}").json()["data"]["phase"] == {"generation": 1, "order": 4}


def test_patch_replaces_the_impact_set_and_keeps_what_is_not_sent(status_page: StatusPage) -> None:
    a, b = _component(status_page, "A"), _component(status_page, "B")
    incident = _incident(
        status_page,
        description="kept",
        affects=[_impact(status_page, a), _impact(status_page, a, 40, "Performance Degradation")],
    ).json()["id"]
    with status_page.client("writer") as writer:
        assert (
            writer.patch(f"/incidents/{incident}", json={"affects": [_impact(status_page, b, 20)]}).status_code == 204
        )
        data = writer.get(f"/incidents/{incident}").json()["data"]
        assert [(i["reference"], i["severity"]) for i in data["affects"]] == [(b, 20)]
        assert data["description"] == "kept" and data["displayName"] == "Incident"
        assert writer.patch(f"/incidents/{incident}", json={"displayName": "Renamed"}).status_code == 204
        assert len(writer.get(f"/incidents/{incident}").json()["data"]["affects"]) == 1  # not sent: kept
        assert writer.patch(f"/incidents/{incident}", json={"affects": []}).status_code == 204
        assert writer.get(f"/incidents/{incident}").json()["data"]["affects"] == []
        twice = writer.patch(f"/incidents/{incident}", json={"affects": [_impact(status_page, a)] * 2})
        assert twice.status_code == 400 and "twice" in twice.json()["message"]
        assert writer.patch(f"/incidents/{_unknown()}", json={"displayName": "x"}).status_code == 404
        # read-only fields and ids in the body are ignored (scs-0402)
        ignored = writer.patch(f"/incidents/{incident}", json={"id": _unknown(), "updates": [7], "displayName": "Same"})
        assert ignored.status_code == 204 and writer.get(f"/incidents/{incident}").status_code == 200


def test_deleting_an_incident_takes_its_impacts_and_updates_a_component_only_its_impacts(
    status_page: StatusPage,
) -> None:
    a, b = _component(status_page, "A"), _component(status_page, "B")
    first = _incident(status_page, affects=[_impact(status_page, a), _impact(status_page, b)]).json()["id"]
    second = _incident(status_page, affects=[_impact(status_page, a)]).json()["id"]
    with status_page.client("admin") as admin:
        for number in range(3):
            admin.post(f"/incidents/{first}/updates", json={"displayName": f"u{number}"})
        assert admin.put(f"/incidents/{first}/rca", json={"summary": "s"}).status_code == 204
        assert admin.delete(f"/incidents/{first}").status_code == 204
        assert admin.get(f"/incidents/{first}").status_code == 404
        assert admin.get(f"/incidents/{first}/updates").status_code == 404
        assert admin.delete(f"/incidents/{first}").status_code == 404
        with status_page.database.session() as db:
            assert db.scalar(select(func.count()).select_from(IncidentUpdate)) == 0
            assert (
                db.scalar(select(func.count()).select_from(Impact).where(Impact.incident_id == uuid.UUID(first))) == 0
            )
        assert admin.delete(f"/components/{a}").status_code == 204
        kept = admin.get(f"/incidents/{second}").json()["data"]
        assert kept["affects"] == []  # the incident stays, without the deleted component
        assert admin.get(f"/components/{b}").status_code == 200


def test_update_orders_stay_dense_and_unique_under_concurrent_writers(status_page: StatusPage) -> None:
    incident = _incident(status_page).json()["id"]
    orders: list[int] = []
    errors: list[str] = []
    start = threading.Barrier(8)

    def post(number: int) -> None:
        with status_page.client("writer") as client:
            start.wait()
            for step in range(4):
                answer = client.post(f"/incidents/{incident}/updates", json={"displayName": f"{number}-{step}"})
                if answer.status_code == 201:
                    orders.append(answer.json()["order"])
                else:
                    errors.append(answer.text)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(orders) == list(range(32))
    listed = httpx.get(f"{status_page.url}/incidents/{incident}/updates").json()["data"]
    assert [u["order"] for u in listed] == list(range(32))
    assert httpx.get(f"{status_page.url}/incidents/{incident}").json()["data"]["updates"] == list(range(32))


def test_severities_are_unique_named_bounds_and_one_is_always_100(status_page: StatusPage) -> None:
    with status_page.client("admin") as admin:
        assert admin.post("/severities", json={"displayName": "limited", "value": 10}).status_code == 400  # name taken
        assert admin.post("/severities", json={"displayName": "other", "value": 66}).status_code == 400  # value taken
        assert admin.post("/severities", json={"displayName": "x", "value": 101}).status_code == 400
        assert admin.post("/severities", json={"displayName": "x"}).status_code == 400
        last = admin.delete("/severities/broken")
        assert last.status_code == 400 and "100" in last.json()["message"]
        assert admin.patch("/severities/broken", json={"value": 90}).status_code == 400
        assert admin.post("/severities", json={"displayName": "down", "value": 95}).status_code == 204
        assert admin.patch("/severities/broken", json={"displayName": "outage"}).status_code == 204
        assert [s["displayName"] for s in admin.get("/severities").json()["data"]] == [
            "operational",
            "limited",
            "down",
            "outage",
        ]
        assert admin.get("/severities/broken").status_code == 404
        assert admin.get("/severities/outage").json() == {"data": {"displayName": "outage", "value": 100}}


def test_impact_types_in_use_cannot_be_deleted(status_page: StatusPage) -> None:
    component = _component(status_page)
    _incident(status_page, affects=[_impact(status_page, component, 50, "Unknown")])
    used = status_page.seeded()["types"]["Unknown"]
    with status_page.client("admin") as admin:
        refused = admin.delete(f"/impacttypes/{used}")
        assert refused.status_code == 409 and "used by 1" in refused.json()["message"]
        assert admin.get(f"/impacttypes/{used}").status_code == 200
        assert admin.post("/impacttypes", json={"description": "no name"}).status_code == 400


def test_reads_are_anonymous_writes_need_the_right_scope(status_page: StatusPage) -> None:
    component = _component(status_page)
    incident = _incident(status_page).json()["id"]
    anonymous = httpx.post(status_page.url + "/incidents", json={"displayName": "x"})
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
    wrong = httpx.post(
        status_page.url + "/incidents", json={"displayName": "x"}, headers={"Authorization": "Bearer ops-writer.nope"}
    )
    assert wrong.status_code == 401
    assert httpx.get(status_page.url + "/components", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    with status_page.client("writer") as writer:
        assert writer.post("/components", json={"displayName": "x"}).status_code == 403  # components: admin
        assert writer.post("/phases", json={"phases": ["a"]}).status_code == 403
        assert writer.delete(f"/components/{component}").status_code == 403
        assert writer.patch(f"/incidents/{incident}", json={"description": "ok"}).status_code == 204
    basic = httpx.get(status_page.url + "/proposals", auth=("ops-writer", status_page.tokens["writer"].split(".")[-1]))
    assert basic.status_code == 200  # HTTP Basic NAME:SECRET works too
    with status_page.client("machine") as machine:
        assert machine.patch(f"/incidents/{incident}", json={"description": "mine?"}).status_code == 403
        own = machine.post("/incidents", json={"displayName": "machine's"}).json()["id"]
        assert machine.patch(f"/incidents/{own}", json={"description": "mine"}).status_code == 204
        assert machine.post(f"/incidents/{own}/updates", json={"displayName": "u"}).status_code == 201
        assert machine.delete(f"/incidents/{own}").status_code == 403  # machines never delete
    with status_page.client("machine2") as other_machine:
        refused = other_machine.post(f"/incidents/{own}/updates", json={"displayName": "not mine"})
        assert refused.status_code == 403 and "opened" in refused.json()["message"]


def test_every_write_is_in_the_audit_trail_with_its_author(status_page: StatusPage) -> None:
    component = _component(status_page)
    incident = _incident(status_page, affects=[_impact(status_page, component)]).json()["id"]
    with status_page.client("writer") as writer:
        writer.patch(f"/incidents/{incident}", json={"displayName": "Renamed"})
        writer.post(f"/incidents/{incident}/updates", json={"displayName": "u"})
        assert writer.get("/audit").status_code == 403
        refused = writer.post("/components", json={"displayName": "not allowed"})
        assert refused.status_code == 403
    with status_page.client("admin") as admin:
        entries = admin.get("/audit").json()["data"]
    seen = [(e["action"], e["entity"], e["actor"]) for e in reversed(entries)]
    assert seen == [
        ("create", "component", "ops-admin (admin)"),
        ("create", "incident", "ops-writer (writer)"),
        ("update", "incident", "ops-writer (writer)"),
        ("create", "update", "ops-writer (writer)"),
    ]
    renamed = next(e for e in entries if e["action"] == "update" and e["entity"] == "incident")
    assert renamed["before"]["displayName"] == "Incident" and renamed["after"]["displayName"] == "Renamed"
    with status_page.database.session() as db:  # a refused write left nothing
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 4


def test_internal_components_and_what_only_they_suffer_are_hidden_from_anonymous_readers(
    status_page: StatusPage,
) -> None:
    public = _component(status_page, "Public")
    internal = _component(status_page, "Backplane", visibility="internal")
    only_internal = _incident(status_page, displayName="hidden", affects=[_impact(status_page, internal)]).json()["id"]
    both = _incident(
        status_page, displayName="shared", affects=[_impact(status_page, internal), _impact(status_page, public)]
    ).json()["id"]
    assert [c["displayName"] for c in httpx.get(status_page.url + "/components").json()["data"]] == ["Public"]
    assert httpx.get(f"{status_page.url}/components/{internal}").status_code == 404
    assert httpx.get(f"{status_page.url}/incidents/{only_internal}").status_code == 404
    shared = httpx.get(f"{status_page.url}/incidents/{both}").json()["data"]
    assert [i["reference"] for i in shared["affects"]] == [public]
    with status_page.client("writer") as writer:
        assert len(writer.get("/components").json()["data"]) == 2
        assert len(writer.get(f"/incidents/{both}").json()["data"]["affects"]) == 2
        assert writer.get(f"/incidents/{only_internal}").status_code == 200
