"""`scs health run` with a member account on the real services: it completes or says precisely what failed.

Everything the health monitor builds the real services accept (network, router, security group,
key pair, servers with NICs, a floating IP on the loopback external network); only the SSH login
to the jump host cannot work: the fake virt driver runs no guest. So the iteration fails on that
step alone, says so, and removes everything it built.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ._openstack_services import OpenStackServices
from .conftest import probe_leftovers, run_scs

pytestmark = pytest.mark.openstack_integration

#: the jump host's floating IP is on the loopback external network; nothing answers SSH there
NO_GUEST = re.compile(r"ssh: TimeoutError: no SSH login to 127\.200\.0\.\d+:22 within \d+ s")


@pytest.fixture(scope="module")
def health_run(openstack_services: OpenStackServices, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("health")
    result = run_scs(
        openstack_services,
        "health",
        "run",
        "--cloud",
        "member",
        "--iterations",
        "1",
        "--ssh-timeout",
        "20",  # nothing answers SSH behind the fake driver: do not wait the default two minutes
        "--format",
        "json",
        "--db",
        f"sqlite:///{folder / 'health.db'}",
        cwd=folder,
        timeout=600,
    )
    assert "Traceback" not in result.stderr, result.stderr
    summaries = json.loads(result.stdout)
    assert len(summaries) == 1, summaries
    return {"code": result.returncode, "summary": summaries[0], "stderr": result.stderr}


def test_the_only_failure_is_the_ssh_login_to_a_guest_that_does_not_exist(health_run: dict[str, Any]) -> None:
    summary = health_run["summary"]
    assert (health_run["code"], summary["ok"]) == (1, False), summary
    assert len(summary["failures"]) == 1, summary["failures"]
    assert NO_GUEST.fullmatch(summary["failures"][0]), summary["failures"]
    assert [s["name"] for s in summary["steps"] if not s["ok"]] == ["ssh"], summary["steps"]


def test_every_api_call_of_the_iteration_was_accepted(health_run: dict[str, Any]) -> None:
    """The real cloud refused nothing: no API errors for any service."""
    summary = health_run["summary"]
    assert summary["api_calls"] > 0, summary
    assert summary["api_errors"] == {}, summary


def test_the_iteration_leaves_nothing_behind(health_run: dict[str, Any], openstack_services: OpenStackServices) -> None:
    assert health_run["summary"]["leftovers"] == [], health_run["summary"]
    assert probe_leftovers(openstack_services, ("scs-health-",)) == []
