"""scs-0123 mandatory services: findable in the Keystone catalog by service type."""

from __future__ import annotations

from ...collect import IaasSnapshot
from .._model import Check, Finding, Outcome, TestcaseInfo
from .._registry import register

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
