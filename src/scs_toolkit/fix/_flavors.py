"""Flavors: scs-0103 standard flavors (create the missing ones, fix their extra specs), scs-0100 names and
sizes (only the operator can), scs-0101's `hw_rng:allowed`.

Nova flavors are immutable: vCPUs, RAM and disk never change, and a name never changes. What can be
fixed in place are extra specs; a missing standard flavor can be created. A standard flavor of the
wrong size needs a new flavor, which the plan proposes only when the name is free (the wrong one
merely claims the name through `scs:name-v2`; its false claims are removed). Otherwise the fix means
deleting a flavor, which the toolkit never does: the plan says so, and how many servers use it.
"""

from __future__ import annotations

from .. import flavor_names, standards
from ..checks.iaas.scs_0103 import DISK_TYPES, testcase_id
from ..collect import Flavor
from ._context import Context, Proposal
from ._model import Action, Change, OperatorStep, frozen
from ._texts import guidance

RNG_SPEC = "hw_rng:allowed"
RNG_TESTCASE = "scs-0101-flavor-property"


def lookup(flavors: tuple[Flavor, ...], name: str) -> Flavor | None:
    """The flavor scs-0103's check judges for `name`: by `scs:name-v2` first, then by name."""
    by_spec = [f for f in flavors if f.extra_specs.get("scs:name-v2") == name]
    if by_spec:
        return by_spec[-1]
    return next((f for f in flavors if f.name == name), None)


def wanted_specs(flavor: Flavor | None, parsed: flavor_names.FlavorName) -> dict[str, str]:
    """The `scs:` extra specs (of `flavor`, if given) that differ from what the check demands, with their values.

    A name that leaves the disk type open ("(any)" in scs-0103) gets `network`, the value the naming
    module advertises for it; an existing valid type is left alone.
    """
    current = flavor.extra_specs if flavor is not None else {}
    result = {}
    for key, value in flavor_names.extra_specs(parsed).items():
        open_type = key.startswith("scs:disk") and parsed.disk is not None and parsed.disk.type is None
        if open_type and current.get(key) in DISK_TYPES:
            continue
        if current.get(key) != value:
            result[key] = value
    return result


def plan(ctx: Context) -> Proposal:
    proposal = Proposal()
    flavors = ctx.snapshot.flavors
    if flavors is None:
        return proposal
    created: set[str] = set()
    explained: dict[str, OperatorStep] = {}
    for standard in standards.mandatory_flavors():
        testcase = testcase_id(standard.name)
        if ctx.failing(testcase):
            _standard_flavor(ctx, standard, testcase, proposal, created, explained)
    if ctx.failing("scs-0100-semantics-check"):
        _overpromising(ctx, flavors, explained)
    if ctx.failing("scs-0100-syntax-check"):
        _invalid_names(ctx, flavors, proposal)
    if ctx.failing(RNG_TESTCASE):
        for flavor in flavors:
            if str(flavor.extra_specs.get(RNG_SPEC, "")).lower() != "true":
                proposal.changes.append(_set_specs(flavor, {RNG_SPEC: "True"}, "scs-0101", (RNG_TESTCASE,)))
    proposal.steps += explained.values()
    return proposal


def _standard_flavor(
    ctx: Context,
    standard: standards.StandardFlavor,
    testcase: str,
    proposal: Proposal,
    created: set[str],
    explained: dict[str, OperatorStep],
) -> None:
    flavors = ctx.snapshot.flavors or ()
    parsed = flavor_names.parse(standard.name).flavor
    sizes = (standard.cpus, standard.ram_mib, standard.disk_gb or 0)
    found = lookup(flavors, standard.name)
    if found is not None and found.name != standard.name and _sizes_tuple(found) != sizes:
        # another flavor claims the name through scs:name-vN: withdraw the claims it cannot keep, then judge
        # the flavor of that name (if any) as the check will
        claims: dict[str, str | None] = {
            k: None
            for k, v in found.extra_specs.items()
            if k.startswith("scs:name-v") and v in {standard.name, *flavor_names.name_variants(parsed)}
        }
        proposal.changes.append(
            _set_specs(
                found,
                claims,
                "scs-0103",
                (testcase,),
                f"remove the claims to be {standard.name} from {found.name} ({_sizes(found)}; the standard says "
                f"{_sizes_of(*sizes)})",
            )
        )
        found = next((f for f in flavors if f.name == standard.name), None)
    if found is None:
        if standard.name not in created:
            proposal.changes.append(_create(ctx, standard, parsed, testcase))
            created.add(standard.name)
        return
    if _sizes_tuple(found) == sizes:
        specs: dict[str, str | None] = dict(wanted_specs(found, parsed))
        if specs:
            proposal.changes.append(_set_specs(found, specs, "scs-0103", (testcase,)))
        return
    explained[found.name] = _immutable(ctx, found, [testcase], f"the standard says {_sizes_of(*sizes)}")


def _sizes_tuple(flavor: Flavor) -> tuple[int, int, int]:
    return flavor.vcpus, flavor.ram_mib, flavor.disk_gb


def _create(ctx: Context, standard: standards.StandardFlavor, parsed: flavor_names.FlavorName, testcase: str) -> Change:
    specs = wanted_specs(None, parsed)
    fixes = [testcase]
    if ctx.failing(RNG_TESTCASE):
        fixes.append(RNG_TESTCASE)
    specs[RNG_SPEC] = "True"  # scs-0101: every flavor lets guests have a virtio RNG
    disk = standard.disk_gb or 0
    open_type = parsed.disk is not None and parsed.disk.type is None
    return Change(
        Action.CREATE_FLAVOR,
        "scs-0103",
        standard.name,
        None,
        tuple(fixes),
        f"create flavor {standard.name}: {_sizes_of(standard.cpus, standard.ram_mib, disk)}, {len(specs)} extra specs",
        frozen({}),
        frozen(
            {
                "name": standard.name,
                "vcpus": standard.cpus,
                "ram": standard.ram_mib,
                "disk": disk,
                "is_public": True,
                "extra_specs": specs,
            }
        ),
        note="the name leaves the disk type open: scs:disk0-type=network (set hdd/ssd/nvme if the root disk is local)"
        if open_type
        else None,
    )


def _set_specs(
    flavor: Flavor, specs: dict[str, str | None], standard: str, fixes: tuple[str, ...], summary: str | None = None
) -> Change:
    shown = ", ".join(f"{k}={v}" if v is not None else f"unset {k}" for k, v in specs.items())
    return Change(
        Action.SET_FLAVOR_EXTRA_SPECS,
        standard,
        flavor.name,
        flavor.id,
        fixes,
        summary or f"set extra specs of {flavor.name}: {shown}",
        frozen({k: flavor.extra_specs.get(k) for k in specs}),
        frozen(specs),
    )


def _sizes_of(vcpus: int, ram_mib: int, disk_gb: int) -> str:
    disk = f"{disk_gb} GB disk" if disk_gb else "no disk"
    return f"{vcpus} vCPU{'s' if vcpus != 1 else ''}, {ram_mib} MiB RAM, {disk}"


def _sizes(flavor: Flavor) -> str:
    return _sizes_of(flavor.vcpus, flavor.ram_mib, flavor.disk_gb)


def _usage(ctx: Context, flavor: Flavor) -> tuple[str, int | None]:
    count = ctx.servers_using(flavor.id)
    if count is None:
        return "whether servers use it takes an admin account to tell", None
    if count == 0:
        return "no server uses it", 0
    return f"{count} server{'s' if count != 1 else ''} use{'s' if count == 1 else ''} it", count


def _immutable(ctx: Context, flavor: Flavor, testcases: list[str], wanted: str) -> OperatorStep:
    usage, count = _usage(ctx, flavor)
    text = guidance(testcases[0])
    if count == 0:
        what = (
            f"Delete it (`openstack flavor delete {flavor.name}`); `scs fix apply` then creates {flavor.name} "
            "with the standard's values."
            if testcases[0].startswith("scs-0103")
            else f"Create a flavor that offers what {flavor.name} promises and delete {flavor.name}."
        )
    else:
        what = (
            f"Deleting {flavor.name} leaves its servers running with their old size; once it is gone, "
            f"`scs fix apply` creates it anew, and the servers can be resized to it when their owners agree."
        )
    return OperatorStep(
        "scs-0103" if testcases[0].startswith("scs-0103") else "scs-0100",
        tuple(testcases),
        flavor.name,
        f"{flavor.name} has {_sizes(flavor)}, {wanted}; Nova flavors are immutable, so the fix is deleting "
        f"and re-creating it, and the toolkit never deletes a flavor ({usage})",
        what,
        text.quote if text else None,
    )


def _overpromising(ctx: Context, flavors: tuple[Flavor, ...], explained: dict[str, OperatorStep]) -> None:
    outcome = ctx.outcomes["scs-0100-semantics-check"]
    for name in sorted({f.subject for f in outcome.findings}):
        flavor = next((f for f in flavors if f.name == name), None)
        if flavor is None:
            continue
        promise = "; ".join(f"{f.message} ({f.expected} promised)" for f in outcome.findings if f.subject == name)
        if name in explained:
            step = explained[name]
            explained[name] = OperatorStep(
                step.standard,
                (*step.testcases, "scs-0100-semantics-check"),
                step.subject,
                f"{step.why}; its name promises more than it has: {promise}",
                step.what,
                step.quote,
            )
        else:
            explained[name] = _immutable(ctx, flavor, ["scs-0100-semantics-check"], f"but {promise}")


def _invalid_names(ctx: Context, flavors: tuple[Flavor, ...], proposal: Proposal) -> None:
    outcome = ctx.outcomes["scs-0100-syntax-check"]
    text = guidance("scs-0100-syntax-check")
    for finding in outcome.findings:
        flavor = next((f for f in flavors if f.name == finding.subject), None)
        usage = _usage(ctx, flavor)[0] if flavor is not None else "it is gone"
        proposal.steps.append(
            OperatorStep(
                "scs-0100",
                ("scs-0100-syntax-check",),
                finding.subject,
                f"{finding.subject} is not a valid scs-0100 name ({finding.message}); Nova cannot rename a flavor, "
                f"and without a valid name there are no extra specs to derive from it ({usage})",
                text.what if text else "Give the flavor a valid name.",
                text.quote if text else None,
            )
        )
