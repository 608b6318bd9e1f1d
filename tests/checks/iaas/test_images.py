"""scs-0102 image metadata and scs-0104 standard images on hand-built snapshots."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import pytest

from scs_toolkit.checks import Status, evaluate
from scs_toolkit.collect import IaasSnapshot, Image

NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
GOOD = {
    "architecture": "x86_64",
    "os_distro": "ubuntu",
    "os_version": "24.04",
    "os_purpose": "generic",
    "hw_disk_bus": "scsi",
    "image_build_date": "2026-11-10",
    "image_original_user": "ubuntu",
    "image_source": "https://cloud-images.ubuntu.com/releases/noble/x.img",
    "image_description": "Ubuntu",
    "replace_frequency": "monthly",
    "provided_until": "none",
    "uuid_validity": "last-3",
}


def image(name: str = "Ubuntu 24.04", hidden: bool = False, visibility: str = "public", **props: str | None) -> Image:
    merged = {k: v for k, v in {**GOOD, **props}.items() if v is not None}
    return Image(
        name, name, visibility, hidden, 8, 512, 2**30, "2026-11-11T00:00:00Z", "sha512", MappingProxyType(merged)
    )


def run(testcase: str, *images: Image) -> Status:
    return evaluate(IaasSnapshot(taken_at=NOW, images=images), [testcase])[testcase].status


@pytest.mark.parametrize(
    ("testcase", "props", "status"),
    [
        ("scs-0102-prop-architecture", {}, Status.PASS),
        ("scs-0102-prop-architecture", {"architecture": None}, Status.FAIL),
        ("scs-0102-prop-architecture", {"architecture": "amd64"}, Status.FAIL),
        ("scs-0102-prop-hw_disk_bus", {"hw_disk_bus": "ide"}, Status.PASS),  # a valid OpenStack bus
        ("scs-0102-prop-hw_disk_bus", {"hw_disk_bus": None}, Status.FAIL),  # mandatory (reference: passes)
        ("scs-0102-prop-uuid_validity", {"uuid_validity": None}, Status.FAIL),  # mandatory (reference: passes)
        ("scs-0102-prop-uuid_validity", {"uuid_validity": "2027-12-31"}, Status.PASS),
        ("scs-0102-prop-uuid_validity", {"uuid_validity": "last-x"}, Status.FAIL),
        ("scs-0102-prop-image_source", {"image_source": "private"}, Status.PASS),
        ("scs-0102-prop-image_source", {"image_source": "file:///tmp/x"}, Status.FAIL),
        ("scs-0102-prop-image_build_date", {"image_build_date": "2026-11-10 08:15"}, Status.PASS),
        ("scs-0102-prop-image_build_date", {"image_build_date": "2026-11-12"}, Status.FAIL),  # after registration
        ("scs-0102-prop-image_build_date", {"image_build_date": "yesterday"}, Status.FAIL),
        ("scs-0102-prop-replace_frequency", {"replace_frequency": "fortnightly"}, Status.FAIL),
        ("scs-0102-prop-provided_until", {"provided_until": "soon"}, Status.FAIL),
        ("scs-0102-prop-hotfix_hours", {"hotfix_hours": "48"}, Status.PASS),
        ("scs-0102-prop-hotfix_hours", {"hotfix_hours": "2 days"}, Status.FAIL),
        ("scs-0102-prop-os_purpose", {"os_purpose": "oldgeneric"}, Status.PASS),
        ("scs-0102-prop-os_purpose", {"os_purpose": None}, Status.FAIL),
    ],
)
def test_properties(testcase: str, props: dict[str, str | None], status: Status) -> None:
    assert run(testcase, image(**props)) is status


def test_private_images_are_not_judged() -> None:
    assert run("scs-0102-prop-architecture", image(visibility="private", architecture=None)) is Status.PASS


@pytest.mark.parametrize(
    ("built", "frequency", "until", "status"),
    [
        ("2026-10-21", "monthly", "2027-12-31", Status.PASS),  # 33 days: within 1.1 x 31 days
        ("2026-10-10", "monthly", "2027-12-31", Status.FAIL),  # 44 days
        ("2026-10-10", "monthly", "none", Status.PASS),  # no promise made
        ("2026-10-10", "monthly", "2026-11-01", Status.PASS),  # promise expired
        ("2026-10-10", "monthly", "someday", Status.FAIL),
        ("2020-01-01", "never", "2027-12-31", Status.PASS),
        ("2026-11-17", "weekly", "2027-12-31", Status.PASS),
        ("2026-11-14", "weekly", "2027-12-31", Status.FAIL),  # 9.5 days > 1.1 x 7 x 25 h
        ("2026-11-10", "daily", "2027-12-31", Status.FAIL),
    ],
)
def test_recency_windows(built: str, frequency: str, until: str, status: Status) -> None:
    assert (
        run("scs-0102-image-recency", image(image_build_date=built, replace_frequency=frequency, provided_until=until))
        is status
    )


def test_outdated_image_with_fresh_replacement_passes() -> None:
    old = image("Ubuntu 24.04 20261001", image_build_date="2026-10-01", provided_until="2027-12-31")
    fresh = image("Ubuntu 24.04")
    assert run("scs-0102-image-recency", old, fresh) is Status.PASS
    assert run("scs-0102-image-recency", old) is Status.FAIL


def test_generic_uniqueness() -> None:
    assert run("scs-0102-os_purpose-uniqueness", image("a"), image("b", os_version="22.04")) is Status.PASS
    assert run("scs-0102-os_purpose-uniqueness", image("a"), image("b")) is Status.FAIL
    assert run("scs-0102-os_purpose-uniqueness", image("a"), image("b", hidden=True)) is Status.PASS
    assert run("scs-0102-os_purpose-uniqueness", image("a"), image("b", os_purpose="oldgeneric")) is Status.PASS


def test_standard_images() -> None:
    assert run("scs-0104-image-ubuntu-2404", image()) is Status.PASS
    assert run("scs-0104-image-ubuntu-2404", image("Ubuntu 24.04 LTS")) is Status.FAIL
    assert run("scs-0104-source-ubuntu-2404", image(image_source="https://mirror.example/noble.img")) is Status.FAIL
    assert run("scs-0104-source-debian-12") is Status.PASS  # no such image: nothing to judge
    capi = image(
        "ubuntu-capi-image-v1.31.5",
        image_source="https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/x",
    )
    assert run("scs-0104-image-capi-2", capi) is Status.PASS
    assert run("scs-0104-source-capi-2", capi) is Status.PASS
    assert run("scs-0104-image-capi-1", capi) is Status.FAIL  # the old scheme uses a space


@pytest.mark.parametrize(
    ("virtual_size", "status"),
    [(None, Status.PASS), (8 * 2**30, Status.PASS), (8 * 2**30 + 1, Status.FAIL), (20 * 2**30, Status.FAIL)],
)
def test_min_disk_must_hold_the_unpacked_image(virtual_size: int | None, status: Status) -> None:
    """A 1 GiB qcow2 file may unpack to 20 GiB: min_disk 8 GiB would not boot (the file size alone hides it)."""
    import dataclasses

    packed = dataclasses.replace(image(), virtual_size=virtual_size)
    assert run("scs-0102-prop-min_disk", packed) is status
