"""Issue 19: raw requests whose answers differed from real services (Keystone 30, Nova 34, Glance 33,
Cinder 29, Neutron 29, Placement 16). Each test sends the request and asserts what the real service says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack.connection
import pytest

from scs_toolkit.simcloud import ProfileError, SimCloud, SimCloudOptions, load_profile, login
from scs_toolkit.simcloud._store import now


class Api:
    """Raw HTTP against the simulated cloud as one user (a project-scoped token)."""

    def __init__(self, sim: SimCloud, who: str) -> None:
        self.token, self.project_id = login(sim.url, sim.credentials(who))
        self.client = httpx.Client(base_url=sim.url, headers={"X-Auth-Token": self.token}, timeout=30)

    def call(self, method: str, path: str, version: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if version is not None:
            headers["OpenStack-API-Version"] = version
        return self.client.request(method, path.replace("{project}", self.project_id), headers=headers, **kwargs)


@pytest.fixture(scope="module")
def member(simcloud: SimCloud) -> Iterator[Api]:
    api = Api(simcloud, "user")
    yield api
    api.client.close()


@pytest.fixture(scope="module")
def admin_api(simcloud: SimCloud) -> Iterator[Api]:
    api = Api(simcloud, "admin")
    yield api
    api.client.close()


@pytest.fixture(scope="module")
def network_id(member: Api) -> str:
    created = member.call("POST", "/network/v2.0/networks", json={"network": {"name": "mv-net"}}).json()["network"]
    body = {"subnet": {"network_id": created["id"], "cidr": "10.20.0.0/24", "ip_version": 4}}
    assert member.call("POST", "/network/v2.0/subnets", json=body).status_code == 201
    return str(created["id"])


def _flavor_id(api: Api, name: str = "SCS-2V-4-20s") -> str:
    flavors = api.call("GET", "/compute/v2.1/flavors").json()["flavors"]
    return str(next(f["id"] for f in flavors if f["name"] == name))


def _image_id(api: Api, name: str = "Ubuntu 24.04") -> str:
    return str(api.call("GET", f"/image/v2/images?name={name}").json()["images"][0]["id"])


def _boot(api: Api, version: str, networks: Any, name: str = "mv") -> httpx.Response:
    server: dict[str, Any] = {"name": name, "imageRef": _image_id(api), "flavorRef": _flavor_id(api)}
    if networks is not None:
        server["networks"] = networks
    return api.call("POST", "/compute/v2.1/servers", f"compute {version}", json={"server": server})


def _delete_server(api: Api, server_id: str) -> None:
    assert api.call("DELETE", f"/compute/v2.1/servers/{server_id}").status_code == 204


# -- microversions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "header", "fault"),
    [
        ("/compute/v2.1/flavors", "compute 2.999", "Minimum is 2.1 and maximum is 2.104."),
        ("/compute/v2.1/flavors", "compute 2.0", "Minimum is 2.1 and maximum is 2.104."),
        ("/volume/v3/{project}/types", "volume 3.999", "Minimum is 3.0 and maximum is 3.71."),
    ],
)
def test_unsupported_microversions_get_406(member: Api, path: str, header: str, fault: str) -> None:
    reply = member.call("GET", path, header)
    assert reply.status_code == 406
    assert reply.json()["computeFault"]["message"].endswith(fault)
    assert "OpenStack-API-Version" not in reply.headers  # refused before any version was chosen


def test_malformed_microversion_gets_400(member: Api) -> None:
    reply = member.call("GET", "/compute/v2.1/flavors", "compute two")
    assert reply.status_code == 400 and "is of invalid format" in reply.json()["badRequest"]["message"]
    assert member.call("GET", "/placement/", "placement 1.999").json()["errors"][0]["status"] == 406


def test_latest_is_the_real_maximum(member: Api) -> None:
    assert member.call("GET", "/compute/v2.1/flavors", "compute latest").headers["OpenStack-API-Version"] == (
        "compute 2.104"
    )
    assert member.call("GET", "/volume/v3/{project}/types", "volume latest").headers["OpenStack-API-Version"] == (
        "volume 3.71"
    )
    document = httpx.get(f"{member.client.base_url}/compute/v2.1/").json()["version"]
    assert (document["min_version"], document["version"]) == ("2.1", "2.104")
    assert member.call("GET", "/placement/", "placement latest").headers["OpenStack-API-Version"] == "placement 1.39"


def test_flavors_follow_the_requested_microversion(member: Api) -> None:
    flavor_id = _flavor_id(member, "SCS-2V-4-20s")

    def flavor(version: str) -> dict[str, Any]:
        return dict(member.call("GET", f"/compute/v2.1/flavors/{flavor_id}", f"compute {version}").json()["flavor"])

    old = flavor("2.1")
    assert "extra_specs" not in old and "description" not in old
    assert old["swap"] == ""  # below 2.75 Nova says "" for no swap
    assert "description" in flavor("2.55") and "extra_specs" not in flavor("2.55")
    assert flavor("2.61")["extra_specs"]["scs:name-v2"] == "SCS-2V-4-20s"
    assert flavor("2.75")["swap"] == 0
    brief = member.call("GET", "/compute/v2.1/flavors", "compute 2.1").json()["flavors"][0]
    assert set(brief) == {"id", "name", "links"}


def test_servers_follow_the_requested_microversion(member: Api, network_id: str) -> None:
    created = _boot(member, "2.1", [{"uuid": network_id}]).json()["server"]
    try:
        old = member.call("GET", f"/compute/v2.1/servers/{created['id']}", "compute 2.1").json()["server"]
        assert set(old["flavor"]) == {"id", "links"}  # a link before 2.47
        assert not {"locked", "tags", "description"} & set(old)
        assert all("delete_on_termination" not in v for v in old["os-extended-volumes:volumes_attached"])
        new = member.call("GET", f"/compute/v2.1/servers/{created['id']}", "compute 2.100").json()["server"]
        assert "id" not in new["flavor"] and "links" not in new["flavor"]  # embedded from 2.47
        assert new["flavor"]["original_name"] == "SCS-2V-4-20s" and new["flavor"]["swap"] == 0
        assert (new["locked"], new["tags"], new["description"]) == (False, [], None)
        assert new["locked_reason"] is None and new["scheduler_hints"] == {} and "pinned_availability_zone" in new
        assert "OS-EXT-SRV-ATTR:host" not in new  # admin-only attributes stay hidden from members
    finally:
        _delete_server(member, created["id"])


def test_errors_deletes_and_version_documents_carry_the_version(member: Api) -> None:
    missing = member.call("GET", "/compute/v2.1/flavors/nope", "compute 2.61")
    assert missing.status_code == 404 and missing.headers["OpenStack-API-Version"] == "compute 2.61"
    assert missing.headers["X-OpenStack-Nova-API-Version"] == "2.61"
    body = {"keypair": {"name": "mv-key"}}
    assert member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.10", json=body).status_code == 201
    deleted = member.call("DELETE", "/compute/v2.1/os-keypairs/mv-key", "compute 2.10")
    assert deleted.status_code == 204 and deleted.headers["OpenStack-API-Version"] == "compute 2.10"
    document = httpx.get(f"{member.client.base_url}/compute/v2.1/", headers={"OpenStack-API-Version": "compute 2.5"})
    assert document.headers["OpenStack-API-Version"] == "compute 2.5"
    assert httpx.get(f"{member.client.base_url}/volume/v3/").headers["OpenStack-API-Version"] == "volume 3.0"
    volume = member.call("POST", "/volume/v3/{project}/volumes", "volume 3.60", json={"volume": {"size": 1}})
    assert volume.headers["OpenStack-API-Version"] == "volume 3.60"
    unauthenticated = httpx.get(f"{member.client.base_url}/compute/v2.1/flavors", headers={"X-Auth-Token": "bad"})
    assert unauthenticated.status_code == 401 and "OpenStack-API-Version" not in unauthenticated.headers


# -- request validation ----------------------------------------------------------------------------


def test_networks_none_needs_2_37(member: Api) -> None:
    refused = _boot(member, "2.1", "none")
    assert refused.status_code == 400 and "'none' is not of type 'array'" in refused.json()["badRequest"]["message"]
    required = _boot(member, "2.37", None)
    assert required.status_code == 400 and "'networks' is a required property" in required.text
    accepted = _boot(member, "2.37", "none")
    assert accepted.status_code == 202
    _delete_server(member, accepted.json()["server"]["id"])


def test_key_pairs_are_imported_from_2_92(member: Api) -> None:
    refused = member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.92", json={"keypair": {"name": "k92"}})
    assert refused.status_code == 400 and "'public_key' is a required property" in refused.text
    assert member.call("GET", "/compute/v2.1/os-keypairs/k92").status_code == 404  # nothing was made
    generated = member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.91", json={"keypair": {"name": "k91"}})
    assert generated.status_code == 201 and generated.json()["keypair"]["private_key"]
    member.call("DELETE", "/compute/v2.1/os-keypairs/k91", "compute 2.91")


def test_key_pair_create_answers_201_from_2_2(member: Api) -> None:
    created = member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.2", json={"keypair": {"name": "k2"}})
    assert created.status_code == 201 and created.json()["keypair"]["type"] == "ssh"
    legacy = member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.1", json={"keypair": {"name": "k1"}})
    assert legacy.status_code == 200 and "type" not in legacy.json()["keypair"]  # 2.1 kept the old code
    assert member.call("DELETE", "/compute/v2.1/os-keypairs/k1", "compute 2.1").status_code == 202
    assert member.call("DELETE", "/compute/v2.1/os-keypairs/k2", "compute 2.2").status_code == 204


def test_neutron_refuses_unknown_attributes(member: Api) -> None:
    before = member.call("GET", "/network/v2.0/networks").json()["networks"]
    reply = member.call("POST", "/network/v2.0/networks", json={"network": {"name": "x", "frobnicate": True}})
    assert reply.status_code == 400
    assert reply.json()["NeutronError"] == {
        "type": "HTTPBadRequest",
        "message": "Unrecognized attribute(s) 'frobnicate'",
        "detail": "",
    }
    assert member.call("GET", "/network/v2.0/networks").json()["networks"] == before


# -- policy for an ordinary member -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/identity/v3/roles", "/identity/v3/role_assignments", "/placement/resource_providers"],
)
def test_member_may_not_list_what_admins_list(member: Api, admin_api: Api, path: str) -> None:
    refused = member.call("GET", path)
    assert refused.status_code == 403
    assert admin_api.call("GET", path).status_code == 200


def test_placement_error_shape(member: Api) -> None:
    body = member.call("GET", "/placement/resource_providers").json()
    error = body["errors"][0]
    assert (error["status"], error["title"]) == (403, "Forbidden")
    assert "placement:resource_providers:list" in error["detail"]


def test_domain_managers_still_look_up_roles(simcloud: SimCloud) -> None:
    reply = httpx.post(
        f"{simcloud.url}/identity/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "scs-test-domain-a-manager",
                            "password": "sim-manager-a-secret",
                            "domain": {"name": "scs-test-domain-a"},
                        }
                    },
                },
                "scope": {"domain": {"name": "scs-test-domain-a"}},
            }
        },
    )
    headers = {"X-Auth-Token": reply.headers["X-Subject-Token"]}
    roles = httpx.get(f"{simcloud.url}/identity/v3/roles?name=member", headers=headers)
    assert roles.status_code == 200 and [r["name"] for r in roles.json()["roles"]] == ["member"]
    assignments = httpx.get(f"{simcloud.url}/identity/v3/role_assignments", headers=headers)
    assert assignments.status_code == 200  # for their own domain


def test_unknown_project_is_403_for_members_404_for_admins(member: Api, admin_api: Api) -> None:
    refused = member.call("GET", "/identity/v3/projects/no-such-project")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].endswith("identity:get_project.")
    assert member.call("GET", f"/identity/v3/projects/{member.project_id}").status_code == 200
    assert admin_api.call("GET", "/identity/v3/projects/no-such-project").status_code == 404


def test_volume_type_encryption_is_for_admins(member: Api, admin_api: Api) -> None:
    types = admin_api.call("GET", f"/volume/v3/{admin_api.project_id}/types").json()["volume_types"]
    luks = next(t for t in types if t["name"] == "LUKS")
    refused = member.call("GET", f"/volume/v3/{{project}}/types/{luks['id']}/encryption")
    assert refused.status_code == 403 and "volume_type_encryption" in refused.json()["forbidden"]["message"]
    assert member.call("GET", "/volume/v3/{project}/types/no-such-type/encryption").status_code == 403
    shown = admin_api.call("GET", f"/volume/v3/{admin_api.project_id}/types/{luks['id']}/encryption").json()
    assert (shown["provider"], shown["control_location"], shown["volume_type_id"]) == ("luks", "front-end", luks["id"])
    plain = next(t for t in types if t["name"] == "__DEFAULT__")
    assert admin_api.call("GET", f"/volume/v3/{admin_api.project_id}/types/{plain['id']}/encryption").json() == {}


# -- visibility ------------------------------------------------------------------------------------


def test_members_see_only_user_visible_extra_specs(member: Api, admin_api: Api) -> None:
    seen = {t["name"]: t for t in member.call("GET", "/volume/v3/{project}/types").json()["volume_types"]}
    assert seen["LUKS"]["extra_specs"] == {} and "qos_specs_id" not in seen["LUKS"]
    specs = member.call("GET", f"/volume/v3/{{project}}/types/{seen['LUKS']['id']}/extra_specs").json()
    assert specs == {"extra_specs": {}}
    types = admin_api.call("GET", f"/volume/v3/{admin_api.project_id}/types").json()["volume_types"]
    assert next(t for t in types if t["name"] == "LUKS")["extra_specs"] == {"volume_backend_name": "ceph"}


def test_members_see_the_external_networks_subnet(member: Api) -> None:
    public = member.call("GET", "/network/v2.0/networks?router:external=True").json()["networks"][0]
    assert public["subnets"]
    listed = member.call("GET", f"/network/v2.0/subnets?network_id={public['id']}").json()["subnets"]
    assert [s["id"] for s in listed] == public["subnets"]
    assert member.call("GET", f"/network/v2.0/subnets/{public['subnets'][0]}").status_code == 200
    refused = member.call(
        "POST", "/network/v2.0/subnets", json={"subnet": {"network_id": public["id"], "cidr": "10.99.0.0/24"}}
    )
    assert refused.status_code == 403  # seeing is not owning


def test_security_group_post_answers_with_its_rules(member: Api) -> None:
    reply = member.call("POST", "/network/v2.0/security-groups", json={"security_group": {"name": "with-rules"}})
    assert reply.status_code == 201
    group = reply.json()["security_group"]
    assert sorted(r["direction"] for r in group["security_group_rules"]) == ["egress", "egress"]
    assert member.call("DELETE", f"/network/v2.0/security-groups/{group['id']}").status_code == 204


def test_server_without_networks_lists_no_security_groups(member: Api, network_id: str) -> None:
    bare = _boot(member, "2.37", "none", "bare").json()["server"]
    wired = _boot(member, "2.37", [{"uuid": network_id}], "wired").json()["server"]
    try:
        shown = member.call("GET", f"/compute/v2.1/servers/{bare['id']}", "compute 2.37").json()["server"]
        assert "security_groups" not in shown
        shown = member.call("GET", f"/compute/v2.1/servers/{wired['id']}", "compute 2.37").json()["server"]
        assert shown["security_groups"] == [{"name": "default"}]
    finally:
        _delete_server(member, bare["id"])
        _delete_server(member, wired["id"])


def test_key_pair_id_is_an_integer(member: Api) -> None:
    member.call("POST", "/compute/v2.1/os-keypairs", "compute 2.10", json={"keypair": {"name": "kid"}})
    try:
        shown = member.call("GET", "/compute/v2.1/os-keypairs/kid", "compute 2.10").json()["keypair"]
        assert isinstance(shown["id"], int) and not isinstance(shown["id"], bool)
        listed = member.call("GET", "/compute/v2.1/os-keypairs", "compute 2.10").json()["keypairs"]
        assert "id" not in next(k["keypair"] for k in listed if k["keypair"]["name"] == "kid")
    finally:
        member.call("DELETE", "/compute/v2.1/os-keypairs/kid", "compute 2.10")


def test_error_bodies_have_each_services_shape(member: Api) -> None:
    glance = member.call("GET", "/image/v2/images/no-such-image", headers={"Accept": "application/json"})
    assert glance.status_code == 404
    assert glance.json()["code"] == "404 Not Found" and glance.json()["title"] == "Not Found"
    assert glance.json()["message"].startswith("No image found with ID no-such-image")
    page = member.call("GET", "/image/v2/images/no-such-image", headers={"Accept": "*/*"})  # as real Glance 33
    assert page.headers["content-type"] == "text/html; charset=UTF-8" and "<h1>404 Not Found</h1>" in page.text
    plain = member.call("GET", "/image/v2/images/no-such-image", headers={"Accept": "text/plain"})
    assert plain.headers["content-type"].startswith("text/plain") and plain.text.startswith("404 Not Found\n\n")
    for path in ("/compute/v2.1/flavors", "/image/v2/images", "/network/v2.0/networks", "/volume/v3/x/types"):
        rejected = httpx.get(f"{member.client.base_url}{path}")
        assert rejected.status_code == 401
        assert rejected.json() == {
            "error": {
                "code": 401,
                "title": "Unauthorized",
                "message": "The request you have made requires authentication.",
            }
        }, path  # keystonemiddleware answers, not the service
        assert rejected.headers["WWW-Authenticate"].startswith('Keystone uri="')
    neutron = member.call("GET", "/network/v2.0/networks/no-such-network").json()["NeutronError"]
    assert (neutron["type"], neutron["message"]) == ("NetworkNotFound", "Network no-such-network could not be found.")
    port = member.call("GET", "/network/v2.0/ports/nope").json()["NeutronError"]["type"]
    assert port == "PortNotFound"


def test_sdk_reads_keypair_and_security_group_answers(conn: openstack.connection.Connection) -> None:
    group = conn.network.create_security_group(name="sdk-rules")
    try:
        assert group.security_group_rules is not None and len(group.security_group_rules) == 2
    finally:
        conn.network.delete_security_group(group)


# -- further differences the integration tier compares (tests/integration/test_simcloud_parity.py) ----


@pytest.mark.parametrize(
    ("path", "fault"),
    [("/compute/v2.1/os-hypervisors", "forbidden"), ("/volume/v3/{project}/os-services", "forbidden")],
)
def test_member_may_not_list_hosts_and_services(member: Api, admin_api: Api, path: str, fault: str) -> None:
    refused = member.call("GET", path)
    assert refused.status_code == 403 and fault in refused.json()
    assert admin_api.call("GET", path.replace("{project}", admin_api.project_id)).status_code == 200


def test_glance_refuses_unknown_disk_formats(member: Api) -> None:
    body = {"name": "scs-test-parity", "disk_format": "floppy", "container_format": "bare"}
    reply = member.call("POST", "/image/v2/images", json=body, headers={"Accept": "application/json"})
    assert reply.status_code == 400 and "disk_format" in reply.json()["message"]
    names = [i["name"] for i in member.call("GET", "/image/v2/images").json()["images"]]
    assert "scs-test-parity" not in names


def test_neutron_checks_attributes_before_it_looks_things_up(member: Api) -> None:
    body = {"security_group_rule": {"direction": "sideways", "security_group_id": "no-such-group"}}
    reply = member.call("POST", "/network/v2.0/security-group-rules", json=body)
    assert reply.status_code == 400 and reply.json()["NeutronError"]["type"] == "HTTPBadRequest"
    body = {"network": {"name": "scs-test-parity", "router:external": True}}
    refused = member.call("POST", "/network/v2.0/networks", json=body).json()["NeutronError"]
    assert refused["type"] == "PolicyNotAuthorized"
    assert refused["message"] == "(rule:create_network and rule:create_network:router:external) is disallowed by policy"


def test_role_and_version_documents_have_the_real_fields(admin_api: Api) -> None:
    role = admin_api.call("GET", "/identity/v3/roles").json()["roles"][0]
    assert set(role) == {"id", "name", "domain_id", "description", "options", "links"}
    versions = httpx.get(f"{admin_api.client.base_url}/compute/").json()["versions"]
    assert [v["id"] for v in versions] == ["v2.0", "v2.1"]
    assert set(versions[0]) == {"id", "status", "version", "min_version", "updated", "links"}


# -- time ------------------------------------------------------------------------------------------


def test_the_clock_keeps_sub_seconds() -> None:
    """Truncated to whole seconds, a 0.2 s transition took up to 1.2 s."""
    readings = [now() for _ in range(200)]
    assert any(reading.microsecond for reading in readings)
    assert readings == sorted(readings)


def test_neutron_keeps_admin_only_attributes_for_admins(member: Api, admin_api: Api) -> None:
    public = member.call("GET", "/network/v2.0/networks?router:external=True").json()["networks"][0]
    refused = [
        ("networks", {"network": {"name": "p", "provider:network_type": "vlan"}}),
        ("floatingips", {"floatingip": {"floating_network_id": public["id"], "floating_ip_address": "127.100.9.9"}}),
        (
            "routers",
            {"router": {"name": "r", "external_gateway_info": {"network_id": public["id"], "enable_snat": False}}},
        ),
        ("routers", {"router": {"name": "r", "ha": True}}),
    ]
    for collection, body in refused:
        reply = member.call("POST", f"/network/v2.0/{collection}", json=body)
        assert reply.status_code == 403 and reply.json()["NeutronError"]["type"] == "PolicyNotAuthorized", body
    address = {"floatingip": {"floating_network_id": public["id"], "floating_ip_address": "127.100.9.9"}}
    chosen = admin_api.call("POST", "/network/v2.0/floatingips", json=address)
    assert chosen.status_code == 201 and chosen.json()["floatingip"]["floating_ip_address"] == "127.100.9.9"
    assert admin_api.call("DELETE", f"/network/v2.0/floatingips/{chosen.json()['floatingip']['id']}").status_code == 204


def test_members_set_a_routers_gateway_later(member: Api) -> None:
    public = member.call("GET", "/network/v2.0/networks?router:external=True").json()["networks"][0]
    router = member.call("POST", "/network/v2.0/routers", json={"router": {"name": "later"}}).json()["router"]
    try:
        body = {"router": {"external_gateway_info": {"network_id": public["id"]}}}
        updated = member.call("PUT", f"/network/v2.0/routers/{router['id']}", json=body)
        assert updated.status_code == 200
        assert updated.json()["router"]["external_gateway_info"]["network_id"] == public["id"]
    finally:
        member.call("DELETE", f"/network/v2.0/routers/{router['id']}")


def test_bulk_creation_is_all_or_nothing(member: Api) -> None:
    before = len(member.call("GET", "/network/v2.0/security-groups").json()["security_groups"])
    body = {"security_groups": [{"name": "bulk-a"}, {"name": "default"}]}  # the second one conflicts
    assert member.call("POST", "/network/v2.0/security-groups", json=body).status_code == 409
    assert len(member.call("GET", "/network/v2.0/security-groups").json()["security_groups"]) == before


def test_cinder_takes_sizes_as_digit_strings(member: Api) -> None:
    created = member.call("POST", "/volume/v3/{project}/volumes", json={"volume": {"size": "2"}})
    assert created.status_code == 202 and created.json()["volume"]["size"] == 2
    refused = member.call("POST", "/volume/v3/{project}/volumes", json={"volume": {"size": "two"}})
    assert refused.status_code == 400 and "badRequest" in refused.json()


def test_a_profile_may_relax_the_policy_as_a_deployment_does(tmp_path: Path) -> None:
    profile = tmp_path / "relaxed.yaml"
    profile.write_text(
        "extends: compliant\ndescription: relaxed policy\n"
        "policy: {list_roles: true, list_role_assignments: true, list_resource_providers: true,"
        " read_type_extra_specs: true, read_type_encryption: true}\n"
    )
    with SimCloud(SimCloudOptions(profile=str(profile), seed=31, ssh=False)) as sim:
        api = Api(sim, "user")
        for path in ("/identity/v3/roles", "/placement/resource_providers"):
            assert api.call("GET", path).status_code == 200, path
        mine = api.call("GET", "/identity/v3/role_assignments").json()["role_assignments"]
        assert mine and all(a["user"]["id"] == mine[0]["user"]["id"] for a in mine)  # their own only
        luks = next(
            t for t in api.call("GET", "/volume/v3/{project}/types").json()["volume_types"] if t["name"] == "LUKS"
        )
        assert luks["extra_specs"] == {"volume_backend_name": "ceph"}
        assert api.call("GET", f"/volume/v3/{{project}}/types/{luks['id']}/encryption").json()["provider"] == "luks"


@pytest.mark.parametrize(
    ("policy", "says"),
    [("{list_everything: true}", "unknown policy switch"), ("{list_roles: yes please}", "true or false")],
)
def test_unknown_policy_switches_are_refused(tmp_path: Path, policy: str, says: str) -> None:
    profile = tmp_path / "bad.yaml"
    profile.write_text(f"extends: compliant\ndescription: bad\npolicy: {policy}\n")
    with pytest.raises(ProfileError, match=says):
        load_profile(profile)


# -- found by the integration tier against real services (tests/integration/test_simcloud_parity.py) --------


def test_compute_limits_carry_the_network_proxy_fields_below_2_36(member: Api) -> None:
    old = member.call("GET", "/compute/v2.1/limits").json()["limits"]["absolute"]
    assert {"maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps"} <= set(old)
    assert {"totalFloatingIpsUsed", "totalSecurityGroupsUsed"} <= set(old)
    new = member.call("GET", "/compute/v2.1/limits", "compute 2.36").json()["limits"]["absolute"]
    assert not {k for k in new if "SecurityGroup" in k or "FloatingIp" in k}


def test_neutron_refuses_a_value_its_converter_cannot_read(member: Api) -> None:
    bad = member.call("POST", "/network/v2.0/networks", json={"network": {"name": "scs-test-mtu", "mtu": "big"}})
    assert bad.status_code == 400
    assert bad.json()["NeutronError"]["type"] == "InvalidInput"
    assert bad.json()["NeutronError"]["message"] == "Invalid input for mtu. Reason: 'big' is not an integer."
    flag = member.call("POST", "/network/v2.0/networks", json={"network": {"name": "x", "admin_state_up": "maybe"}})
    assert flag.status_code == 400 and flag.json()["NeutronError"]["type"] == "InvalidInput"
    names = [n["name"] for n in member.call("GET", "/network/v2.0/networks").json()["networks"]]
    assert "scs-test-mtu" not in names and "x" not in names  # nothing was created


def test_neutron_lists_no_agents_to_a_member_instead_of_404(member: Api) -> None:
    reply = member.call("GET", "/network/v2.0/agents")
    assert (reply.status_code, reply.json()) == (200, {"agents": []})


def test_neutron_quota_fields(member: Api) -> None:
    quota = member.call("GET", "/network/v2.0/quotas/{project}").json()["quota"]
    assert {"network", "subnet", "port", "router", "floatingip", "rbac_policy", "router_route", "subnetpool"} <= set(
        quota
    )


def test_placement_names_error_codes_only_from_1_23(member: Api) -> None:
    old = member.call("GET", "/placement/resource_providers")
    [error] = old.json()["errors"]
    assert old.status_code == 403 and "code" not in error
    new = member.call("GET", "/placement/resource_providers", "placement 1.23")
    [error] = new.json()["errors"]
    assert new.status_code == 403 and error["code"] == "placement.undefined_code"
