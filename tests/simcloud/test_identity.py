"""Keystone: authentication methods, tokens, catalog, and the domain-manager role (scs-0302)."""

from __future__ import annotations

import httpx
import openstack.connection
import pytest
from openstack import exceptions

from scs_toolkit.simcloud import SimCloud


def _token(sim: SimCloud, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{sim.url}/identity/v3/auth/tokens", json={"auth": body}, timeout=10)


def _password(user: str, password: str, domain: str = "Default") -> dict[str, object]:
    return {
        "methods": ["password"],
        "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}},
    }


def test_password_token_catalog_and_roles(simcloud: SimCloud) -> None:
    reply = _token(
        simcloud,
        {
            "identity": _password("scs-user", "sim-user-secret"),
            "scope": {"project": {"name": "scs-project", "domain": {"name": "Default"}}},
        },
    )
    assert reply.status_code == 201
    token = reply.json()["token"]
    assert reply.headers["X-Subject-Token"]
    assert [r["name"] for r in token["roles"]] == ["member", "reader"]
    types = {entry["type"] for entry in token["catalog"]}
    assert {
        "identity",
        "compute",
        "image",
        "volumev3",
        "block-storage",
        "network",
        "load-balancer",
        "key-manager",
        "object-store",
        "object-store-s3",
        "placement",
    } <= types
    for entry in token["catalog"]:
        assert all(e["url"].startswith(simcloud.url) for e in entry["endpoints"])


@pytest.mark.parametrize(
    "identity",
    [
        _password("scs-user", "wrong"),
        _password("nobody", "sim-user-secret"),
        _password("scs-user", "sim-user-secret", domain="scs-test-domain-a"),
        {"methods": ["password"], "password": {"user": {"name": "scs-user"}}},
        {"methods": ["totp"]},
    ],
)
def test_bad_credentials_get_401(simcloud: SimCloud, identity: dict[str, object]) -> None:
    reply = _token(simcloud, {"identity": identity})
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == 401


def test_malformed_auth_body_gets_400(simcloud: SimCloud) -> None:
    reply = httpx.post(f"{simcloud.url}/identity/v3/auth/tokens", content=b"{not json", timeout=10)
    assert reply.status_code == 400
    assert "Malformed" in reply.json()["error"]["message"]


def test_validate_and_revoke_token(simcloud: SimCloud) -> None:
    reply = _token(
        simcloud,
        {
            "identity": _password("scs-user", "sim-user-secret"),
            "scope": {"project": {"name": "scs-project", "domain": {"name": "Default"}}},
        },
    )
    token = reply.headers["X-Subject-Token"]
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    assert httpx.get(f"{simcloud.url}/identity/v3/auth/tokens", headers=headers).status_code == 200
    assert httpx.delete(f"{simcloud.url}/identity/v3/auth/tokens", headers=headers).status_code == 204
    assert httpx.get(f"{simcloud.url}/compute/v2.1/flavors", headers={"X-Auth-Token": token}).status_code == 401


def test_application_credential_login(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    user_id = conn.current_user_id
    credential = conn.identity.create_application_credential(user=user_id, name="ci-cred")
    try:
        assert credential.secret
        reply = _token(
            simcloud,
            {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": credential.id, "secret": credential.secret},
                }
            },
        )
        assert reply.status_code == 201
        assert reply.json()["token"]["project"]["name"] == "scs-project"
        wrong = _token(
            simcloud,
            {
                "identity": {
                    "methods": ["application_credential"],
                    "application_credential": {"id": credential.id, "secret": "nope"},
                }
            },
        )
        assert wrong.status_code == 401
        stored = simcloud.cloud.store.get("application_credential", credential.id)
        assert credential.secret not in str(stored)  # only a hash is kept
    finally:
        conn.identity.delete_application_credential(user_id, credential.id)


def test_member_cannot_administer_identity(conn: openstack.connection.Connection) -> None:
    with pytest.raises(exceptions.ForbiddenException):
        list(conn.identity.users())
    with pytest.raises(exceptions.ForbiddenException):
        conn.identity.create_project(name="x", domain_id="default")


def _manager(sim: SimCloud, domain: str) -> openstack.connection.Connection:
    secret = {"scs-test-domain-a": "sim-manager-a-secret", "scs-test-domain-b": "sim-manager-b-secret"}[domain]
    return openstack.connect(
        auth={
            "auth_url": f"{sim.url}/identity/v3",
            "username": f"{domain}-manager",
            "password": secret,
            "user_domain_name": domain,
            "domain_name": domain,
        },
        region_name="RegionOne",
        identity_api_version="3",
    )


def test_domain_manager_manages_only_its_domain(simcloud: SimCloud, admin: openstack.connection.Connection) -> None:
    manager_a, manager_b = _manager(simcloud, "scs-test-domain-a"), _manager(simcloud, "scs-test-domain-b")
    domain_a = manager_a.identity.find_domain("scs-test-domain-a")
    domain_b = manager_b.identity.find_domain("scs-test-domain-b")
    user_a = manager_a.identity.create_user(name="scs-test-a-user", domain_id=domain_a.id, password="pw")
    user_b = manager_b.identity.create_user(name="scs-test-b-user", domain_id=domain_b.id, password="pw")
    try:
        assert {u.name for u in manager_a.identity.users()} == {"scs-test-domain-a-manager", "scs-test-a-user"}
        with pytest.raises(exceptions.ForbiddenException):
            manager_a.identity.create_user(name="intruder", domain_id=domain_b.id)
        with pytest.raises(exceptions.ForbiddenException):
            manager_a.identity.create_user(name="homeless")
        with pytest.raises(exceptions.ForbiddenException):
            manager_a.identity.update_user(user_b, email="x@example.org")
        with pytest.raises(exceptions.ForbiddenException):
            manager_a.identity.delete_user(user_b)
        member = manager_a.identity.find_role("member")
        admin_role = manager_a.identity.find_role("admin")
        manager_a.identity.assign_domain_role_to_user(domain_a, user_a, member)
        assert manager_a.identity.validate_user_has_domain_role(domain_a, user_a, member)
        # the SDK swallows errors of role assignments, so look at the HTTP status directly
        for domain, user, role in (
            (domain_a, user_a, admin_role),
            (domain_b, user_b, member),
            (domain_a, user_b, member),
        ):
            reply = manager_a.identity.put(f"/domains/{domain.id}/users/{user.id}/roles/{role.id}", raise_exc=False)
            assert reply.status_code == 403, (domain.name, user.name, role.name)
        assignments = list(admin.identity.role_assignments(user_id=user_a.id))
        assert [a.role["id"] for a in assignments] == [member.id]  # admin was not granted
        project = manager_a.identity.create_project(name="scs-test-a-project", domain_id=domain_a.id)
        manager_a.identity.assign_project_role_to_user(project, user_a, member)
        assert [p.name for p in manager_a.identity.user_projects(user_a)] == ["scs-test-a-project"]
        with pytest.raises(exceptions.ForbiddenException):
            manager_b.identity.delete_project(project)
        manager_a.identity.unassign_project_role_from_user(project, user_a, member)
        manager_a.identity.delete_project(project)
    finally:
        manager_a.identity.delete_user(user_a)
        manager_b.identity.delete_user(user_b)


def test_domain_manager_groups(simcloud: SimCloud) -> None:
    manager_a, manager_b = _manager(simcloud, "scs-test-domain-a"), _manager(simcloud, "scs-test-domain-b")
    domain_a = manager_a.identity.find_domain("scs-test-domain-a")
    group = manager_a.identity.create_group(name="scs-test-a-group", domain_id=domain_a.id)
    user = manager_a.identity.create_user(name="scs-test-a-member", domain_id=domain_a.id)
    try:
        manager_a.identity.add_user_to_group(user, group)
        assert manager_a.identity.check_user_in_group(user, group)
        assert list(manager_b.identity.groups()) == []
        with pytest.raises(exceptions.ForbiddenException):
            manager_b.identity.delete_group(group)
        with pytest.raises(exceptions.ForbiddenException):
            manager_b.identity.remove_user_from_group(user, group)
    finally:
        manager_a.identity.delete_group(group)
        manager_a.identity.delete_user(user)
