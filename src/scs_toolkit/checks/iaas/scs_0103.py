"""scs-0103 standard flavors: each must exist with exactly the size and the `scs:` extra specs.

One testcase per standard flavor (`scs-0103-flavor-2v-4-20s`), registered from the official list.
Where a name leaves the disk type open (SCS-1V-4-10), the standard says "(any)": we require that
`scs:disk0-type` is set to a valid type, where the reference tool demands `network`.
"""

from __future__ import annotations

from ... import flavor_names, standards
from ...collect import Flavor, IaasSnapshot
from .._model import Check, Finding, Outcome, TestcaseInfo
from .._registry import register

DISK_TYPES = ("network", "hdd", "ssd", "nvme")


def testcase_id(name: str) -> str:
    return f"scs-0103-flavor-{name.removeprefix('SCS-').lower()}"


def _lookup(flavors: tuple[Flavor, ...], name: str) -> Flavor | None:
    """By `scs:name-v2` extra spec first (a flavor may carry another name), then by name."""
    by_spec = [f for f in flavors if f.extra_specs.get("scs:name-v2") == name]
    if by_spec:
        return by_spec[-1]
    return next((f for f in flavors if f.name == name), None)


def decide(snapshot: IaasSnapshot, name: str) -> Outcome:
    assert snapshot.flavors is not None
    flavor = _lookup(snapshot.flavors, name)
    if flavor is None:
        return Outcome.failed(
            f"standard flavor {name} is missing",
            [Finding(name, "missing")],
            f"Create flavor {name} (`scs flavor extra-specs {name}` lists its extra specs).",
        )
    promised = flavor_names.parse(name).flavor
    expected = flavor_names.nova_properties(promised)
    findings = []
    for field, actual in (("vcpus", flavor.vcpus), ("ram_mib", flavor.ram_mib), ("disk_gb", flavor.disk_gb)):
        if actual != (expected[field] or 0):
            findings.append(Finding(flavor.name, f"{field} differs", str(expected[field] or 0), str(actual)))
    for key, value in flavor_names.extra_specs(promised).items():
        actual_spec = flavor.extra_specs.get(key)
        if key.startswith("scs:disk") and promised.disk is not None and promised.disk.type is None:
            if actual_spec not in DISK_TYPES:
                findings.append(
                    Finding(
                        flavor.name,
                        f"extra spec {key} must name the disk type",
                        " or ".join(DISK_TYPES),
                        str(actual_spec),
                    )
                )
        elif actual_spec != value:
            findings.append(Finding(flavor.name, f"extra spec {key} differs", value, str(actual_spec)))
    if findings:
        return Outcome.failed(
            f"flavor {flavor.name} does not match the standard",
            findings,
            f"Set the values to exactly those of {name}: `scs flavor parse {name}`.",
        )
    return Outcome.passed(f"flavor {flavor.name} matches {name}")


def _make(standard: standards.StandardFlavor) -> Check:
    def check(snapshot: IaasSnapshot) -> Outcome:
        return decide(snapshot, standard.name)

    info = TestcaseInfo(
        testcase_id(standard.name),
        "scs-0103-v1",
        f"Flavor {standard.name} ({standard.status}) exists with the standard's size and extra specs.",
        f"Create or fix flavor {standard.name}.",
        "error" if standard.status == "mandatory" else "warning",
    )
    return Check(info, frozenset({"flavors"}), check)


for _standard in standards.mandatory_flavors():
    register(_make(_standard))
