"""The same raw requests to the real services and to our simulated cloud must get the same kind of answer.

Our simulated cloud is a stand-in: where it answers differently from real OpenStack (status codes,
field names, microversion headers, error body shapes) the simulator is wrong. Each case below is one
known or possible difference, named after what it compares; its `shape` keeps what a client relies on
(status, the error envelope's keys, selected fields) and drops what must differ (ids, times, texts).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from scs_toolkit.simcloud import SimCloud

from . import _openstack_config as config
from ._openstack_services import ADMIN, MEMBER, OpenStackServices

pytestmark = pytest.mark.openstack_integration

Shape = Callable[[httpx.Response], Any]
RANDOM_ID = str(uuid.UUID(int=0x5C5))  # exists nowhere


@dataclass(frozen=True)
class Session:
    """A project-scoped token and the catalog's public endpoints, from a raw Keystone log-in."""

    auth_url: str
    token: str
    project_id: str
    endpoints: dict[str, str]

    def url(self, service: str, path: str) -> str:
        base = self.endpoints[service].replace("%(project_id)s", self.project_id).rstrip("/")
        if path.startswith("//"):  # the service's root (its version document), not the versioned endpoint
            parts = urlsplit(base)
            kept = [
                p for p in parts.path.split("/") if p and not re.fullmatch(r"v\d+(\.\d+)?", p) and p != self.project_id
            ]
            prefix = "/".join(kept)
            return f"{parts.scheme}://{parts.netloc}/{prefix + '/' if prefix else ''}{path[2:]}"
        return base + path


def login(auth_url: str, username: str, password: str, project: str) -> Session:
    reply = httpx.post(f"{auth_url}/auth/tokens", json=_password_body(username, password, project), timeout=30)
    reply.raise_for_status()
    token = reply.json()["token"]
    endpoints = {
        entry["type"]: next(e["url"] for e in entry["endpoints"] if e["interface"] == "public")
        for entry in token["catalog"]
    }
    return Session(auth_url, reply.headers["X-Subject-Token"], token["project"]["id"], endpoints)


def _password_body(username: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": username, "password": password, "domain": {"name": "Default"}}},
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }


# -- shapes: what must agree -------------------------------------------------------------------------


def error_envelope(reply: httpx.Response) -> Any:
    """Status and the error body's structure: {"itemNotFound": {"code", "message"}}, NeutronError's type..."""
    try:
        body = reply.json()
    except ValueError:
        return reply.status_code, "not JSON"
    if isinstance(body, dict) and len(body) == 1:
        ((key, inner),) = body.items()
        if isinstance(inner, dict):
            return reply.status_code, key, tuple(sorted(inner)), inner.get("type")
        if isinstance(inner, list) and inner and isinstance(inner[0], dict):  # placement: {"errors": [...]}
            return reply.status_code, key, tuple(sorted(inner[0]))
    return reply.status_code, tuple(sorted(body)) if isinstance(body, dict) else type(body).__name__


def status(reply: httpx.Response) -> Any:
    return reply.status_code


def header(name: str) -> Shape:
    return lambda reply: (reply.status_code, reply.headers.get(name))


def keys_of(path: Callable[[Any], Any], only: set[str] | None = None) -> Shape:
    """Status and the field names of one object in the body (limited to `only` where extras are allowed)."""

    def shape(reply: httpx.Response) -> Any:
        item = path(reply.json())
        names = set(item)
        return reply.status_code, tuple(sorted(names & only if only is not None else names))

    return shape


def image_visibilities(reply: httpx.Response) -> Any:
    return reply.status_code, tuple(sorted({i["visibility"] for i in reply.json()["images"]} - {"public", "private"}))


def version_of(version_id: str, field_name: str = "version") -> Shape:
    """The maximum microversion a versions document announces for one API version."""

    def shape(reply: httpx.Response) -> Any:
        body = reply.json()
        versions = body.get("versions", body)
        versions = versions.get("values", versions) if isinstance(versions, dict) else versions
        if isinstance(versions, dict):
            versions = [versions]
        return reply.status_code, [v.get(field_name) for v in versions if v.get("id") == version_id]

    return shape


IMAGE_CORE = {
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum", "os_hash_algo", "os_hash_value",
    "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format", "container_format", "created_at",
    "updated_at", "tags", "self", "file", "schema",
}  # fmt: skip
FLAVOR_261 = {
    "id", "name", "ram", "disk", "vcpus", "swap", "rxtx_factor", "links", "description", "extra_specs",
    "os-flavor-access:is_public", "OS-FLV-EXT-DATA:ephemeral", "OS-FLV-DISABLED:disabled",
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: str
    service: str
    method: str
    path: str
    shape: Shape
    who: str = "member"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token: bool = True


CASES = [
    # identity
    Case(
        "identity-wrong-password-401-error-body",
        "identity",
        "POST",
        "/auth/tokens",
        error_envelope,
        body=_password_body(MEMBER.username, "wrong", str(MEMBER.project)),
        token=False,
    ),
    Case("identity-no-token-401", "identity", "GET", "/auth/projects", error_envelope, token=False),
    Case("identity-member-lists-users-403", "identity", "GET", "/users", error_envelope),
    Case("identity-admin-lists-roles-fields", "identity", "GET", "/roles", keys_of(lambda b: b["roles"][0]), "admin"),
    # compute
    Case("compute-flavor-not-found-404", "compute", "GET", f"/flavors/{RANDOM_ID}", error_envelope),
    Case(
        "compute-server-without-flavor-400",
        "compute",
        "POST",
        "/servers",
        error_envelope,
        body={"server": {"name": "scs-test-parity", "imageRef": RANDOM_ID}},
    ),
    Case("compute-member-hypervisors-403", "compute", "GET", "/os-hypervisors", error_envelope),
    Case(
        "compute-microversion-echoed",
        "compute",
        "GET",
        "/flavors",
        header("OpenStack-API-Version"),
        headers={"OpenStack-API-Version": "compute 2.61"},
    ),
    Case(
        "compute-microversion-too-high-406",
        "compute",
        "GET",
        "/flavors",
        error_envelope,
        headers={"OpenStack-API-Version": "compute 2.999"},
    ),
    Case(
        "compute-flavor-fields-2.61",
        "compute",
        "GET",
        "/flavors/detail",
        keys_of(lambda b: b["flavors"][0], FLAVOR_261),
        headers={"OpenStack-API-Version": "compute 2.61"},
    ),
    Case("compute-versions-document", "compute", "GET", "//", keys_of(lambda b: b["versions"][0])),
    Case("compute-max-microversion", "compute", "GET", "//", version_of("v2.1")),
    Case(
        "compute-member-all-tenants-403",
        "compute",
        "GET",
        "/servers?all_tenants=1",
        error_envelope,
    ),
    Case(
        "compute-member-create-flavor-403",
        "compute",
        "POST",
        "/flavors",
        error_envelope,
        body={"flavor": {"name": "scs-test-parity", "ram": 512, "vcpus": 1, "disk": 1}},
    ),
    Case(
        "compute-keypair-without-key-2.92-400",
        "compute",
        "POST",
        "/os-keypairs",
        error_envelope,
        body={"keypair": {"name": "scs-test-parity"}},
        headers={"OpenStack-API-Version": "compute 2.92"},
    ),
    Case(
        "compute-server-name-too-long-400",
        "compute",
        "POST",
        "/servers",
        error_envelope,
        body={"server": {"name": "x" * 256, "imageRef": RANDOM_ID, "flavorRef": RANDOM_ID, "networks": "none"}},
        headers={"OpenStack-API-Version": "compute 2.37"},
    ),
    Case("compute-limits-fields", "compute", "GET", "/limits", keys_of(lambda b: b["limits"]["absolute"])),
    # image
    Case("image-not-found-404", "image", "GET", f"/v2/images/{RANDOM_ID}", status),
    Case(
        "image-bad-disk-format-400",
        "image",
        "POST",
        "/v2/images",
        status,
        body={"name": "scs-test-parity", "disk_format": "floppy", "container_format": "bare"},
    ),
    Case("image-not-found-content-type", "image", "GET", f"/v2/images/{RANDOM_ID}", header("Content-Type")),
    Case(
        "image-member-public-image-403",
        "image",
        "POST",
        "/v2/images",
        status,
        body={"name": "scs-test-parity", "visibility": "public", "disk_format": "raw", "container_format": "bare"},
    ),
    Case("image-fields", "image", "GET", "/v2/images", keys_of(lambda b: b["images"][0], IMAGE_CORE)),
    Case("image-default-list-hides-community", "image", "GET", "/v2/images", image_visibilities),
    Case("image-list-envelope", "image", "GET", "/v2/images", keys_of(lambda b: b, {"images", "first", "schema"})),
    # block storage
    Case("block-storage-volume-not-found-404", "block-storage", "GET", f"/volumes/{RANDOM_ID}", error_envelope),
    Case(
        "block-storage-size-0-400",
        "block-storage",
        "POST",
        "/volumes",
        error_envelope,
        body={"volume": {"size": 0, "name": "scs-test-parity"}},
    ),
    Case(
        "block-storage-microversion-echoed",
        "block-storage",
        "GET",
        "/types",
        header("OpenStack-API-Version"),
        headers={"OpenStack-API-Version": "volume 3.60"},
    ),
    Case(
        "block-storage-microversion-too-high-406",
        "block-storage",
        "GET",
        "/types",
        error_envelope,
        headers={"OpenStack-API-Version": "volume 3.999"},
    ),
    Case("block-storage-max-microversion", "block-storage", "GET", "//", version_of("v3.0")),
    Case(
        "block-storage-size-not-a-number-400",
        "block-storage",
        "POST",
        "/volumes",
        error_envelope,
        body={"volume": {"size": "big", "name": "scs-test-parity"}},
    ),
    Case("block-storage-limits-fields", "block-storage", "GET", "/limits", keys_of(lambda b: b["limits"]["absolute"])),
    Case("block-storage-member-services-403", "block-storage", "GET", "/os-services", error_envelope),
    # network
    Case("network-not-found-404", "network", "GET", f"/v2.0/networks/{RANDOM_ID}", error_envelope),
    Case(
        "network-bad-rule-direction-400",
        "network",
        "POST",
        "/v2.0/security-group-rules",
        error_envelope,
        body={"security_group_rule": {"direction": "sideways", "security_group_id": RANDOM_ID}},
    ),
    Case(
        "network-member-external-network-403",
        "network",
        "POST",
        "/v2.0/networks",
        error_envelope,
        body={"network": {"name": "scs-test-parity", "router:external": True}},
    ),
    Case(
        "network-default-rule-fields",
        "network",
        "GET",
        "/v2.0/default-security-group-rules",
        keys_of(lambda b: b["default_security_group_rules"][0]),
        "admin",
    ),
    Case("network-member-default-rules", "network", "GET", "/v2.0/default-security-group-rules", status),
    Case(
        "network-bad-mtu-400",
        "network",
        "POST",
        "/v2.0/networks",
        error_envelope,
        body={"network": {"name": "scs-test-parity", "mtu": "big"}},
    ),
    Case("network-member-lists-agents", "network", "GET", "/v2.0/agents", error_envelope),
    Case("network-quota-fields", "network", "GET", "/v2.0/quotas/{project_id}", keys_of(lambda b: b["quota"])),
    # identity versions
    Case("identity-version", "identity", "GET", "", keys_of(lambda b: b["version"])),
    # placement
    Case("placement-max-microversion", "placement", "GET", "/", version_of("v1.0", "max_version"), token=False),
    Case("placement-member-403", "placement", "GET", "/resource_providers", error_envelope),
]


@pytest.fixture(scope="module")
def sessions(openstack_services: OpenStackServices, simcloud: SimCloud) -> dict[tuple[str, str], Session]:
    real_auth = config.keystone_url(openstack_services.ports)
    sim_auth = f"{simcloud.url}/identity/v3"
    sim_user, sim_admin = simcloud.credentials("user"), simcloud.credentials("admin")
    return {
        ("real", "member"): login(real_auth, MEMBER.username, MEMBER.password, str(MEMBER.project)),
        ("real", "admin"): login(real_auth, ADMIN.username, ADMIN.password, str(ADMIN.project)),
        ("sim", "member"): login(sim_auth, sim_user.username, sim_user.password, sim_user.project_name),
        ("sim", "admin"): login(sim_auth, sim_admin.username, sim_admin.password, sim_admin.project_name),
    }


def send(session: Session, case: Case) -> httpx.Response:
    headers = {"X-Auth-Token": session.token} if case.token else {}
    path = case.path.replace("{project_id}", session.project_id)
    url = session.auth_url + path if case.service == "identity" else session.url(case.service, path)
    return httpx.request(case.method, url, json=case.body, headers={**headers, **case.headers}, timeout=60)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_simulated_cloud_answers_like_the_real_one(case: Case, sessions: dict[tuple[str, str], Session]) -> None:
    real = send(sessions[("real", case.who)], case)
    sim = send(sessions[("sim", case.who)], case)
    assert real.status_code < 500, f"the real service failed: {real.status_code} {real.text[:300]}"
    assert case.shape(sim) == case.shape(real), (
        f"simulated: {sim.status_code} {sim.text[:300]}\nreal: {real.status_code} {real.text[:300]}"
    )


def test_a_shape_tells_error_envelopes_apart() -> None:
    """The comparison can fail: two different error bodies do not look alike."""
    nova = httpx.Response(404, json={"itemNotFound": {"code": 404, "message": "x"}})
    flat = httpx.Response(404, json={"error": {"code": 404, "message": "x", "title": "Not Found"}})
    neutron = httpx.Response(404, json={"NeutronError": {"type": "NetworkNotFound", "message": "x", "detail": ""}})
    assert len({error_envelope(nova), error_envelope(flat), error_envelope(neutron)}) == 3
    assert error_envelope(httpx.Response(404, text="<html>")) == (404, "not JSON")


@pytest.mark.parametrize("query", ["", "?visibility=community", "?visibility=all"])
def test_community_images_are_listed_as_the_real_glance_lists_them(
    query: str, sessions: dict[tuple[str, str], Session]
) -> None:
    """Glance lists community images only when asked (visibility=community or all): both clouds alike."""
    listed = {}
    for cloud in ("real", "sim"):
        admin, member = sessions[(cloud, "admin")], sessions[(cloud, "member")]
        body = {"name": "scs-test-parity-community", "visibility": "community", "disk_format": "raw"}
        made = httpx.post(
            admin.url("image", "/v2/images"),
            json={**body, "container_format": "bare"},
            headers={"X-Auth-Token": admin.token},
            timeout=60,
        )
        assert made.status_code == 201, (cloud, made.text[:300])
        try:
            reply = httpx.get(
                member.url("image", f"/v2/images{query}"), headers={"X-Auth-Token": member.token}, timeout=60
            )
            listed[cloud] = reply.status_code, made.json()["id"] in {i["id"] for i in reply.json()["images"]}
        finally:
            httpx.delete(
                admin.url("image", f"/v2/images/{made.json()['id']}"), headers={"X-Auth-Token": admin.token}, timeout=60
            )
    assert listed["sim"] == listed["real"]
