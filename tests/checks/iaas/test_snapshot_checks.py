"""Snapshot checks on hand-built snapshots: edge cases named in the standards."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import pytest

from scs_toolkit import flavor_names
from scs_toolkit.checks import Status, evaluate
from scs_toolkit.collect import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, VolumeType

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def snapshot(**parts: object) -> IaasSnapshot:
    return IaasSnapshot(taken_at=NOW, **parts)  # type: ignore[arg-type]


def flavor(name: str, vcpus: int, ram: int, disk: int = 0, **specs: str) -> Flavor:
    return Flavor(name, name, vcpus, ram, disk, MappingProxyType(specs))


def standard(name: str, **changes: object) -> Flavor:
    promised = flavor_names.parse(name).flavor
    nova = flavor_names.nova_properties(promised)
    specs = dict(flavor_names.extra_specs(promised))
    specs.update({k: str(v) for k, v in changes.items() if k.startswith("scs_")})
    base = Flavor(
        name,
        name,
        int(nova["vcpus"] or 0),
        int(nova["ram_mib"] or 0),
        int(nova["disk_gb"] or 0),
        MappingProxyType(specs),
    )
    return Flavor(
        base.id,
        base.name,
        int(changes.get("vcpus", base.vcpus)),
        int(changes.get("ram", base.ram_mib)),  # type: ignore[call-overload]
        int(changes.get("disk", base.disk_gb)),
        base.extra_specs,
    )  # type: ignore[call-overload]


def test_syntax_ignores_non_scs_names_and_tolerates_v1() -> None:
    flavors = (flavor("m1.small", 1, 2048), flavor("SCS-1V:4", 1, 4096), flavor("SCS-2iT-4", 2, 4096))
    result = evaluate(snapshot(flavors=flavors), ["scs-0100-syntax-check"])["scs-0100-syntax-check"]
    assert result.status is Status.FAIL
    assert [f.subject for f in result.findings] == ["SCS-2iT-4"]
    assert "write 2Ti" in result.findings[0].message


@pytest.mark.parametrize(
    ("name", "vcpus", "ram", "disk", "status"),
    [
        ("SCS-2V-4", 2, 4096, 0, Status.PASS),
        ("SCS-2V-4", 2, 4045, 0, Status.PASS),  # within the rounding tolerance
        ("SCS-2V-4", 2, 4044, 0, Status.FAIL),
        ("SCS-2V-4", 1, 4096, 0, Status.FAIL),
        ("SCS-2V-4", 4, 8192, 50, Status.PASS),  # understating is allowed
        ("SCS-1V-0.5", 1, 512, 0, Status.PASS),  # half GiB
        ("SCS-2V-3.5", 2, 3400, 0, Status.FAIL),
        ("SCS-2V-4-20s", 2, 4096, 10, Status.FAIL),
        ("SCS-2C-4-", 2, 4096, 0, Status.PASS),  # cloud-chosen disk size: nothing to compare (reference ABORTs)
    ],
)
def test_semantics(name: str, vcpus: int, ram: int, disk: int, status: Status) -> None:
    result = evaluate(snapshot(flavors=(flavor(name, vcpus, ram, disk),)), ["scs-0100-semantics-check"])
    assert result["scs-0100-semantics-check"].status is status


def test_standard_flavor_exact_match_and_extra_specs() -> None:
    def check(*flavors: Flavor) -> object:
        return evaluate(snapshot(flavors=flavors), ["scs-0103-flavor-2v-4-20s"])["scs-0103-flavor-2v-4-20s"]

    assert check(standard("SCS-2V-4-20s")).status is Status.PASS  # type: ignore[attr-defined]
    too_big = check(standard("SCS-2V-4-20s", ram=8192))
    assert too_big.status is Status.FAIL  # type: ignore[attr-defined]
    assert too_big.findings[0].expected == "4096" and too_big.findings[0].actual == "8192"  # type: ignore[attr-defined]
    wrong_disk_type = check(standard("SCS-2V-4-20s", **{"scs_": "x"}))
    assert wrong_disk_type.status is Status.PASS  # type: ignore[attr-defined]
    missing = check(flavor("SCS-2V-4", 2, 4096))
    assert missing.status is Status.FAIL and "missing" in missing.reason  # type: ignore[attr-defined]
    bare = check(flavor("SCS-2V-4-20s", 2, 4096, 20))
    assert bare.status is Status.FAIL  # type: ignore[attr-defined]
    assert {f.message for f in bare.findings} >= {
        "extra spec scs:disk0-type differs",
        "extra spec scs:cpu-type differs",
    }  # type: ignore[attr-defined]


def test_standard_flavor_found_by_name_variant_extra_spec() -> None:
    renamed = Flavor("x", "my-small-flavor", 2, 4096, 20, standard("SCS-2V-4-20s").extra_specs)
    result = evaluate(snapshot(flavors=(renamed,)), ["scs-0103-flavor-2v-4-20s"])["scs-0103-flavor-2v-4-20s"]
    assert result.status is Status.PASS


def test_unspecified_disk_type_accepts_any_valid_type() -> None:
    specs = dict(standard("SCS-1V-4-10").extra_specs)
    for value, status in (("network", Status.PASS), ("ssd", Status.PASS), ("floppy", Status.FAIL)):
        flavor_ = Flavor("x", "SCS-1V-4-10", 1, 4096, 10, MappingProxyType({**specs, "scs:disk0-type": value}))
        result = evaluate(snapshot(flavors=(flavor_,)), ["scs-0103-flavor-1v-4-10"])["scs-0103-flavor-1v-4-10"]
        assert result.status is status, value


@pytest.mark.parametrize(
    ("descriptions", "syntax", "encrypted"),
    [
        (["[scs:encrypted] LUKS", "plain"], Status.PASS, Status.PASS),
        (["[scs:replicated, encrypted] x"], Status.FAIL, Status.PASS),
        (["[scs:encrypted, encrypted] x"], Status.FAIL, Status.PASS),
        (["[scs:encrypted, fast] x"], Status.FAIL, Status.PASS),
        (["[scs:] empty"], Status.PASS, Status.FAIL),
        ([" [scs:encrypted] leading space"], Status.PASS, Status.FAIL),
        (["[SCS:encrypted]"], Status.PASS, Status.FAIL),
        (["text [scs:encrypted]"], Status.PASS, Status.FAIL),
        ([None], Status.PASS, Status.FAIL),
    ],
)
def test_volume_type_aspects(descriptions: list[str | None], syntax: Status, encrypted: Status) -> None:
    types = tuple(VolumeType(str(i), f"t{i}", d) for i, d in enumerate(descriptions))
    results = evaluate(snapshot(volume_types=types), ["scs-0114-syntax-check", "scs-0114-encrypted-type"])
    assert results["scs-0114-syntax-check"].status is syntax
    assert results["scs-0114-encrypted-type"].status is encrypted


def rule(
    direction: str,
    ethertype: str,
    group: str | None = None,
    prefix: str | None = None,
    default: bool = True,
    custom: bool = True,
    protocol: str | None = None,
    ports: tuple[int, int] | None = None,
) -> DefaultRule:
    low, high = ports or (None, None)
    return DefaultRule(direction, ethertype, group, prefix, default, custom, protocol, low, high)


STANDARD_RULES = (
    rule("egress", "IPv4"),
    rule("egress", "IPv6"),
    rule("ingress", "IPv4", "PARENT", custom=False),
    rule("ingress", "IPv6", "PARENT", custom=False),
)


@pytest.mark.parametrize(
    ("rules", "status"),
    [
        (STANDARD_RULES, Status.PASS),
        ((*STANDARD_RULES[:2], rule("ingress", "IPv4", "PARENT")), Status.FAIL),  # parent ingress in custom groups
        ((*STANDARD_RULES, rule("ingress", "IPv4", prefix="0.0.0.0/0")), Status.FAIL),
        ((rule("egress", "IPv4", custom=False), rule("egress", "IPv6", custom=False)), Status.FAIL),
        ((rule("egress", "IPv4", prefix="0.0.0.0/0"), rule("egress", "IPv6", prefix="::/0")), Status.PASS),
        ((rule("egress", "IPv4", prefix="10.0.0.0/8"), rule("egress", "IPv6")), Status.FAIL),
        ((rule("egress", "IPv4", protocol="tcp"), *STANDARD_RULES[1:]), Status.FAIL),  # tcp only is not all egress
        ((rule("egress", "IPv4", protocol="tcp", ports=(443, 443)), *STANDARD_RULES[1:]), Status.FAIL),
        ((rule("egress", "IPv4", protocol="any"), *STANDARD_RULES[1:]), Status.PASS),
        ((), Status.FAIL),
    ],
)
def test_default_security_group_rules(rules: tuple[DefaultRule, ...], status: Status) -> None:
    result = evaluate(snapshot(default_rules=rules), ["scs-0115-default-rules"])["scs-0115-default-rules"]
    assert result.status is status


def test_missing_parts_abort_and_unknown_ids_are_missing() -> None:
    broken = IaasSnapshot(taken_at=NOW, errors=MappingProxyType({"flavors": "HttpException: 503"}))
    results = evaluate(broken, ["scs-0100-syntax-check", "scs-0115-default-rules", "scs-9999-nothing"])
    assert results["scs-0100-syntax-check"].status is Status.ABORT
    assert "503" in results["scs-0100-syntax-check"].reason
    assert results["scs-0115-default-rules"].status is Status.ABORT  # no API: no verdict
    assert results["scs-9999-nothing"].status is Status.MISSING


def test_service_presence() -> None:
    catalog = (CatalogEntry("compute", "nova"), CatalogEntry("volumev3", "cinderv3"))
    results = evaluate(
        snapshot(catalog=catalog), ["scs-0123-service-compute", "scs-0123-storage-apis", "scs-0123-service-placement"]
    )
    assert [r.status for r in results.values()] == [Status.PASS, Status.PASS, Status.FAIL]


def test_retry_only_transient_errors() -> None:
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    from scs_toolkit.collect._retry import transient, with_retries

    assert transient(sdk.HttpException(http_status=503))
    assert transient(sdk.HttpException(http_status=429))
    assert not transient(sdk.HttpException(http_status=403))
    assert not transient(sdk.ResourceNotFound())
    assert transient(ksa.ConnectFailure())
    assert transient(ksa.DiscoveryFailure('Invalid Response - Bad version data returned: {"code":503,"title":"x"}'))
    assert not transient(ksa.DiscoveryFailure("Could not find versioned identity endpoints"))
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise sdk.HttpException(http_status=500)
        return "ok"

    assert with_retries(flaky, sleep=sleeps.append) == "ok"
    assert sleeps == [0.5, 1.0]

    def forbidden() -> str:
        raise sdk.ForbiddenException(http_status=403)

    with pytest.raises(sdk.ForbiddenException):
        with_retries(forbidden, sleep=sleeps.append)
    assert sleeps == [0.5, 1.0]  # no retry on a 403
