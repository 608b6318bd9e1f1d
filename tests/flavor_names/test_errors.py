"""Invalid names get an error naming the component, its position and what to write instead."""

from __future__ import annotations

import pytest

from scs_toolkit import flavor_names as fn


@pytest.mark.parametrize(
    ("name", "component", "column", "says"),
    [
        ("SCS-2iT-4-10n", "cpu type", 6, "write 2Ti"),
        ("SCS-2C-4ou-10n", "ram flags", 10, "'u' (no ECC) must come before 'o'"),
        ("SCS-2C-4-1.5n", "disk size", 11, "whole number of GB"),
        ("SCS-2-4-10n", "cpu type", 6, "L, V, T, C"),
        ("SCS-2C-4-10_hwv_xen", "hypervisor", 16, "out of place"),
        ("SCS-2V-4_ib_bms", "hypervisor", 12, "out of place"),
        ("SCS-2V-4_qemu", "extension", 9, "unknown extension 'qemu'"),
        ("SCS-2V-4_i7", "cpu generation", 11, "Intel generation 7"),
        ("SCS-2V-4_z3hhhh", "cpu frequency", 12, "hhh"),
        ("SCS-2V-4_GNx", "gpu generation", 12, "'x' is not a known Nvidia generation"),
        ("SCS-2V-4_GA6", "gpu generation", 12, "AMD"),
        ("SCS-2V-4_GNa-0", "gpu SMs", 14, "positive"),
        ("SCS-0V-4", "cpu count", 5, "positive integer"),
        ("SCS-2V-0", "ram", 8, "positive multiple of 0.5"),
        ("SCS-2V-4.25", "ram", 8, "4.25"),
        ("SCS-2V-4-0", "disk size", 10, "positive integer"),
        ("SCS-2V-4-0x10", "disk count", 10, "positive integer"),
        ("SCS-2V-4-20S", "disk type", 12, "lower case"),
        ("SCS-2V-", "ram", 8, "RAM size in GiB"),
        ("SCS-2v-4", "cpu type", 6, "upper case: V"),
        ("SCS-2V-4x", "name", 9, "found 'x'"),
        ("SCS-2C:4:10-chy", "hypervisor", 13, "'chy' does not exist in v1"),
        ("SCS-2V-4 ", "name", 9, "found ' '"),
        # numbers no flavor has: int() and float() would refuse or overflow (OverflowError, ValueError)
        ("SCS-2V-" + "9" * 400, "ram", 8, "more than 15 digits"),
        ("SCS-2V-4-" + "9" * 5000, "disk size", 10, "more than 15 digits"),
        ("SCS-" + "9" * 20 + "V-4", "cpu count", 5, "more than 15 digits"),
        ("SCS-2V-4-2x" + "9" * 30, "disk size", 12, "more than 15 digits"),
    ],
)
def test_error_names_component_and_position(name: str, component: str, column: int, says: str) -> None:
    with pytest.raises(fn.FlavorNameError) as raised:
        fn.parse(name)
    error = raised.value
    assert (error.component, error.column) == (component, column), error.describe()
    assert says in error.describe()
    assert error.name == name
    assert error.pointer().splitlines()[1] == " " * (column - 1) + "^"


def test_not_an_scs_name() -> None:
    for name in ("SC-2T-4", "scs-2V-4", " SCS-2V-4", ""):
        assert not fn.is_scs_name(name)
        with pytest.raises(fn.NotAnScsNameError, match="start with 'SCS-'"):
            fn.parse(name)


@pytest.mark.parametrize(
    ("name", "valid_in"),
    [
        ("SCS-2V-4", {"v2", "v3"}),
        ("SCS-2V:4", {"v1"}),
        ("SCS-8T-16-50n_i4", {"v2", "v3"}),  # Sapphire Rapids came with v2
        ("SCS-8T:16:50n-i4", set()),  # ... so a v1 name cannot state it
        ("SCS-8T:16:50n-i3", {"v1"}),
        ("SCS-8T-16-50n_z6", {"v3"}),
        ("SCS-2V-4_chy", {"v3"}),
        ("SCS-16V-64-500s_GNa-14-6h", {"v3"}),  # VRAM size is v3
        ("SCS-16T-64-200s_GNa-64_ib", {"v2", "v3"}),
        ("SCS-16T:64:200s-GNa:64-ib", {"v1"}),
        ("SCS-4C-16-2x200p_a4", {"v3"}),
    ],
)
def test_version_specific_rules(name: str, valid_in: set[str]) -> None:
    for version in fn.GRAMMAR_VERSIONS:
        try:
            fn.parse(name, version)
        except fn.FlavorNameError:
            assert version not in valid_in, f"{name} should be valid in {version}"
        else:
            assert version in valid_in, f"{name} should be invalid in {version}"


def test_certification_mode_tolerates_v1_spelling_with_a_warning() -> None:
    parsed = fn.parse("SCS-2C:4:10n-bms-z3h")
    assert parsed.syntax == "v1"
    assert parsed.warnings[0] == "v1 spelling is merely tolerated; the v2/v3 name is SCS-2C-4-10n_bms_z3h"


def test_v1_spelled_error_is_reported_against_v1_rules() -> None:
    with pytest.raises(fn.FlavorNameError, match="unknown extension 'bogus'"):
        fn.parse("SCS-2V:4-bogus")


def test_non_canonical_spellings_parse_with_warnings() -> None:
    for name, canonical in (
        ("SCS-02V-4", "SCS-2V-4"),
        ("SCS-2V-4.0", "SCS-2V-4"),
        ("SCS-2V-.5", "SCS-2V-0.5"),
        ("SCS-2V-4-1x10", "SCS-2V-4-10"),
        ("SCS-2V-4_z0", "SCS-2V-4_z"),
    ):
        parsed = fn.parse(name)
        assert fn.render(parsed.flavor) == canonical
        assert parsed.warnings, name
    assert fn.parse("SCS-2V-4").warnings == ()


def test_generate_rejects_what_the_version_cannot_express() -> None:
    flavor = fn.FlavorName(cpus=2, cpu_type="V", ram_gib=4, hypervisor="chy")
    assert fn.generate(flavor, "v3") == "SCS-2V-4_chy"
    with pytest.raises(fn.FlavorNameError, match="hypervisor"):
        fn.generate(flavor, "v2")
    with pytest.raises(fn.FlavorNameError, match="hypervisor"):
        fn.generate(flavor, "v1")
    with pytest.raises(fn.FlavorNameError, match=r"multiple of 0\.5"):
        fn.generate(fn.FlavorName(cpus=2, cpu_type="V", ram_gib=4.25))
    with pytest.raises(fn.FlavorNameError, match="cpu type"):
        fn.generate(fn.FlavorName(cpus=2, cpu_type="X", ram_gib=4))  # type: ignore[arg-type]
    with pytest.raises(fn.FlavorNameError, match="needs the number of processing units"):
        fn.generate(fn.FlavorName(cpus=2, cpu_type="V", ram_gib=4, gpu=fn.Gpu("G", "N", "a", vram_gib=8)))


def test_describe_in_plain_english() -> None:
    text = fn.describe(fn.parse("SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib").flavor)
    assert text == (
        "16 dedicated hyperthreads, Intel Ice Lake (>2.75GHz all-core), 64 GiB RAM, 3 x 10 GB local SSD disks, "
        "bare metal, nested virtualization available, Pass-Through GPU Nvidia Ampere (64 SMs), Infiniband"
    )
    assert fn.describe(fn.parse("SCS-1V-0.5").flavor) == (
        "1 vCPU (shared cores, limited oversubscription), generic x86-64, 0.5 GiB RAM, no root disk (boot from volume)"
    )
    assert "cloud-chosen size unspecified type" in fn.describe(fn.parse("SCS-2C-4-").flavor)


def test_convert_between_spellings() -> None:
    assert fn.convert("SCS-2V-4-20s", "v1") == "SCS-2V:4:20s"
    assert fn.convert("SCS-2C:4:10n-bms-z3h-GNa:64-ib", "v2") == "SCS-2C-4-10n_bms_z3h_GNa-64_ib"
    with pytest.raises(fn.FlavorNameError):
        fn.convert("SCS-2iT-4", "v1")
