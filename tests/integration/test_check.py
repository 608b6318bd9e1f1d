"""`scs check` with a member account on the real services: the verdicts they justify, and nothing left behind.

The cloud is seeded as an operator would (see _openstack_seed.py): the scs-0103 flavors, the
standard images with their scs-0102 metadata, the scs-0114 volume types, the scs-0115 default rules.
What the services cannot justify is written down per testcase: the fake virt driver runs no guest
(scs-0101 cannot look inside a VM: no verdict, ABORT, never FAIL); Octavia, Swift/S3 and Barbican
are not installed (scs-0123 makes load balancers and S3 mandatory: FAIL; scs-0116's key manager is
only recommended). The testcases are those of the scope's effective version(s) on the day.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from ._openstack_seed import COMMUNITY_IMAGE
from ._openstack_services import OpenStackServices
from .conftest import probe_leftovers, run_scs

pytestmark = pytest.mark.openstack_integration

#: a probe waits this long for one thing (a boot, console output, a backup); servers reach ACTIVE in seconds here
PROBE_TIMEOUT_S = "60"
NO_GUEST = re.compile(r"console|ssh", re.IGNORECASE)  # why scs-0101 has no verdict: there is no guest to ask

PASS_BECAUSE_SEEDED = "the seeded cloud meets it"
EXPECTED: dict[str, tuple[str, str]] = {
    "scs-0100-syntax-check": ("PASS", "the flavors carry valid SCS names"),
    "scs-0100-semantics-check": ("PASS", "the flavors have what their names promise (extra specs as generated)"),
    "scs-0101-entropy-avail": ("ABORT", "the fake virt driver boots no guest: no console output, no SSH"),
    "scs-0101-fips-test": ("ABORT", "the fake virt driver boots no guest: no console output, no SSH"),
    "scs-0102-image-recency": ("PASS", "the images were built days ago and are rebuilt monthly"),
    "scs-0102-os_purpose-uniqueness": ("PASS", "one generic image per distribution and version"),
    "scs-0102-prop-image_description": ("FAIL", f"the community image {COMMUNITY_IMAGE!r} has no image_description"),
    **{
        f"scs-0102-prop-{prop}": ("PASS", PASS_BECAUSE_SEEDED)
        for prop in (
            "architecture",
            "min_disk",
            "min_ram",
            "os_version",
            "os_distro",
            "os_purpose",
            "hw_disk_bus",
            "image_build_date",
            "image_original_user",
            "image_source",
            "replace_frequency",
            "provided_until",
            "uuid_validity",
        )
    },
    **{
        f"scs-0103-flavor-{name}": ("PASS", "the scs-0103 flavors of the compliant profile, with their extra specs")
        for name in (
            "1v-4",
            "2v-8",
            "4v-16",
            "8v-32",
            "1v-2",
            "2v-4",
            "4v-8",
            "8v-16",
            "16v-32",
            "1v-8",
            "2v-16",
            "4v-32",
            "1l-1",
            "2v-4-20s",
            "4v-16-100s",
        )
    },
    "scs-0104-image-ubuntu-2404": ("PASS", "Ubuntu 24.04 is uploaded"),
    **{
        f"scs-0104-source-{name}": (
            "PASS",
            "the uploaded images name their upstream image_source (absent ones: none to judge)",
        )
        for name in (
            "capi-1",
            "capi-2",
            "ubuntu-2404",
            "ubuntu-2204",
            "ubuntu-2004",
            "debian-13",
            "debian-12",
            "debian-11",
        )
    },
    "scs-0114-syntax-check": ("PASS", "the volume type descriptions use the [scs:...] syntax correctly"),
    "scs-0115-default-rules": ("PASS", "seeded through the API: ingress only from the group, egress IPv4 and IPv6"),
    "scs-0116-permissions": ("PASS", "no key manager offered, nothing a member could be refused"),
    "scs-0117-test-backup": ("PASS", "cinder-backup (fake backup driver) backs up and restores a volume"),
    "scs-0123-service-compute": ("PASS", "Nova is in the catalog"),
    "scs-0123-service-identity": ("PASS", "Keystone is in the catalog"),
    "scs-0123-service-image": ("PASS", "Glance is in the catalog"),
    "scs-0123-service-network": ("PASS", "Neutron is in the catalog"),
    "scs-0123-service-placement": ("PASS", "Placement is in the catalog"),
    "scs-0123-storage-apis": ("PASS", "Cinder is in the catalog as block-storage and volumev3"),
    "scs-0123-service-load-balancer": ("FAIL", "Octavia is not installed; scs-0123 makes it mandatory"),
    "scs-0123-service-s3": ("FAIL", "no S3-compatible object storage is installed; scs-0123 makes it mandatory"),
    "scs-0123-swift-s3": ("PASS", "no object-store service: nothing to check"),
}


@pytest.fixture(scope="module")
def check_run(openstack_services: OpenStackServices, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One `scs check` run, as a member would start it; its stdout document, report file and exit code."""
    folder = tmp_path_factory.mktemp("check")
    result = run_scs(
        openstack_services,
        "check",
        "--cloud",
        "member",
        "--probe-timeout",
        PROBE_TIMEOUT_S,
        "--format",
        "json",
        "-o",
        "report.yaml",
        cwd=folder,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return {
        "code": result.returncode,
        "document": json.loads(result.stdout),
        "report": yaml.safe_load((folder / "report.yaml").read_text()),
        "stderr": result.stderr,
    }


@pytest.mark.parametrize("testcase", sorted(EXPECTED))
def test_verdict_the_real_services_justify(testcase: str, check_run: dict[str, Any]) -> None:
    details = check_run["document"]["details"]
    assert testcase in details, f"{testcase} was not run (ran: {sorted(details)})"
    verdict, why = EXPECTED[testcase]
    detail = details[testcase]
    assert detail["result"] == verdict, f"expected {verdict} because {why}; got {detail}"
    if verdict == "ABORT":
        assert NO_GUEST.search(detail["reason"]), f"the reason must say there is no guest to ask: {detail['reason']}"


def test_every_testcase_run_has_a_written_expectation(check_run: dict[str, Any]) -> None:
    unexplained = sorted(set(check_run["document"]["details"]) - set(EXPECTED))
    assert unexplained == [], "write down the verdict the real services justify for these"


def test_community_images_are_judged_too(check_run: dict[str, Any]) -> None:
    detail = check_run["document"]["details"]["scs-0102-prop-image_description"]
    assert COMMUNITY_IMAGE in json.dumps(detail), detail


def test_report_file_and_exit_code_agree_with_the_verdicts(check_run: dict[str, Any]) -> None:
    report, document = check_run["report"], check_run["document"]
    assert report["subject"] == document["subject"] == "member"
    assert {tc: d["result"] for tc, d in report["details"].items()} == {
        tc: d["result"] for tc, d in document["details"].items()
    }
    assert check_run["code"] == 1, "mandatory services (load balancer, S3) are missing: not compliant"


def test_the_probes_leave_nothing_behind(check_run: dict[str, Any], openstack_services: OpenStackServices) -> None:
    assert "left behind" not in check_run["stderr"], check_run["stderr"]
    assert probe_leftovers(openstack_services) == []
