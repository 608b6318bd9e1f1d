"""Test vectors that the SCS reference tooling produced (tests/data/reference/flavor-name-vectors.md).

We agree with the reference on every verdict, canonical spelling, v1 form and short name, except
where the reference contradicts the scs-0100 grammar; those names are listed with the reason.
"""

from __future__ import annotations

import json
import re

import pytest

from scs_toolkit import flavor_names as fn
from tests.conftest import DATA
from tests.markdown_tables import table_rows, unquote

REFERENCE = DATA / "reference" / "flavor-name-vectors.md"
SECTIONS = ("6.1 ", "6.2 ", "6.3 ", "6.4 ")

#: The reference reads a GPU generation greedily up to the next '-' or 'h', so a GPU without
#: units swallows the following extension. The grammar allows these names; we accept them.
GRAMMATICAL_DESPITE_REFERENCE = {
    "SCS-2V-4_GNa_ib": "SCS-2V-4_GNa_ib",
    "SCS-2V-4_GN_ib": "SCS-2V-4_GN_ib",
    "SCS-2V-4_bms_hwv_z3_GNa_ib": "SCS-2V-4_bms_hwv_z3_GNa_ib",
}


def _vectors() -> list[object]:
    cases = []
    for section in SECTIONS:
        for row in table_rows(REFERENCE, section):
            name = unquote(row["Name"])
            cases.append(pytest.param(name, row, id=f"{section.strip()}:{name!r}"))
    return cases


@pytest.mark.parametrize(("name", "row"), _vectors())
def test_reference_vector(name: str, row: dict[str, str]) -> None:
    verdict = row["Reference verdict (certification parser)"]
    if verdict.startswith("not an SCS name"):
        with pytest.raises(fn.NotAnScsNameError):
            fn.parse(name)
        assert not fn.is_scs_name(name)
        return
    if name in GRAMMATICAL_DESPITE_REFERENCE:
        assert verdict.startswith("INVALID")
        assert fn.render(fn.parse(name).flavor) == GRAMMATICAL_DESPITE_REFERENCE[name]
        return
    if verdict.startswith("INVALID"):
        with pytest.raises(fn.FlavorNameError) as raised:
            fn.parse(name)
        assert raised.value.component  # says which part is wrong
        return
    parsed = fn.parse(name)
    assert ("tolerated" in verdict) == (parsed.syntax == "v1")
    assert fn.render(parsed.flavor, "v2") == unquote(row["Canonical v2 re-output"])
    assert fn.render(parsed.flavor, "v1") == unquote(row["v1 form"])
    assert fn.render(fn.shorten(parsed.flavor), "v2") == unquote(row["Shortened (v2)"])


def test_vectors_were_found() -> None:
    assert len(_vectors()) > 250


def _extra_spec_vectors() -> list[object]:
    cases = []
    for row in table_rows(REFERENCE, "6.7 "):
        name = unquote(row["Name"])
        values = {}
        for item in row["`flavorname_to_dict()` result (cpus/ram/disk/extra_specs)"].split("; "):
            key, value = item.split("=", 1)
            values[key.strip("`")] = json.loads(value)
        cases.append(pytest.param(name, values, id=name))
    return cases


@pytest.mark.parametrize(("name", "expected"), _extra_spec_vectors())
def test_extra_specs_vector(name: str, expected: dict[str, object]) -> None:
    flavor = fn.parse(name).flavor
    assert fn.extra_specs(flavor) == {k: v for k, v in expected.items() if k.startswith("scs:")}
    assert flavor.cpus == expected["cpus"]
    assert flavor.ram_gib == expected["ram"]
    if "disk" in expected:
        assert flavor.disk is not None and flavor.disk.size_gb == expected["disk"]
    else:
        assert flavor.disk is None


def test_extra_spec_vectors_were_found() -> None:
    cases = _extra_spec_vectors()
    assert len(cases) > 100
    assert all(re.match(r"SCS-\d", case.values[0]) for case in cases)  # type: ignore[attr-defined]
