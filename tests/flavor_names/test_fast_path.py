"""The one-step path for canonically spelled names and the scanner read every name the same way:
equal results (properties, syntax, minimum version, warnings) or the same error."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scs_toolkit import flavor_names as fn
from scs_toolkit.flavor_names import _parser

from .test_roundtrip import flavors

VERSIONS = (None, "v1", "v2", "v3")
#: Characters names are made of, and the pieces that make a scanner warn or fail.
ALPHABET = "0123456789LVTCiuoxnhspGgNAIzarbkvmwelyc-_:."


def outcome(parse: object, name: str, version: str | None) -> object:
    try:
        return parse(name, version)  # type: ignore[operator]
    except fn.FlavorNameError as error:
        return (type(error), str(error), error.args)


def same_reading(name: str) -> None:
    for version in VERSIONS:
        assert outcome(fn.parse, name, version) == outcome(_parser._scanned, name, version), (name, version)


@settings(max_examples=400, deadline=None)
@given(flavors, st.sampled_from(["v1", "v2"]))
def test_rendered_names(flavor: fn.FlavorName, syntax: str) -> None:
    same_reading(fn.render(flavor, syntax))  # type: ignore[arg-type]


@settings(max_examples=1500, deadline=None)
@given(flavors, st.integers(0, 60), st.text(ALPHABET, max_size=4), st.integers(0, 3))
@example(fn.FlavorName(2, "V", 4.0), 7, "", 1)  # "SCS-2V-4" cut short
def test_mutated_names(flavor: fn.FlavorName, at: int, inserted: str, removed: int) -> None:
    """Characters replaced around a random position of a valid name: warnings, errors and valid
    neighbours (leading zeros, `4.0`, `1x`, generation 0, out-of-order or unknown extensions)."""
    name = fn.render(flavor, "v2")
    at = min(at, len(name))
    same_reading(name[:at] + inserted + name[at + removed :])


@given(st.text(ALPHABET, max_size=30).map(lambda rest: "SCS-" + rest))
@settings(max_examples=800, deadline=None)
def test_random_names(name: str) -> None:
    same_reading(name)


def test_known_spellings() -> None:
    for name in (
        "SCS-2V-4",
        "SCS-2V-4.0",
        "SCS-02V-4",
        "SCS-2V-4-1x10s",
        "SCS-2V-4-x10s",
        "SCS-2V-4-",
        "SCS-2V-4-s",
        "SCS-2V-0.5",
        "SCS-2V-.5",
        "SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
        "SCS-2Vi-4uo-3x10p_chy_hwv_a2h_GA3.1-96-48",
        "SCS-4V-16_z0",
        "SCS-4V-16_i9",
        "SCS-4V-16_ahh_ib",
        "SCS-4V-16_GNh",
        "SCS-4V-16_GN-0",
        "SCS-2V-4_kvm_ib_hwv",
        "SCS-2V-4_chy",
        "SCS-2V:4:10n",
    ):
        same_reading(name)
    assert fn.parse("SCS-2V-4_chy", "v3").min_version == "v3"  # hypervisor chy came with v3
    with pytest.raises(fn.FlavorNameError, match="'chy' is not defined in v2"):
        fn.parse("SCS-2V-4_chy", "v2")
