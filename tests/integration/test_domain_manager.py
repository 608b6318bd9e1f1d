"""`scs iam domain-manager` (scs-0302) against real Keystone 30, whose default policy knows the `manager` role.

Keystone >= 2024.2 implements the domain-manager persona natively (scs-0302-w1: the transitional
policy file must then not be applied), so the first Keystone runs its defaults. The second one
shares the accounts but has a policy that lets a manager create users and projects in any domain:
the check must FAIL there, and remove what it created (also the intruders it could create).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ._openstack_services import OpenStackServices
from .conftest import run_scs

pytestmark = pytest.mark.openstack_integration


def _identity_leftovers(services: OpenStackServices, cloud: str) -> list[str]:
    admin = services.connect(cloud)
    found = [
        f"{kind} {resource.name}"
        for kind, listing in (
            ("user", admin.identity.users),
            ("project", admin.identity.projects),
            ("group", admin.identity.groups),
        )
        for resource in listing()
        if (resource.name or "").startswith("scs-test-dm-")
    ]
    admin.close()
    return found


def _run(services: OpenStackServices, cloud: str, cwd: Path) -> tuple[int, dict[str, Any], str]:
    result = run_scs(
        services,
        "iam",
        "domain-manager",
        "--cloud",
        cloud,
        "--config",
        str(services.domain_manager_config),
        "--format",
        "json",
        cwd=cwd,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def test_domain_managers_administer_exactly_their_domain(openstack_services: OpenStackServices, tmp_path: Path) -> None:
    code, record, stderr = _run(openstack_services, "member", tmp_path)
    assert (code, record["result"], record["findings"]) == (0, "PASS", []), stderr
    assert _identity_leftovers(openstack_services, "admin") == []


def test_a_broken_policy_fails_and_leaves_nothing_behind(openstack_services: OpenStackServices, tmp_path: Path) -> None:
    code, record, stderr = _run(openstack_services, "broken-policy", tmp_path)
    assert (code, record["result"]) == (1, "FAIL"), stderr
    messages = {finding["message"] for finding in record["findings"]}
    assert {"could create a user in another domain", "could create a project in another domain"} <= messages
    # what the policy did not break is still judged right
    assert "could delete another domain's user" not in messages
    assert _identity_leftovers(openstack_services, "broken-policy-admin") == []
