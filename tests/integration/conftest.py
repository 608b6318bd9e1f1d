"""The integration tier: our CLI against real OpenStack services, brought up once per test run.

Opt-in (`pytest -m openstack_integration tests/integration`; the default run deselects the marker).
The services live in their own virtualenv and temporary folders; see _openstack_services.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._openstack_services import OpenStackServices

#: our CLI, run as a user would (the toolkit's venv, beside the running interpreter)
SCS = Path(sys.executable).with_name("scs")
PROBE_PREFIXES = ("scs-test-", "scs-health-")


@pytest.fixture(scope="session")
def openstack_services(request: pytest.FixtureRequest) -> Iterator[OpenStackServices]:
    """Every service up and seeded; torn down at the end, keeping the logs (path printed) when a test failed.

    SCS_OPENSTACK_ATTACH=1 uses the services of a detached `python -m tests.integration._openstack_services
    up --detach` instead (and leaves them running): quick re-runs while debugging a test.
    """
    if os.environ.get("SCS_OPENSTACK_ATTACH") == "1":  # services of a detached `up`: not ours to stop
        yield OpenStackServices.attach()
        return
    services = OpenStackServices(log=lambda message: print(message, file=sys.stderr))
    services.up()
    timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in services.timings.items())
    print(f"\nOpenStack services up ({timings}); logs in {services.layout.logs}", file=sys.stderr)
    request.config.stash[_TIMINGS] = services.timings
    try:
        yield services
    finally:
        kept = services.down(keep_logs=request.session.testsfailed > 0)
        if kept is not None:
            request.config.stash[_KEPT_LOGS] = kept


_TIMINGS = pytest.StashKey[dict[str, float]]()
_KEPT_LOGS = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    timings = config.stash.get(_TIMINGS, None)
    if timings:
        terminalreporter.write_line(
            "OpenStack bring-up: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
        )
    kept = config.stash.get(_KEPT_LOGS, None)
    if kept is not None:
        terminalreporter.write_line(f"a test failed: every OpenStack service's log is kept in {kept}")


def run_scs(
    services: OpenStackServices, *args: str, cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """`scs ARGS` as a subprocess with only the test clouds.yaml (OS_CLIENT_CONFIG_FILE); a hang fails the test."""
    try:
        return subprocess.run(
            [str(SCS), *args], cwd=cwd, env=services.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as hang:
        output = "".join(
            part.decode(errors="replace") if isinstance(part, bytes) else part
            for part in (hang.stdout or "", hang.stderr or "")
        )
        pytest.fail(f"`scs {' '.join(args)}` did not finish within {timeout:.0f} s (killed); its output:\n{output}")


def probe_leftovers(services: OpenStackServices, prefixes: tuple[str, ...] = PROBE_PREFIXES) -> list[str]:
    """Every resource whose name starts with a probe prefix, in any project, listed with the admin account."""
    admin, member = services.connect("admin"), services.connect("member")
    listings: dict[str, Any] = {
        "server": lambda: admin.compute.servers(all_projects=True),
        "volume": lambda: admin.block_storage.volumes(all_projects=True),
        "backup": lambda: admin.block_storage.backups(all_projects=True),
        "snapshot": lambda: admin.block_storage.snapshots(all_projects=True),
        "network": admin.network.networks,
        "subnet": admin.network.subnets,
        "router": admin.network.routers,
        "port": admin.network.ports,
        "security group": admin.network.security_groups,
        "key pair": member.compute.keypairs,  # key pairs belong to the user who made them
        "image": admin.image.images,
    }
    found = [
        f"{kind} {resource.name}"
        for kind, listing in listings.items()
        for resource in listing()
        if (resource.name or "").startswith(prefixes)
    ]
    # floating IPs and ports have no names: the member owns none of them unless a probe left them
    project = member.current_project_id
    found += [f"floating IP {ip.floating_ip_address}" for ip in member.network.ips(project_id=project)]
    found += [f"port {p.id} ({p.device_owner})" for p in member.network.ports(project_id=project)]
    admin.close()
    member.close()
    return found
