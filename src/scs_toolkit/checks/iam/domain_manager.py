"""scs-0302 domain manager: a `manager` of domain A administers A's users, projects and groups, and nothing else.

Needs two domains with one manager each, described in a file in the format of the official
domain-manager-test.yaml (domains[].name, manager.username/password, member_role). Resources are
named `scs-test-dm-...` and removed afterwards. Each expectation that does not hold is a finding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openstack
import yaml
from openstack import exceptions

from ...collect._cleanup import describe
from ...collect._retry import with_retries
from .._model import Finding, Outcome

PREFIX = "scs-test-dm-"


@dataclass(frozen=True)
class Manager:
    domain: str
    username: str
    password: str
    member_role: str = "member"


class ConfigError(ValueError):
    """The domain-manager file is missing or malformed; the message says which key."""


def load_config(path: Path) -> tuple[Manager, Manager]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        domains = document["domains"]
        managers = tuple(
            Manager(d["name"], d["manager"]["username"], d["manager"]["password"], d.get("member_role", "member"))
            for d in domains[:2]
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ConfigError(f"{path}: expected domains[].name, manager.username, manager.password ({error})") from None
    if len(managers) < 2:
        raise ConfigError(f"{path}: needs two domains with a manager each")
    return managers[0], managers[1]


def connect_manager(auth_url: str, manager: Manager, verify: Any = True) -> Any:
    return openstack.connect(
        auth={
            "auth_url": auth_url,
            "username": manager.username,
            "password": manager.password,
            "user_domain_name": manager.domain,
            "domain_name": manager.domain,
        },
        identity_api_version="3",
        verify=verify,
    )


def _forbidden(
    action: Callable[[], Any],
    created: list[tuple[Callable[[Any], Any], Any]] | None = None,
    delete: Callable[[Any], Any] | None = None,
) -> bool:
    """Whether the cloud refused `action` (403); what it created although it should not have is
    recorded in `created` with `delete`, so that a broken policy leaves nothing behind."""
    try:
        made = action()
    except exceptions.ForbiddenException:
        return True
    if created is not None and delete is not None and made is not None:
        created.append((delete, made))
    return False


def _status(conn: Any, method: str, path: str) -> int:
    return int(conn.identity.request(path, method, raise_exc=False).status_code)


def decide(manager_a: Any, manager_b: Any, config: tuple[Manager, Manager]) -> Outcome:
    a, b = config
    findings: list[Finding] = []

    def expect(condition: bool, what: str) -> None:
        if not condition:
            findings.append(Finding(a.username, what))

    ident_a, ident_b = manager_a.identity, manager_b.identity
    domain_a = with_retries(lambda: ident_a.find_domain(a.domain, ignore_missing=False))
    domain_b = with_retries(lambda: ident_b.find_domain(b.domain, ignore_missing=False))
    member = with_retries(lambda: ident_a.find_role(a.member_role, ignore_missing=False))
    admin = ident_a.find_role("admin")
    created: list[tuple[Any, Any]] = []
    try:
        user_a = ident_a.create_user(name=f"{PREFIX}a-user", domain_id=domain_a.id)
        created.append((ident_a.delete_user, user_a))
        user_b = ident_b.create_user(name=f"{PREFIX}b-user", domain_id=domain_b.id)
        created.append((ident_b.delete_user, user_b))
        expect(
            _forbidden(
                lambda: ident_a.create_user(name=f"{PREFIX}intruder", domain_id=domain_b.id),
                created,
                ident_b.delete_user,
            ),
            "could create a user in another domain",
        )
        expect({u.domain_id for u in ident_a.users()} == {domain_a.id}, "sees users of other domains")
        expect(
            _forbidden(lambda: ident_a.update_user(user_b, email="x@example.org")), "could update another domain's user"
        )
        expect(_forbidden(lambda: ident_a.delete_user(user_b)), "could delete another domain's user")
        path = f"/domains/{domain_a.id}/users/{user_a.id}/roles/{member.id}"
        expect(_status(manager_a, "PUT", path) == 204, f"could not assign role {a.member_role} in its own domain")
        if admin is not None:
            expect(
                _status(manager_a, "PUT", f"/domains/{domain_a.id}/users/{user_a.id}/roles/{admin.id}") == 403,
                "could assign the admin role",
            )
        expect(
            _status(manager_a, "PUT", f"/domains/{domain_b.id}/users/{user_b.id}/roles/{member.id}") == 403,
            "could assign roles in another domain",
        )
        project = ident_a.create_project(name=f"{PREFIX}a-project", domain_id=domain_a.id)
        created.append((ident_a.delete_project, project))
        expect(
            _forbidden(
                lambda: ident_a.create_project(name=f"{PREFIX}intruder", domain_id=domain_b.id),
                created,
                ident_b.delete_project,
            ),
            "could create a project in another domain",
        )
        expect(_forbidden(lambda: ident_b.delete_project(project)), "another domain's manager could delete its project")
        group = ident_a.create_group(name=f"{PREFIX}a-group", domain_id=domain_a.id)
        created.append((ident_a.delete_group, group))
        expect(
            not [g for g in ident_b.groups() if g.domain_id == domain_a.id], "another domain's manager sees its groups"
        )
    except exceptions.ForbiddenException as error:
        findings.append(Finding(a.username, f"was refused an action in its own domain: {error.details or error}"))
    finally:
        leftovers = []
        for delete, resource in reversed(created):
            try:
                with_retries(functools.partial(delete, resource))
            except exceptions.NotFoundException:
                continue  # gone already (e.g. the other domain's manager could delete it: a finding)
            except exceptions.SDKException as error:
                kind = type(resource).__name__.lower()
                leftovers.append(f"{kind} {resource.name} ({resource.id}): cannot delete: {describe(error)}")
    return Outcome.from_findings(
        findings,
        "domain managers administer exactly their own domain",
        "domain-manager semantics broken",
        "Grant the `manager` role the scs-0302 policy (Keystone >= 2024.2: enforce_new_defaults and enforce_scope).",
    ).left_behind(leftovers)
