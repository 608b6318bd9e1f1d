"""Contract tests derived from the SCS Status Page API 1.1.2 spec: every operation the spec names is
called on our server (alone at the root and mounted in the compliance monitor, on each database),
answers the status code the spec gives, and its body conforms to the spec's response schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import StatusPage
from .openapi import SPEC, operations, response_schema, validate

NOW = "2026-03-01T12:00:00Z"


def _world(page: StatusPage) -> dict[str, Any]:
    """One of everything: a component, an impact type, a severity, an incident with an update."""
    seeded = page.seeded()
    with page.client("admin") as admin:
        component = admin.post("/components", json={"displayName": "Compute", "labels": {"region": "a"}}).json()["id"]
        impact_type = admin.post("/impacttypes", json={"displayName": "Odd", "description": "odd"}).json()["id"]
        assert admin.post("/severities", json={"displayName": "degraded", "value": 50}).status_code == 204
        incident = admin.post(
            "/incidents",
            json={
                "displayName": "API errors",
                "description": "5xx from nova",
                "beganAt": "2026-03-01T10:00:00Z",
                "phase": {"generation": seeded["generation"], "order": 1},
                "affects": [{"reference": component, "type": impact_type, "severity": 70}],
            },
        ).json()["id"]
        order = admin.post(
            f"/incidents/{incident}/updates", json={"displayName": "Looking", "description": "x"}
        ).json()["order"]
    return {"component": component, "impact_type": impact_type, "incident": incident, "order": order}


Call = Callable[[httpx.Client, dict[str, Any]], httpx.Response]
#: operationId -> the request our contract test makes for it (with the admin token, on `_world`).
SCENARIOS: dict[str, Call] = {
    "getPhaseList": lambda c, w: c.get("/phases"),
    "createPhaseList": lambda c, w: c.post("/phases", json={"phases": ["Open", "Closed"]}),
    "getImpactTypes": lambda c, w: c.get("/impacttypes"),
    "createImpactType": lambda c, w: c.post("/impacttypes", json={"displayName": "New", "description": "new"}),
    "getImpactType": lambda c, w: c.get(f"/impacttypes/{w['impact_type']}"),
    "updateImpactType": lambda c, w: c.patch(f"/impacttypes/{w['impact_type']}", json={"description": "changed"}),
    "deleteImpactType": lambda c, w: c.delete(
        f"/impacttypes/{c.post('/impacttypes', json={'displayName': 'Spare'}).json()['id']}"
    ),
    "getSeverities": lambda c, w: c.get("/severities"),
    "createSeverity": lambda c, w: c.post("/severities", json={"displayName": "minor", "value": 10}),
    "getSeverity": lambda c, w: c.get("/severities/degraded"),
    "updateSeverity": lambda c, w: c.patch("/severities/degraded", json={"value": 55}),
    "deleteSeverity": lambda c, w: c.delete("/severities/degraded"),
    "getComponents": lambda c, w: c.get("/components", params={"at": NOW}),
    "createComponent": lambda c, w: c.post("/components", json={"displayName": "Storage", "labels": {}}),
    "getComponent": lambda c, w: c.get(f"/components/{w['component']}", params={"at": NOW}),
    "updateComponent": lambda c, w: c.patch(f"/components/{w['component']}", json={"displayName": "Compute (az1)"}),
    "deleteComponent": lambda c, w: c.delete(f"/components/{w['component']}"),
    "getIncidents": lambda c, w: c.get("/incidents", params={"start": "2026-01-01T00:00:00Z", "end": NOW}),
    "createIncident": lambda c, w: c.post(
        "/incidents", json={"displayName": "Slow", "beganAt": NOW, "affects": [], "description": ""}
    ),
    "getIncident": lambda c, w: c.get(f"/incidents/{w['incident']}"),
    "updateIncident": lambda c, w: c.patch(f"/incidents/{w['incident']}", json={"endedAt": NOW}),
    "deleteIncident": lambda c, w: c.delete(f"/incidents/{w['incident']}"),
    "getIncidentUpdates": lambda c, w: c.get(f"/incidents/{w['incident']}/updates"),
    "createIncidentUpdate": lambda c, w: c.post(
        f"/incidents/{w['incident']}/updates", json={"displayName": "Fixed", "description": "y", "createdAt": NOW}
    ),
    "getIncidentUpdate": lambda c, w: c.get(f"/incidents/{w['incident']}/updates/{w['order']}"),
    "updateIncidentUpdate": lambda c, w: c.patch(
        f"/incidents/{w['incident']}/updates/{w['order']}", json={"description": "z"}
    ),
    "deleteIncidentUpdate": lambda c, w: c.delete(f"/incidents/{w['incident']}/updates/{w['order']}"),
}


def test_every_operation_of_the_spec_has_a_scenario() -> None:
    assert SPEC["info"]["version"] == "1.1.2"
    assert set(SCENARIOS) == set(operations())
    assert len(SCENARIOS) == 27  # 9 paths, 27 operations


@pytest.mark.parametrize("operation_id", sorted(operations()))
def test_operation_answers_as_the_spec_says(status_page: StatusPage, operation_id: str) -> None:
    world = _world(status_page)
    method, path, code = operations()[operation_id]
    with status_page.client("admin") as client:
        answer = SCENARIOS[operation_id](client, world)
    assert answer.request.method == method
    template = re.sub(r"\{[^}]+\}", "[^/]+", path)
    assert re.fullmatch(f".*{template}", answer.request.url.path), (answer.request.url.path, path)
    assert answer.status_code == int(code), (operation_id, answer.text)
    schema = response_schema(operation_id)
    if schema is None:
        assert answer.content == b"", f"{operation_id}: {code} has no body in the spec"
    else:
        assert answer.headers["content-type"].startswith("application/json")
        assert validate(answer.json(), schema) == [], operation_id


def test_reads_return_what_was_written_in_the_specs_shapes(status_page: StatusPage) -> None:
    world = _world(status_page)
    with status_page.client() as anonymous:
        incident = anonymous.get(f"/incidents/{world['incident']}").json()["data"]
        component = anonymous.get(f"/components/{world['component']}", params={"at": NOW}).json()["data"]
        updates = anonymous.get(f"/incidents/{world['incident']}/updates").json()["data"]
    assert incident["id"] == world["incident"]
    assert incident["affects"] == [{"reference": world["component"], "type": world["impact_type"], "severity": 70}]
    assert incident["updates"] == [0] and incident["phase"] == {"generation": 1, "order": 1}
    assert incident["beganAt"] == "2026-03-01T10:00:00Z" and "endedAt" not in incident
    assert component["activelyAffectedBy"] == [
        {"reference": world["incident"], "type": world["impact_type"], "severity": 70}
    ]
    assert component["labels"] == {"region": "a"}
    assert [u["order"] for u in updates] == [0] and updates[0]["displayName"] == "Looking"


def test_the_published_spec_is_served_unchanged(status_page: StatusPage) -> None:
    text = httpx.get(status_page.url + "/openapi-1.1.2.yaml").text
    assert 'version: "1.1.2"' in text and "operationId: getIncidents" in text
    ours = httpx.get(status_page.url + "/openapi.json").json()
    for path in SPEC["paths"]:
        assert path in ours["paths"], path
