"""scs-0104 standard images: mandatory images exist; any image of a standard name comes from its upstream.

The testcase ids of the scope (scs-0104-source-debian-13, scs-0104-image-capi-2, ...) name image
specs; the sources follow the official image lists (scs-0104-v1-images*.yaml), plus Debian 13.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...collect import IaasSnapshot, Image
from .._model import Check, Finding, Outcome, TestcaseInfo
from .._registry import register

_CAPI = (
    "https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/",
    "https://swift.services.a.regiocloud.tech/swift/v1/AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/ubuntu-2404-kube",
    "https://swift.services.a.regiocloud.tech/swift/v1/AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/ubuntu-2204-kube",
)


def _ubuntu(codename: str) -> tuple[str, ...]:
    return (f"https://cloud-images.ubuntu.com/releases/{codename}/", f"https://cloud-images.ubuntu.com/{codename}/")


def _debian(codename: str) -> tuple[str, ...]:
    return (
        f"https://cloud.debian.org/images/cloud/{codename}/",
        f"https://cdimage.debian.org/cdimage/cloud/{codename}/",
    )


@dataclass(frozen=True)
class ImageSpec:
    key: str
    name: str
    sources: tuple[str, ...]
    scheme: str | None = None  # a regex matched at the start of image names

    def matches(self, images: list[Image]) -> list[Image]:
        if self.scheme:
            pattern = re.compile(self.scheme)
            return [i for i in images if pattern.match(i.name)]
        return [i for i in images if i.name == self.name]


SPECS = (
    ImageSpec("capi-1", "ubuntu-capi-image", _CAPI, r"ubuntu-capi-image v[0-9]\.[0-9]+(\.[0-9]+)?"),
    ImageSpec("capi-2", "ubuntu-capi-image", _CAPI, r"ubuntu-capi-image-v[0-9]\.[0-9]+(\.[0-9]+)?"),
    ImageSpec("ubuntu-2404", "Ubuntu 24.04", _ubuntu("noble")),
    ImageSpec("ubuntu-2204", "Ubuntu 22.04", _ubuntu("jammy")),
    ImageSpec("ubuntu-2004", "Ubuntu 20.04", _ubuntu("focal")),
    ImageSpec("debian-13", "Debian 13", _debian("trixie")),
    ImageSpec("debian-12", "Debian 12", _debian("bookworm")),
    ImageSpec("debian-11", "Debian 11", _debian("bullseye")),
    ImageSpec("debian-10", "Debian 10", _debian("buster")),
)


def _images(snapshot: IaasSnapshot) -> list[Image]:
    assert snapshot.images is not None
    return [i for i in snapshot.images if i.visibility in ("public", "community")]


def source(snapshot: IaasSnapshot, spec: ImageSpec) -> Outcome:
    findings = [
        Finding(
            image.name,
            "image_source is not the upstream location",
            " or ".join(spec.sources),
            image.properties.get("image_source", "") or "(none)",
        )
        for image in spec.matches(_images(snapshot))
        if not image.properties.get("image_source", "").startswith(spec.sources)
    ]
    return Outcome.from_findings(
        findings,
        f"{spec.name} images come from upstream",
        f"{spec.name} images of unknown origin",
        f"Use the upstream image for {spec.name} and set image_source to its URL.",
    )


def presence(snapshot: IaasSnapshot, spec: ImageSpec) -> Outcome:
    found = spec.matches(_images(snapshot))
    if found:
        return Outcome.passed(f"found {', '.join(i.name for i in found)}")
    return Outcome.failed(
        f"missing image {spec.name}",
        [Finding(spec.name, "missing")],
        f"Provide the upstream {spec.name} image as a public image named exactly '{spec.name}'.",
    )


def _make(kind: str, spec: ImageSpec) -> Check:
    decide = source if kind == "source" else presence

    def check(snapshot: IaasSnapshot) -> Outcome:
        return decide(snapshot, spec)

    what = "comes from its upstream source" if kind == "source" else "exists"
    info = TestcaseInfo(
        f"scs-0104-{kind}-{spec.key}",
        "scs-0104-v1",
        f"Image {spec.name} {what}.",
        f"Provide {spec.name} from its upstream source.",
    )
    return Check(info, frozenset({"images"}), check)


for _spec in SPECS:
    register(_make("source", _spec))
    register(_make("image", _spec))
