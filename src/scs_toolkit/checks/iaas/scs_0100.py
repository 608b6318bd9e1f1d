"""scs-0100 flavor naming: names starting with SCS- follow the grammar and do not overpromise."""

from __future__ import annotations

from ... import flavor_names
from ...collect import Flavor, IaasSnapshot
from .._model import Finding, Outcome
from .._registry import testcase

URL = "https://docs.scs.community/standards/scs-0100-w1-flavor-naming-implementation-testing#automated-tests"


def _scs_flavors(snapshot: IaasSnapshot) -> list[Flavor]:
    assert snapshot.flavors is not None
    return [f for f in snapshot.flavors if flavor_names.is_scs_name(f.name)]


@testcase(
    "scs-0100-syntax-check",
    "scs-0100-v3",
    "Flavor names starting `SCS-` comply with syntax.",
    "Rename the flavor to a valid scs-0100 v3 name (`scs flavor check NAME` explains what is wrong), "
    "or give it a name that does not start with SCS-.",
    needs=["flavors"],
)
def syntax(snapshot: IaasSnapshot) -> Outcome:
    findings = []
    for flavor in _scs_flavors(snapshot):
        try:
            flavor_names.parse(flavor.name)
        except flavor_names.FlavorNameError as error:
            findings.append(Finding(flavor.name, error.describe()))
    return Outcome.from_findings(
        findings,
        "all SCS- flavor names are valid",
        "invalid SCS flavor names",
        "Rename these flavors to valid scs-0100 v3 names; `scs flavor check NAME` says what is wrong.",
    )


@testcase(
    "scs-0100-semantics-check",
    "scs-0100-v3",
    "Syntactically correct SCS flavor names represent the truth.",
    "Give the flavor at least the vCPUs, RAM and disk its name promises, or rename it.",
    needs=["flavors"],
)
def semantics(snapshot: IaasSnapshot) -> Outcome:
    findings = []
    for flavor in _scs_flavors(snapshot):
        try:
            promised = flavor_names.parse(flavor.name).flavor
        except flavor_names.FlavorNameError:
            continue  # only the syntax check judges unparsable names
        if flavor.vcpus < promised.cpus:
            findings.append(
                Finding(flavor.name, "fewer vCPUs than the name promises", str(promised.cpus), str(flavor.vcpus))
            )
        # scs-0100 allows rounding: a 4 GiB name needs at least 4045 MiB (as the reference check)
        if flavor.ram_mib < promised.ram_gib * 1024 - 51:
            findings.append(
                Finding(
                    flavor.name,
                    "less RAM than the name promises",
                    f"{int(promised.ram_gib * 1024)} MiB",
                    f"{flavor.ram_mib} MiB",
                )
            )
        disk = promised.disk
        wanted = (disk.size_gb or 0) if disk is not None else 0
        if flavor.disk_gb < wanted:
            findings.append(
                Finding(flavor.name, "smaller root disk than the name promises", f"{wanted} GB", f"{flavor.disk_gb} GB")
            )
    return Outcome.from_findings(
        findings,
        "no SCS flavor overpromises",
        "flavors promising more than they have",
        "Raise the flavor's vCPUs/RAM/disk to what the name says, or rename the flavor to what it offers.",
    )
