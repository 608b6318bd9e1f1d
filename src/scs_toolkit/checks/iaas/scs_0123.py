"""scs-0123 mandatory services: findable in the Keystone catalog by service type."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from ...collect import IaasSnapshot
from .._model import Check, Finding, Outcome, Probe, TestcaseInfo
from .._registry import register, testcase

#: testcase id -> accepted catalog types
SERVICES = {
    "scs-0123-service-compute": ("compute",),
    "scs-0123-service-identity": ("identity",),
    "scs-0123-service-image": ("image",),
    "scs-0123-service-network": ("network",),
    "scs-0123-service-load-balancer": ("load-balancer",),
    "scs-0123-service-placement": ("placement",),
    "scs-0123-storage-apis": ("volume", "volumev3", "block-storage"),
    "scs-0123-service-s3": ("object-store-s3",),
}


def decide(snapshot: IaasSnapshot, types: tuple[str, ...]) -> Outcome:
    assert snapshot.catalog is not None
    found = [e.type for e in snapshot.catalog if e.type in types]
    if found:
        return Outcome.passed(f"catalog has {found[0]}")
    wanted = " or ".join(types)
    return Outcome.failed(
        f"no service of type {wanted} in the catalog",
        [Finding(wanted, "not in the catalog")],
        f"Register the {types[0]} service and its public endpoint in Keystone.",
    )


def _make(testcase_id: str, types: tuple[str, ...]) -> Check:
    def check(snapshot: IaasSnapshot) -> Outcome:
        return decide(snapshot, types)

    info = TestcaseInfo(
        testcase_id,
        "scs-0123",
        f"A service of type {' / '.join(types)} is in the catalog.",
        f"Register the {types[0]} service in the Keystone catalog.",
    )
    return Check(info, frozenset({"catalog"}), check)


for _id, _types in SERVICES.items():
    register(_make(_id, _types))


@testcase(
    "scs-0123-swift-s3",
    "scs-0123-v1",
    "The object-storage API is compatible with S3.",
    "Enable the S3 API on the object storage endpoint's host.",
    needs=["catalog"],
    active=True,
)
def swift_s3(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    """Ask the object-store host an S3 question with a made-up key: an S3 service says it does not know it."""
    assert snapshot.catalog is not None
    urls = [u for e in snapshot.catalog if e.type == "object-store" for u in e.urls]
    if not urls:
        return Outcome.passed("no object-store service: nothing to check")
    parts = urlsplit(urls[0])
    root = f"{parts.scheme}://{parts.netloc}/"
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=doesnotexist/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0",
        "x-amz-date": "20260101T000000Z",
    }
    try:
        reply = httpx.get(
            root, headers=headers, timeout=30, verify=probe.conn.verify if probe.conn is not None else True
        )
    except httpx.HTTPError as error:
        return Outcome.aborted(f"cannot reach {root}: {error}")
    if reply.status_code >= 500:
        return Outcome.aborted(f"{root} answered HTTP {reply.status_code}")
    if "InvalidAccessKeyId" in reply.text or "NoSuchKey" in reply.text:
        return Outcome.passed(f"{root} answers S3 requests")
    return Outcome.failed(
        f"{root} does not speak S3",
        [Finding(root, "no S3 error for an unknown access key", "InvalidAccessKeyId", f"HTTP {reply.status_code}")],
        "Enable the S3 API (e.g. radosgw or swift3) on the object storage host.",
    )
