"""The admin APIs `scs fix` uses, answering as real OpenStack does: Nova flavors and extra specs, servers by
flavor, Glance property patches, Cinder volume type updates, Neutron default security group rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scs_toolkit.simcloud import SimCloud, SimCloudOptions, login

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch", "Accept": "application/json"}  # as the SDK


class Api:
    def __init__(self, sim: SimCloud, who: str) -> None:
        self.token, self.project_id = login(sim.url, sim.credentials(who))
        self.client = httpx.Client(base_url=sim.url, headers={"X-Auth-Token": self.token}, timeout=30)

    def call(self, method: str, path: str, version: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if version is not None:
            headers["OpenStack-API-Version"] = version
        return self.client.request(method, path.replace("{project}", self.project_id), headers=headers, **kwargs)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimCloud]:
    with SimCloud(SimCloudOptions(profile="compliant", seed=11, ssh=False)) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def admin(sim: SimCloud) -> Iterator[Api]:
    api = Api(sim, "admin")
    yield api
    api.client.close()


@pytest.fixture(scope="module")
def member(sim: SimCloud) -> Iterator[Api]:
    api = Api(sim, "user")
    yield api
    api.client.close()


def _nova_message(reply: httpx.Response) -> str:
    body = reply.json()
    return str(next(iter(body.values()))["message"])


def test_flavor_create_takes_no_extra_specs_and_description_only_from_2_55(admin: Api) -> None:
    body = {"flavor": {"name": "scs-x1", "ram": 1024, "vcpus": 1, "disk": 0, "extra_specs": {"a": "b"}}}
    reply = admin.call("POST", "/compute/v2.1/flavors", json=body)
    assert reply.status_code == 400
    assert "Additional properties are not allowed ('extra_specs' was unexpected)" in _nova_message(reply)
    described = {"flavor": {"name": "scs-x1", "ram": 1024, "vcpus": 1, "disk": 0, "description": "small"}}
    assert admin.call("POST", "/compute/v2.1/flavors", json=described).status_code == 400
    created = admin.call("POST", "/compute/v2.1/flavors", "compute 2.55", json=described)
    assert created.status_code == 200 and created.json()["flavor"]["description"] == "small"
    flavor_id = created.json()["flavor"]["id"]
    try:
        again = admin.call(
            "POST", "/compute/v2.1/flavors", json={"flavor": {**described["flavor"], "description": None}}
        )
        assert again.status_code in (400, 409)
        zero = admin.call(
            "POST", "/compute/v2.1/flavors", json={"flavor": {"name": "scs-x2", "ram": 0, "vcpus": 1, "disk": 0}}
        )
        assert zero.status_code == 400 and "less than the minimum of 1" in _nova_message(zero)
    finally:
        assert admin.call("DELETE", f"/compute/v2.1/flavors/{flavor_id}").status_code == 202


def test_single_extra_spec_set_and_delete(admin: Api, member: Api) -> None:
    flavor = admin.call(
        "POST", "/compute/v2.1/flavors", json={"flavor": {"name": "scs-x3", "ram": 512, "vcpus": 1, "disk": 1}}
    )
    flavor_id = flavor.json()["flavor"]["id"]
    specs = f"/compute/v2.1/flavors/{flavor_id}/os-extra_specs"
    try:
        created = admin.call(
            "POST", specs, json={"extra_specs": {"scs:cpu-type": "shared-core", "hw_rng:allowed": True}}
        )
        assert created.json() == {"extra_specs": {"scs:cpu-type": "shared-core", "hw_rng:allowed": "True"}}
        mismatch = admin.call("PUT", f"{specs}/scs:cpu-type", json={"scs:disk0-type": "ssd"})
        assert mismatch.status_code == 400 and "Request body and URI mismatch" in _nova_message(mismatch)
        assert admin.call("PUT", f"{specs}/scs:cpu-type", json={"scs:cpu-type": "a", "b": "c"}).status_code == 400
        updated = admin.call("PUT", f"{specs}/scs:cpu-type", json={"scs:cpu-type": "crowded-core"})
        assert updated.json() == {"scs:cpu-type": "crowded-core"}
        assert member.call("DELETE", f"{specs}/scs:cpu-type").status_code == 403
        assert admin.call("DELETE", f"{specs}/scs:cpu-type").status_code == 202
        missing = admin.call("DELETE", f"{specs}/scs:cpu-type")
        assert missing.status_code == 404 and "has no extra specs with key scs:cpu-type" in _nova_message(missing)
        assert admin.call("GET", specs).json() == {"extra_specs": {"hw_rng:allowed": "True"}}
        bad_key = admin.call("POST", specs, json={"extra_specs": {"no|pipes": "x"}})
        assert bad_key.status_code == 400
    finally:
        admin.call("DELETE", f"/compute/v2.1/flavors/{flavor_id}")


def test_servers_by_flavor_across_projects_for_admins_only(admin: Api, member: Api) -> None:
    network = member.call("POST", "/network/v2.0/networks", json={"network": {"name": "by-flavor"}}).json()["network"]
    subnet = {"subnet": {"network_id": network["id"], "cidr": "10.30.0.0/24", "ip_version": 4}}
    assert member.call("POST", "/network/v2.0/subnets", json=subnet).status_code == 201
    flavors = {f["name"]: f["id"] for f in member.call("GET", "/compute/v2.1/flavors").json()["flavors"]}
    image = member.call("GET", "/image/v2/images?name=Debian 12").json()["images"][0]["id"]
    boot = {
        "name": "uses-2v-4-20s",
        "imageRef": image,
        "flavorRef": flavors["SCS-2V-4-20s"],
        "networks": [{"uuid": network["id"]}],
    }
    server = member.call("POST", "/compute/v2.1/servers", json={"server": boot}).json()["server"]
    try:
        listed = admin.call("GET", f"/compute/v2.1/servers/detail?all_tenants=1&flavor={flavors['SCS-2V-4-20s']}")
        assert [s["id"] for s in listed.json()["servers"]] == [server["id"]]
        other = admin.call("GET", f"/compute/v2.1/servers?all_tenants=1&flavor={flavors['SCS-1V-2']}")
        assert other.json()["servers"] == []
        own = admin.call("GET", f"/compute/v2.1/servers?flavor={flavors['SCS-2V-4-20s']}")
        assert own.json()["servers"] == []  # without all_tenants an admin sees its own project only
        mine = member.call("GET", f"/compute/v2.1/servers?image={image}").json()["servers"]
        assert [s["id"] for s in mine] == [server["id"]]
        refused = member.call("GET", "/compute/v2.1/servers/detail?all_tenants=1")
        assert refused.status_code == 403 and "detail:get_all_tenants" in _nova_message(refused)
    finally:
        member.call("DELETE", f"/compute/v2.1/servers/{server['id']}")


def test_image_patch_as_glance_answers(admin: Api) -> None:
    image = admin.call("GET", "/image/v2/images?name=Ubuntu 22.04").json()["images"][0]
    path = f"/image/v2/images/{image['id']}"
    absent = admin.call("PATCH", path, headers=PATCH, json=[{"op": "replace", "path": "/nothing_here", "value": "x"}])
    assert absent.status_code == 409 and "Property nothing_here does not exist." in absent.text
    core = admin.call("PATCH", path, headers=PATCH, json=[{"op": "remove", "path": "/min_disk"}])
    assert core.status_code == 403 and "may not be removed" in core.text
    typed = admin.call("PATCH", path, headers=PATCH, json=[{"op": "add", "path": "/min_ram", "value": "512"}])
    assert typed.status_code == 400 and "is not of type 'integer'" in typed.text
    text = admin.call("PATCH", path, headers=PATCH, json=[{"op": "add", "path": "/os_version", "value": 22}])
    assert text.status_code == 400 and "is not of type 'string'" in text.text
    # all or nothing: the good first operation is not kept when the second fails
    mixed = [{"op": "add", "path": "/patch_marker", "value": "1"}, {"op": "remove", "path": "/not_there"}]
    assert admin.call("PATCH", path, headers=PATCH, json=mixed).status_code == 409
    assert "patch_marker" not in admin.call("GET", path).json()
    done = admin.call(
        "PATCH",
        path,
        headers=PATCH,
        json=[
            {"op": "add", "path": "/min_ram", "value": 1024},
            {"op": "add", "path": "/os_version", "value": "22.04.5"},
        ],
    )
    assert done.status_code == 200 and (done.json()["min_ram"], done.json()["os_version"]) == (1024, "22.04.5")
    back = [
        {"op": "add", "path": "/min_ram", "value": image["min_ram"]},
        {"op": "add", "path": "/os_version", "value": "22.04"},
    ]
    assert admin.call("PATCH", path, headers=PATCH, json=back).status_code == 200


def test_volume_type_update(admin: Api, member: Api) -> None:
    types = admin.call("GET", "/volume/v3/{project}/types").json()["volume_types"]
    luks = next(t for t in types if t["name"] == "LUKS")
    path = f"/volume/v3/{{project}}/types/{luks['id']}"
    assert (
        member.call(
            "PUT", path.replace("{project}", member.project_id), json={"volume_type": {"description": "x"}}
        ).status_code
        == 403
    )
    empty = admin.call("PUT", path, json={"volume_type": {}})
    assert empty.status_code == 400 and "Specify volume type name, description, is_public" in empty.text
    taken = admin.call("PUT", path, json={"volume_type": {"name": "replicated"}})
    assert taken.status_code == 409
    updated = admin.call("PUT", path, json={"volume_type": {"description": "[scs:encrypted] LUKS, again"}})
    assert updated.status_code == 200 and updated.json()["volume_type"]["description"] == "[scs:encrypted] LUKS, again"
    shown = member.call("GET", f"/volume/v3/{member.project_id}/types/{luks['id']}").json()["volume_type"]
    assert shown["description"] == "[scs:encrypted] LUKS, again"
    admin.call("PUT", path, json={"volume_type": {"description": luks["description"]}})


def test_default_rules_are_templates_that_are_replaced_never_changed(admin: Api, member: Api) -> None:
    rules = "/network/v2.0/default-security-group-rules"
    same = {"direction": "egress", "ethertype": "IPv4", "used_in_default_sg": False, "used_in_non_default_sg": True}
    duplicate = admin.call("POST", rules, json={"default_security_group_rule": same})
    assert duplicate.status_code == 409  # the compliant profile has IPv4 egress for both kinds of group
    assert duplicate.json()["NeutronError"]["type"] == "DefaultSecurityGroupRuleExists"
    prefix = {**same, "remote_ip_prefix": "0.0.0.0/0"}  # no prefix is the same as everywhere
    assert admin.call("POST", rules, json={"default_security_group_rule": prefix}).status_code == 409
    ssh = {
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": "tcp",
        "port_range_min": 22,
        "port_range_max": 22,
        "remote_ip_prefix": "10.0.0.0/8",
        "used_in_default_sg": True,
        "used_in_non_default_sg": False,
    }
    assert member.call("POST", rules, json={"default_security_group_rule": ssh}).status_code == 403
    created = admin.call("POST", rules, json={"default_security_group_rule": ssh})
    assert created.status_code == 201
    rule_id = created.json()["default_security_group_rule"]["id"]
    for who in (admin, member):
        changed = who.call("PUT", f"{rules}/{rule_id}", json={"default_security_group_rule": {"description": "x"}})
        assert changed.status_code == 400 and "read-only" in changed.text
    assert member.call("DELETE", f"{rules}/{rule_id}").status_code == 403
    assert admin.call("DELETE", f"{rules}/{rule_id}").status_code == 204
    gone = admin.call("DELETE", f"{rules}/{rule_id}")
    assert gone.status_code == 404 and gone.json()["NeutronError"]["type"] == "DefaultSecurityGroupRuleNotFound"
