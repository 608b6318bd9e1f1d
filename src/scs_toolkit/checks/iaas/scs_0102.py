"""scs-0102 image metadata: every public image carries the mandatory properties with valid values.

Differences to the reference tool, following the standard (docs/decisions.md): `hw_disk_bus` and
`uuid_validity` are mandatory (missing fails); valid values are OpenStack's documented ones
(so `ide` is a valid disk bus); an outdated image without `provided_until` fails instead of aborting.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from ...collect import IaasSnapshot, Image
from .._model import Finding, Outcome
from .._registry import testcase

STANDARD = "scs-0102"
ARCHITECTURES = {"x86_64", "aarch64", "riscv64", "risc-v", "i686", "armv7l", "ppc64", "ppc64le", "s390x", "mips64el"}
DISK_BUSES = {"scsi", "virtio", "uml", "xen", "ide", "usb", "lxc", "sata"}
HYPERVISORS = {"qemu", "kvm", "xen", "hyper-v", "hyperv", "esxi", "vmware", "lxc", "ironic"}
PURPOSES = {"generic", "minimal", "k8snode", "gpu", "network", "custom", "oldgeneric"}
FREQUENCIES = {
    "yearly": 365 * 24,
    "quarterly": 92 * 24,
    "monthly": 31 * 24,
    "weekly": 7 * 25,
    "daily": 25,
    "critical_bug": None,
    "never": None,
}
_URL = re.compile(r"^(https?|ftps?)://\S+$")
_LAST_N = re.compile(r"^last-\d+$")
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def public_images(snapshot: IaasSnapshot) -> list[Image]:
    assert snapshot.images is not None
    return [i for i in snapshot.images if i.visibility in ("public", "community")]


def parse_date(value: str | None) -> dt.datetime | None:
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(str(value).strip(), form).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def _property_check(snapshot: IaasSnapshot, prop: str, problem: Callable[[Image], str | None], fix: str) -> Outcome:
    findings = []
    for image in public_images(snapshot):
        message = problem(image)
        if message:
            findings.append(Finding(image.name, message, actual=str(_value(image, prop))))
    return Outcome.from_findings(
        findings, f"all public images have a valid {prop}", f"images with missing or invalid {prop}", fix
    )


def _value(image: Image, prop: str) -> str | int | None:
    if prop in ("min_disk", "min_ram"):
        return getattr(image, prop)  # type: ignore[no-any-return]
    if prop == "hash_algo":
        return image.hash_algo
    return image.properties.get(prop)


def _required(prop: str) -> Callable[[Image], str | None]:
    return lambda image: None if str(_value(image, prop) or "").strip() else f"{prop} is missing"


def _one_of(prop: str, allowed: set[str], optional: bool = False) -> Callable[[Image], str | None]:
    def problem(image: Image) -> str | None:
        value = _value(image, prop)
        if value is None or value == "":
            return None if optional else f"{prop} is missing"
        return None if str(value) in allowed else f"{prop}={value!r} is not one of {', '.join(sorted(allowed))}"

    return problem


def _register(prop: str, problem: Callable[[Image], str | None], fix: str, severity: str = "error") -> None:
    @testcase(
        f"scs-0102-prop-{prop}",
        STANDARD,
        f"Each image has a meaningful value for `{prop}`.",
        fix,
        needs=["images"],
        severity=severity,
    )
    def check(snapshot: IaasSnapshot) -> Outcome:
        return _property_check(snapshot, prop, problem, fix)


def _min_disk(image: Image) -> str | None:
    if not image.min_disk:
        return "min_disk is missing or 0"
    # the disk a server gets must hold the unpacked image: its virtual size, where Glance knows it
    needed = max(image.size or 0, image.virtual_size or 0)
    if needed and image.min_disk * 2**30 < needed:
        what = "virtual size" if (image.virtual_size or 0) > (image.size or 0) else "image"
        return f"min_disk {image.min_disk} GiB is smaller than the {what} ({needed} bytes)"
    return None


def _build_date(image: Image) -> str | None:
    raw = image.properties.get("image_build_date")
    built = parse_date(raw)
    if built is None:
        return "image_build_date is missing" if not raw else f"image_build_date {raw!r} is not YYYY-MM-DD[ hh:mm[:ss]]"
    registered = parse_date(image.created_at)
    if registered is not None and built > registered:
        return f"built ({raw}) after it was registered ({image.created_at})"
    if built > dt.datetime.now(dt.UTC):
        return f"built in the future ({raw})"
    return None


def _source(image: Image) -> str | None:
    value = image.properties.get("image_source", "")
    return None if value == "private" or _URL.match(value) else "image_source must be a http(s)/ftp(s) URL or 'private'"


def _provided_until(image: Image) -> str | None:
    value = image.properties.get("provided_until")
    if not value:
        return "provided_until is missing"
    return (
        None
        if value in ("none", "notice") or parse_date(value)
        else f"provided_until {value!r} is not a date, none or notice"
    )


def _uuid_validity(image: Image) -> str | None:
    value = image.properties.get("uuid_validity")
    if not value:
        return "uuid_validity is missing"
    valid = value in ("none", "notice", "forever") or _LAST_N.match(value) or parse_date(value)
    return None if valid else f"uuid_validity {value!r} is not none, notice, forever, last-N or a date"


def _hotfix_hours(image: Image) -> str | None:
    value = image.properties.get("hotfix_hours")
    return None if value in (None, "") or str(value).isdigit() else f"hotfix_hours {value!r} is not a number of hours"


def _hash_algo(image: Image) -> str | None:
    return (
        None if image.hash_algo in ("sha256", "sha512") else f"os_hash_algo {image.hash_algo!r} is not sha256 or sha512"
    )


_register("architecture", _one_of("architecture", ARCHITECTURES), "Set `architecture` (e.g. x86_64, aarch64).")
_register("hash_algo", _hash_algo, "Upload images with a sha256/sha512 os_hash_algo.", "warning")
_register("min_disk", _min_disk, "Set `min_disk` (GiB) to at least the image size.")
_register(
    "min_ram",
    lambda i: None if i.min_ram else "min_ram is missing or 0",
    "Set `min_ram` (MiB) to what the image needs to boot.",
)
_register("os_version", _required("os_version"), "Set `os_version` (e.g. 24.04).")
_register("os_distro", _required("os_distro"), "Set `os_distro` (e.g. ubuntu, debian).")
_register(
    "os_purpose", _one_of("os_purpose", PURPOSES), "Set `os_purpose` (generic, minimal, k8snode, gpu, network, custom)."
)
_register("hw_disk_bus", _one_of("hw_disk_bus", DISK_BUSES), "Set `hw_disk_bus` (scsi recommended, or virtio).")
_register(
    "hypervisor_type", _one_of("hypervisor_type", HYPERVISORS, optional=True), "Fix `hypervisor_type`.", "warning"
)
_register(
    "hw_rng_model", _one_of("hw_rng_model", {"virtio"}, optional=True), "Set `hw_rng_model` to virtio.", "warning"
)
_register("image_build_date", _build_date, "Set `image_build_date` (YYYY-MM-DD, UTC) to the real build date.")
_register("image_original_user", _required("image_original_user"), "Set `image_original_user` (e.g. ubuntu, or none).")
_register("image_source", _source, "Set `image_source` to the download URL (or 'private').")
_register("image_description", _required("image_description"), "Set `image_description` (URL or text).")
_register(
    "replace_frequency", _one_of("replace_frequency", set(FREQUENCIES)), "Set `replace_frequency` (e.g. monthly)."
)
_register("provided_until", _provided_until, "Set `provided_until` (YYYY-MM-DD, none or notice).")
_register("uuid_validity", _uuid_validity, "Set `uuid_validity` (none, last-N, YYYY-MM-DD, notice or forever).")
_register("hotfix_hours", _hotfix_hours, "Set `hotfix_hours` to a whole number of hours (0 = best effort).", "warning")


def _outdated(image: Image, now: dt.datetime) -> bool:
    built = parse_date(image.properties.get("image_build_date")) or parse_date(image.created_at)
    hours = FREQUENCIES.get(image.properties.get("replace_frequency", "never"))
    if hours is None or built is None:
        return False
    return now > built + dt.timedelta(hours=1.1 * hours)


@testcase(
    "scs-0102-image-recency",
    STANDARD,
    "Images are replaced as often as their replace_frequency promises.",
    "Replace outdated images, or hide/rename (' YYYYMMDD') them next to a fresh image of the base name.",
    needs=["images"],
)
def recency(snapshot: IaasSnapshot) -> Outcome:
    assert snapshot.images is not None
    now = snapshot.taken_at
    visible = [i for i in snapshot.images if i.visibility in ("public", "community")]
    findings = []
    for image in visible:
        if not _outdated(image, now):
            continue
        until = image.properties.get("provided_until")
        if until in ("none", "notice"):
            continue  # no (further) promise was made
        end = parse_date(until)
        if until and end is None:
            findings.append(Finding(image.name, "outdated, and provided_until is not a valid date", actual=until))
            continue
        if end is not None and now > end:
            continue  # the promise has expired
        base = image.name.rsplit(" ", 1)[0].rstrip() if " " in image.name else None
        replacement = base is not None and any(i.name == base and not _outdated(i, now) for i in visible)
        if not replacement:
            built = image.properties.get("image_build_date") or image.created_at
            findings.append(
                Finding(
                    image.name,
                    "outdated without a replacement",
                    f"rebuilt every {image.properties.get('replace_frequency')}",
                    f"built {built}",
                )
            )
    return Outcome.from_findings(
        findings,
        "no image is outdated without a replacement",
        "outdated images",
        "Publish a fresh build under the same name; hide or rename the old one.",
    )


@testcase(
    "scs-0102-os_purpose-uniqueness",
    STANDARD,
    "At most one public generic image per os_distro, os_version and architecture.",
    "Set os_purpose=oldgeneric (or hide) all but the newest generic image of a distro version.",
    needs=["images"],
)
def purpose_uniqueness(snapshot: IaasSnapshot) -> Outcome:
    assert snapshot.images is not None
    groups: dict[tuple[str, str, str], list[str]] = {}
    for image in snapshot.images:
        props = image.properties
        if image.visibility != "public" or image.hidden or props.get("os_purpose") != "generic":
            continue
        if not props.get("os_distro") or not props.get("os_version"):
            continue
        key = (props.get("architecture", ""), props["os_distro"], props["os_version"])
        groups.setdefault(key, []).append(image.name)
    findings = [
        Finding(" / ".join(k), f"{len(v)} generic images: {', '.join(sorted(v))}", "1", str(len(v)))
        for k, v in groups.items()
        if len(v) > 1
    ]
    return Outcome.from_findings(
        findings,
        "generic images are unique",
        "several generic images for one distro version",
        "Mark older generic images os_purpose=oldgeneric or hide them.",
    )
