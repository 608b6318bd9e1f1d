"""Every flavor name written in the scs-0100 texts and the official data files."""

from __future__ import annotations

import pytest
import yaml

from scs_toolkit import flavor_names as fn
from tests.conftest import BUNDLED, DATA
from tests.markdown_tables import example_names

#: Names the standards list as valid although the grammar forbids them (documentation bugs).
DOC_BUGS = {
    "SCS-2C-4-n_bms_3": "generation without a vendor letter",
    "SCS-2C:4:n-bms-3": "generation without a vendor letter",
    "SCS-2C-4-3x-": "mis-converted from the v1 name SCS-2C:4:3x (stray separator)",
    "SCS-1D-1.5-8s": "D is not a cpu type (v3 fixed the example to SCS-1C-1.5-8s)",
    "SCS-1D:1.5:8s": "D is not a cpu type",
    "SCS-1Vl:1:5": "typo: lower-case l after the type letter",
}
#: v1-spelled names quoted in a v2 text (valid for certification, where v1 spelling is tolerated).
V1_IN_V2_TEXT = {"SCS-1V:2"}


def _examples() -> list[tuple[str, str, bool]]:
    cases = []
    for version in ("v1", "v2", "v3"):
        path = next((DATA / "standards").glob(f"scs-0100-{version}-*.md"))
        for name, listed_valid, line in example_names(path):
            cases.append(pytest.param(name, version, listed_valid, id=f"{version}:{line}:{name}"))
    return cases


@pytest.mark.parametrize(("name", "version", "listed_valid"), _examples())
def test_example_from_standard_text(name: str, version: str, listed_valid: bool) -> None:
    v1_quoted_elsewhere = name in V1_IN_V2_TEXT and version != "v1"
    expected_valid = listed_valid and name not in DOC_BUGS and not v1_quoted_elsewhere
    try:
        fn.parse(name, version)  # type: ignore[arg-type]
    except fn.FlavorNameError as error:
        assert not expected_valid, f"{name} should be valid in {version}: {error}"
        assert error.column is not None and 1 <= error.column <= len(name)
    else:
        assert expected_valid, f"{name} should be invalid in {version}"


def test_examples_were_found() -> None:
    """Guard against the extraction silently finding nothing."""
    assert len(_examples()) > 150
    struck = [case for case in _examples() if not case.values[2]]
    assert len(struck) == 15  # five struck-through examples in each of v1, v2, v3


def test_v1_name_quoted_in_v2_text_is_tolerated_for_certification() -> None:
    parsed = fn.parse("SCS-1V:2")
    assert parsed.syntax == "v1"
    assert any("merely tolerated" in warning for warning in parsed.warnings)


def _official_flavors() -> list[dict[str, object]]:
    document = yaml.safe_load((BUNDLED / "iaas/SCS-Spec.MandatoryFlavors.verbose.yaml").read_text())
    return document["mandatory"] + document["recommended"]


@pytest.mark.parametrize("entry", _official_flavors(), ids=lambda e: str(e["name"]))
def test_official_standard_flavor_derivation(entry: dict[str, object]) -> None:
    """Our name -> properties/extra_specs derivation reproduces the official generated list."""
    parsed = fn.parse(str(entry["name"]), "v3")
    assert fn.render(parsed.flavor) == entry["name"]
    expected_specs = {k: v for k, v in entry.items() if str(k).startswith("scs:")}
    assert fn.extra_specs(parsed.flavor) == expected_specs
    nova = fn.nova_properties(parsed.flavor)
    assert nova["vcpus"] == entry["cpus"]
    assert nova["ram_mib"] == entry["ram"]
    assert nova["disk_gb"] == entry.get("disk", 0)
    for key in ("scs:name-v1", "scs:name-v2"):
        assert fn.parse(str(entry[key])).flavor == parsed.flavor


def test_wrong_flavor_file_defects_are_exactly_the_commented_ones() -> None:
    """scs-0103-v1-flavors-wrong.yaml marks its deliberate defects with '# wrong' comments."""
    path = DATA / "iaas/scs-0103-v1-flavors-wrong.yaml"
    document = yaml.safe_load(path.read_text())
    commented = _names_with_wrong_comment(path.read_text())
    differing = set()
    for group in document["flavor_groups"]:
        for entry in group["list"]:
            flavor = fn.parse(entry["name"], "v3").flavor
            derived = {"cpus": flavor.cpus, "ram": flavor.ram_gib, **fn.extra_specs(flavor)}
            if flavor.disk is not None:
                derived["disk"] = flavor.disk.size_gb
            actual = {k: v for k, v in entry.items() if k != "name"}
            # An unspecified disk type may be advertised as anything (scs-0103: "(any)").
            optional = {"scs:disk0-type"} if flavor.disk is not None and flavor.disk.type is None else set()
            if {k: derived.get(k) for k in actual} != actual or set(derived) - set(actual) - optional:
                differing.add(entry["name"])
    assert differing == commented
    assert len(differing) == 7


def _names_with_wrong_comment(text: str) -> set[str]:
    names, current = set(), None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- name:"):
            current = stripped.split(":", 1)[1].split("#")[0].strip()
        if "# wrong" in line and current:
            names.add(current)
    return names
