"""Planners on hand-built inventories: what each standard's rules demand, proven by judging the projected cloud."""

from __future__ import annotations

import dataclasses
import json

from scs_toolkit import flavor_names
from scs_toolkit.checks import Status
from scs_toolkit.collect import VolumeType
from scs_toolkit.fix import Action, Area, make_plan, parse_catalogue
from scs_toolkit.fix._context import judge
from scs_toolkit.fix._inventory import ImageDetail, VolumeTypeDetail
from scs_toolkit.fix._project import project
from tests.conftest import PROJECT_ROOT

from ._build import NOW, flavor, image, inventory, rule, selection, standard_flavors

CATALOGUE = (PROJECT_ROOT / "tests" / "fix" / "data" / "images.yml").read_text(encoding="utf-8")


def plan_for(inv, tests, **kwargs):  # type: ignore[no-untyped-def]
    return make_plan(
        inv,
        "cloud",
        selection(tests, **{k: v for k, v in kwargs.items() if k != "using"}),
        kwargs.get("using", lambda f: None),
        NOW,
    )


def passes_after(inv, plan, testcase: str) -> bool:  # type: ignore[no-untyped-def]
    return judge(project(inv, plan.changes).snapshot, [testcase])[testcase].status is Status.PASS


def test_compliant_inventory_plans_nothing() -> None:
    plan = plan_for(inventory(), "scs-010[0-3]|scs-011[45]")
    assert plan.empty and plan.failing == {} and plan.changes == ()


def test_missing_standard_flavor_is_created_with_the_standards_values() -> None:
    inv = inventory(flavors=standard_flavors(skip=("SCS-4V-16-100s", "SCS-2V-8")))
    plan = plan_for(inv, "scs-0103")
    created = {c.target: c for c in plan.changes}
    assert set(created) == {"SCS-4V-16-100s", "SCS-2V-8"}
    ssd = created["SCS-4V-16-100s"]
    assert ssd.action is Action.CREATE_FLAVOR and ssd.area is Area.FLAVORS and ssd.needs_admin
    assert (ssd.after["vcpus"], ssd.after["ram"], ssd.after["disk"]) == (4, 16384, 100)
    expected = flavor_names.extra_specs(flavor_names.parse("SCS-4V-16-100s").flavor)
    assert dict(ssd.after["extra_specs"]) == {**expected, "hw_rng:allowed": "True"}
    assert dict(ssd.after["extra_specs"])["scs:disk0-type"] == "ssd"
    assert ssd.fixes == ("scs-0103-flavor-4v-16-100s",)
    assert plan.remaining == {} and not plan.operator
    assert "openstack flavor create --vcpus 4 --ram 16384 --disk 100" in ssd.command


def test_open_disk_type_gets_network_and_says_so() -> None:
    plan = plan_for(inventory(flavors=standard_flavors(skip=("SCS-1V-4-10",))), "scs-0103-flavor-1v-4-10")
    [change] = plan.changes
    assert dict(change.after["extra_specs"])["scs:disk0-type"] == "network"
    assert change.note is not None and "leaves the disk type open" in change.note


def test_wrong_extra_specs_are_set_and_a_valid_open_disk_type_is_kept() -> None:
    flavors = standard_flavors(skip=("SCS-8V-32", "SCS-2V-8-20"))
    flavors.append(flavor("SCS-8V-32", 8, 32768, **{"scs:cpu-type": "dedicated-core", "scs:name-v2": "SCS-8V-32"}))
    specs = flavor_names.extra_specs(flavor_names.parse("SCS-2V-8-20").flavor)
    flavors.append(flavor("SCS-2V-8-20", 2, 8192, 20, **{**specs, "scs:disk0-type": "nvme"}))
    plan = plan_for(inventory(flavors=flavors), "scs-0103-flavor-(8v-32|2v-8-20)$")
    [change] = plan.changes
    assert change.action is Action.SET_FLAVOR_EXTRA_SPECS and change.target == "SCS-8V-32"
    assert dict(change.after) == {"scs:cpu-type": "shared-core", "scs:name-v1": "SCS-8V:32"}
    assert dict(change.before) == {"scs:cpu-type": "dedicated-core", "scs:name-v1": None}
    assert plan.remaining == {}


def test_wrong_size_under_its_own_name_is_explained_never_deleted() -> None:
    flavors = standard_flavors(skip=("SCS-4V-16",))
    specs = flavor_names.extra_specs(flavor_names.parse("SCS-4V-16").flavor)
    flavors.append(flavor("SCS-4V-16", 4, 12288, flavor_id="small-16", **specs))
    for using, phrase, advice in (
        (lambda f: 3 if f == "small-16" else 0, "3 servers use it", "leaves its servers running"),
        (lambda f: 0, "no server uses it", "openstack flavor delete SCS-4V-16"),
        (lambda f: None, "takes an admin account to tell", "leaves its servers running"),
    ):
        plan = plan_for(inventory(flavors=flavors), "scs-0103-flavor-4v-16$|scs-0100-semantics", using=using)
        assert plan.changes == ()  # the toolkit never deletes or resizes a flavor
        [step] = plan.operator
        assert set(step.testcases) == {"scs-0103-flavor-4v-16", "scs-0100-semantics-check"}
        assert "immutable" in step.why and phrase in step.why and "12288 MiB" in step.why
        assert advice in step.what
        assert step.quote is not None and "must match precisely" in step.quote
        assert set(plan.remaining) == {"scs-0103-flavor-4v-16", "scs-0100-semantics-check"}


def test_wrong_size_under_another_name_gets_the_real_flavor_and_loses_its_claims() -> None:
    flavors = standard_flavors(skip=("SCS-4V-16",))
    flavors.append(
        flavor(
            "m1.large",
            4,
            12288,
            **{"scs:cpu-type": "shared-core", "scs:name-v1": "SCS-4V:16", "scs:name-v2": "SCS-4V-16"},
        )
    )
    inv = inventory(flavors=flavors)
    plan = plan_for(inv, "scs-0103-flavor-4v-16$")
    actions = [(c.action, c.target) for c in plan.changes]
    assert actions == [(Action.SET_FLAVOR_EXTRA_SPECS, "m1.large"), (Action.CREATE_FLAVOR, "SCS-4V-16")]
    assert dict(plan.changes[0].after) == {"scs:name-v1": None, "scs:name-v2": None}
    assert "openstack flavor unset --property scs:name-v1 --property scs:name-v2" in plan.changes[0].command
    assert passes_after(inv, plan, "scs-0103-flavor-4v-16") and plan.remaining == {}


def test_invalid_names_need_the_operator() -> None:
    flavors = [*standard_flavors(), flavor("SCS-2iT-4-10n", 2, 4096, 10, **{"hw_rng:allowed": "True"})]
    plan = plan_for(inventory(flavors=flavors), "scs-0100-syntax")
    [step] = plan.operator
    assert step.subject == "SCS-2iT-4-10n" and "cannot rename" in step.why and "write 2Ti" in step.why
    assert plan.changes == ()


def test_every_flavor_gets_hw_rng_allowed_when_asked_for() -> None:
    flavors = [
        flavor(
            f.name,
            f.vcpus,
            f.ram_mib,
            f.disk_gb,
            f.id,
            **{k: v for k, v in f.extra_specs.items() if k != "hw_rng:allowed"},
        )
        if f.name == "SCS-1V-2"
        else f
        for f in standard_flavors()
    ]
    plan = plan_for(inventory(flavors=flavors), "scs-0101-flavor-property")
    [change] = plan.changes
    assert change.standard == "scs-0101" and dict(change.after) == {"hw_rng:allowed": "True"}


def test_default_rules_close_ingress_first_and_add_missing_egress() -> None:
    rules = [
        rule("egress4", ethertype="IPv4"),
        rule("egress6", ethertype="IPv6", used_in_non_default_sg=False),
        rule(
            "ssh",
            direction="ingress",
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix="0.0.0.0/0",
        ),
        rule("parent-all", direction="ingress", ethertype="IPv6", remote_group_id="PARENT"),
    ]
    inv = inventory(rules=rules)
    plan = plan_for(inv, "scs-0115")
    actions = [(c.action, c.target_id) for c in plan.changes]
    assert actions[:2] == [(Action.DELETE_DEFAULT_RULE, "ssh"), (Action.DELETE_DEFAULT_RULE, "parent-all")]
    created = [dict(c.after) for c in plan.changes if c.action is Action.CREATE_DEFAULT_RULE]
    assert {
        (r["direction"], r["ethertype"], r["remote_group_id"], r["used_in_default_sg"], r["used_in_non_default_sg"])
        for r in created
    } == {("ingress", "IPv6", "PARENT", True, False), ("egress", "IPv6", None, False, True)}
    assert "ingress IPv4 tcp 22 from 0.0.0.0/0 (default groups and custom groups)" in plan.changes[0].summary
    assert passes_after(inv, plan, "scs-0115-default-rules")
    assert "--no-for-default-sg --for-custom-sg" in plan.changes[-1].command


def test_malformed_aspect_list_is_rewritten_and_evidence_adds_aspects() -> None:
    types = [
        VolumeType("t-fast", "fast", "[scs:encrypted replicated replicated fast] Fast and safe"),
        VolumeType("t-luks", "LUKS", "LUKS volumes"),
    ]
    evidence = {
        "t-fast": VolumeTypeDetail("t-fast", {}, False),
        "t-luks": VolumeTypeDetail("t-luks", {"replication_enabled": "<is> True"}, True),
    }
    inv = inventory(volume_types=types, type_details=evidence)
    plan = plan_for(inv, "scs-0114")
    described = {c.target: c.after["description"] for c in plan.changes}
    assert described == {
        "fast": "[scs:encrypted, replicated] Fast and safe",
        "LUKS": "[scs:encrypted, replicated] LUKS volumes",
    }
    fast = next(c for c in plan.changes if c.target == "fast")
    assert fast.note is not None and "drops 'fast'" in fast.note
    assert plan.remaining == {}


def test_without_evidence_an_aspect_needs_the_operator() -> None:
    types = [VolumeType("t-default", "__DEFAULT__", "Default"), VolumeType("t-luks", "LUKS", "[scs:encrypted] LUKS")]
    plan = plan_for(inventory(volume_types=types, admin=False), "scs-0114")
    assert plan.changes == ()
    [step] = plan.operator
    assert step.testcases == ("scs-0114-replicated-type",) and "replicat" in step.what
    assert any("admins only" in note for note in plan.notes)


def test_image_properties_derived_where_they_can_be() -> None:
    broken = image(
        "Ubuntu 24.04",
        drop=("architecture", "hw_rng_model"),
        min_disk=0,
        size=3 * 2**30 + 1,
    )
    inv = inventory(
        images=[broken], details={broken.id: ImageDetail(broken.id, "admin-project", broken.size, 10 * 2**30)}
    )
    plan = plan_for(inv, "scs-0102-prop-(architecture|min_disk|hw_rng_model)|scs-0101-image-property")
    [change] = plan.changes
    assert dict(change.after) == {"architecture": "x86_64", "hw_rng_model": "virtio", "min_disk": 10}
    assert dict(change.before) == {"architecture": None, "hw_rng_model": None, "min_disk": 0}
    assert change.needs_admin is False  # the account's project owns the image
    assert plan.remaining == {}


def test_image_properties_from_the_catalogue_and_what_it_cannot_give() -> None:
    rocky = image(
        "Rocky 9",
        drop=("architecture", "os_version", "image_source", "uuid_validity"),
        os_distro="rocky",
    )
    stray = image("Gentoo", drop=("replace_frequency",), os_distro="gentoo", os_version="2026")
    inv = inventory(images=[rocky, stray], details={})
    catalogue = parse_catalogue(CATALOGUE, "images.yml")
    plan = plan_for(inv, "scs-0102-prop-", catalogue=catalogue)
    [change] = plan.changes
    assert change.target == "Rocky 9" and change.needs_admin  # owner unknown: assume it takes an admin
    assert dict(change.after) == {
        "architecture": "x86_64",
        "image_source": catalogue.images[0].versions[0].url,
        "os_version": "9",
        "uuid_validity": "last-3",
    }
    [step] = plan.operator
    assert step.subject == "Gentoo" and "has no entry named for 'Gentoo'" in step.why
    assert set(plan.remaining) == {"scs-0102-prop-replace_frequency"}


def test_a_catalogue_value_that_would_not_pass_is_not_planned() -> None:
    late = image("Alpine 3.20", drop=(), image_build_date="2027-01-01", created_at="2024-09-01T00:00:00Z")
    plan = plan_for(inventory(images=[late]), "scs-0102-prop-image_build_date", catalogue=parse_catalogue(CATALOGUE))
    assert plan.changes == ()
    [step] = plan.operator
    assert "2024-09-06" in step.why and "would not pass" in step.why and "after it was registered" in step.why


def test_hash_algorithm_is_glances_own() -> None:
    md5 = dataclasses.replace(image(), hash_algo="md5")
    plan = plan_for(inventory(images=[md5]), "scs-0102-prop-hash_algo")
    [step] = plan.operator
    assert "never lets it be changed" in step.why and "hashing_algorithm" in step.what


def test_older_generic_images_become_oldgeneric() -> None:
    old = image("Ubuntu 24.04 20260401", image_build_date="2026-04-01")
    new = image("Ubuntu 24.04", image_build_date="2026-05-20")
    inv = inventory(images=[old, new])
    plan = plan_for(inv, "scs-0102-os_purpose-uniqueness")
    [change] = plan.changes
    assert change.target == old.name and dict(change.after) == {"os_purpose": "oldgeneric"}
    assert passes_after(inv, plan, "scs-0102-os_purpose-uniqueness")


def test_unfixable_testcases_get_the_standards_words() -> None:
    plan = plan_for(inventory(), "scs-0123-service-(compute|placement)")
    subjects = {s.subject: s for s in plan.operator}
    assert set(subjects) == {"compute", "placement"}
    assert "MUST be present" in str(subjects["compute"].quote)


def test_plan_is_plain_data() -> None:
    flavors = standard_flavors(skip=("SCS-2V-8",))
    plan = plan_for(
        inventory(flavors=flavors, rules=[rule("ssh", direction="ingress", remote_ip_prefix="0.0.0.0/0")]),
        "scs-0103|scs-0115",
    )
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["cloud"] == "cloud" and data["admin"] is True
    assert {c["action"] for c in data["changes"]} == {"create-flavor", "delete-default-rule", "create-default-rule"}
    assert all(c["fixes"] for c in data["changes"])
    only = plan.only([Area.FLAVORS])
    assert [c.area for c in only.changes] == [Area.FLAVORS]
