"""The one-step path for canonically spelled names and the scanner read every name the same way:
equal results (properties, syntax, minimum version, warnings) or the same error."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scs_toolkit import flavor_names as fn
from scs_toolkit.flavor_names import _model, _parser
from scs_toolkit.flavor_names._validate import problems

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
        expected = outcome(_parser._scanned, name, version)
        # twice: the first reading may remember the extensions' verdict, the second then uses it
        assert outcome(fn.parse, name, version) == expected, (name, version)
        assert outcome(fn.parse, name, version) == expected, (name, version)


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


@settings(max_examples=800, deadline=None)
@given(flavors, st.integers(0, 60), st.text(ALPHABET, max_size=4), st.integers(0, 3))
@example(fn.FlavorName(2, "V", 4.0, hypervisor="chy"), 0, "", 0)  # no chy in v1 names
def test_mutated_v1_names(flavor: fn.FlavorName, at: int, inserted: str, removed: int) -> None:
    """The same for v1 spelling, which has a one-step path too (certification tolerates it)."""
    name = fn.render(flavor, "v1")
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


@settings(max_examples=300, deadline=None)
@given(flavors, flavors)
def test_extension_rules_ignore_cpu_ram_and_disk(flavor: fn.FlavorName, other: fn.FlavorName) -> None:
    """The one-step path remembers the verdict on each spelling of the extensions, whatever the cpu,
    RAM and disk of the name: that holds while no rule of an extension looks at those."""
    main = dataclasses.replace(other, hypervisor=flavor.hypervisor, arch=flavor.arch, gpu=flavor.gpu)
    for version in fn.GRAMMAR_VERSIONS:
        assert extension_problems(flavor, version) == extension_problems(main, version)


def extension_problems(flavor: fn.FlavorName, version: str) -> list[object]:
    main = ("cpus", "cpu_type", "ram", "disk_count", "disk_size", "disk_type")
    return [problem for problem in problems(flavor, version) if problem.field not in main]  # type: ignore[arg-type]


def test_remembered_extensions_are_bounded() -> None:
    _parser._EXTENSIONS.clear()
    for generation in range(_parser._EXTENSIONS_MAX + 10):
        fn.parse(f"SCS-2V-4_GNa-{generation + 1}")
    assert 0 < len(_parser._EXTENSIONS) <= _parser._EXTENSIONS_MAX
    assert fn.parse("SCS-2V-4_GNa-1").flavor.gpu == fn.Gpu("G", "N", "a", 1)


@pytest.mark.parametrize(
    ("built", "constructed"),
    [
        (_model.make_disk(3, 10, "s"), fn.Disk(3, 10, "s")),
        (_model.make_arch("i", 3, 1), fn.CpuArch("i", 3, 1)),
        (_model.make_gpu("G", "N", "a", 64, 1, 16, 2), fn.Gpu("G", "N", "a", 64, 1, 16, 2)),
        (
            _model.make_flavor(2, "V", 4.0, True, False, True, None, "kvm", True, None, None, False),
            fn.FlavorName(2, "V", 4.0, True, False, True, None, "kvm", True, None, None, False),
        ),
        (
            _model.make_parsed("SCS-2V-4", fn.FlavorName(2, "V", 4.0), "v2", "v2", ()),
            fn.ParsedName("SCS-2V-4", fn.FlavorName(2, "V", 4.0), "v2", "v2", ()),
        ),
    ],
)
def test_builders_match_the_constructors(built: object, constructed: object) -> None:
    """The one-step path builds its results without the dataclass constructors: same fields, order,
    values, repr, equality and hash, and still frozen."""
    assert list(vars(built)) == [field.name for field in dataclasses.fields(constructed)]  # type: ignore[arg-type]
    assert vars(built) == vars(constructed)
    assert repr(built) == repr(constructed)
    assert built == constructed
    assert hash(built) == hash(constructed)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.text = "x"  # type: ignore[attr-defined]
