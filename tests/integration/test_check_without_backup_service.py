"""scs-0117 on a cloud whose cinder-backup is not running: FAIL, and say what could not be removed.

Without a running cinder-backup, real Cinder accepts the backup, its scheduler finds no backup host and
puts it into `error`, and the backup DELETE is answered with 404 "Service cinder-backup could not be
found": the backup cannot be removed until the service is back. The check must FAIL (backups do not
work) and must not take that 404 for "gone": whatever stays is named, and `scs check cleanup` removes
it once the service runs again. (The service is stopped as a process: Cinder 29's `os-services/enable`
does not undo a disable, so disabling it through the API could not be undone.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ._openstack_services import OpenStackServices, service_state
from .conftest import probe_leftovers, run_scs
from .test_check import PROBE_TIMEOUT_S

pytestmark = pytest.mark.openstack_integration


def _check_backups(services: OpenStackServices, folder: Path) -> Any:
    return run_scs(
        services,
        "check",
        "--cloud",
        "member",
        "--tests",
        "scs-0117",
        "--probe-timeout",
        PROBE_TIMEOUT_S,
        "--format",
        "json",
        cwd=folder,
        timeout=240,  # a volume, a backup and their clean-up: each wait is bounded by the probe timeout (60 s)
    )


@pytest.fixture(scope="module")
def backup_check(openstack_services: OpenStackServices, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Stop cinder-backup, check scs-0117, list what stays; start it again and run `scs check cleanup`."""
    folder = tmp_path_factory.mktemp("no-backup")
    admin = openstack_services.connect("admin")
    stopped = openstack_services.stop("cinder-backup")
    try:
        openstack_services.wait("cinder-backup down", lambda: service_state(admin, "cinder-backup") == "down", [])
        result = _check_backups(openstack_services, folder)
        left = probe_leftovers(openstack_services)
    finally:
        process = openstack_services.start_again(stopped)
        openstack_services.wait("cinder-backup up", lambda: service_state(admin, "cinder-backup") == "up", [process])
        admin.close()
    cleanup = run_scs(openstack_services, "check", "cleanup", "--cloud", "member", cwd=folder, timeout=600)
    assert "Traceback" not in result.stderr + cleanup.stderr, result.stderr + cleanup.stderr
    return {
        "detail": json.loads(result.stdout)["details"]["scs-0117-test-backup"],
        "stderr": result.stderr,
        "left": left,
        "cleanup": cleanup,
        "left_after_cleanup": probe_leftovers(openstack_services),
    }


def test_a_cloud_without_backups_fails_the_testcase(backup_check: dict[str, Any]) -> None:
    assert backup_check["detail"]["result"] == "FAIL", backup_check["detail"]


def test_what_could_not_be_removed_is_named_not_taken_for_gone(backup_check: dict[str, Any]) -> None:
    for leftover in backup_check["left"]:
        name = leftover.split(" ", 1)[1]
        assert "left behind" in backup_check["stderr"] and name in backup_check["stderr"], (
            f"{leftover} stays, but the check did not say so:\n{backup_check['stderr']}"
        )


def test_cleanup_removes_it_once_the_service_is_back(backup_check: dict[str, Any]) -> None:
    cleanup = backup_check["cleanup"]
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert backup_check["left_after_cleanup"] == []
