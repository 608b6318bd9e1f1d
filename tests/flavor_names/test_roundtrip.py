"""Property-based round trips: generate(parse(n)) == n and parse(generate(p)) == p."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scs_toolkit import flavor_names as fn
from scs_toolkit.flavor_names import _tables as tables


@st.composite
def cpu_archs(draw: st.DrawFn) -> fn.CpuArch:
    vendor = draw(st.sampled_from(sorted(tables.CPU_VENDORS)))
    highest = tables.max_cpu_generation("v3", vendor)
    # generation 0 is spelled by leaving it out, so it does not survive a round trip as 0
    generation = draw(st.none() | st.integers(1, highest)) if highest else None
    return fn.CpuArch(vendor, generation, draw(st.integers(0, 3)))  # type: ignore[arg-type]


@st.composite
def gpus(draw: st.DrawFn) -> fn.Gpu:
    vendor = draw(st.sampled_from(sorted(tables.GPU_VENDORS)))
    generation = draw(st.none() | st.sampled_from(sorted(tables.GPU_GENERATIONS[vendor])))
    units = draw(st.none() | st.integers(1, 500))
    vram = draw(st.none() | st.integers(1, 256)) if units is not None else None
    return fn.Gpu(
        kind=draw(st.sampled_from(["G", "g"])),
        vendor=vendor,  # type: ignore[arg-type]
        generation=generation,
        units=units,
        unit_frequency=draw(st.integers(0, 2)),
        vram_gib=vram,
        vram_bandwidth=draw(st.integers(0, 2)) if vram is not None else 0,
    )


disks = st.builds(
    fn.Disk,
    count=st.integers(1, 8),
    size_gb=st.none() | st.integers(1, 100_000),
    type=st.none() | st.sampled_from(["n", "h", "s", "p"]),
)

flavors = st.builds(
    fn.FlavorName,
    cpus=st.integers(1, 4096),
    cpu_type=st.sampled_from(["L", "V", "T", "C"]),
    ram_gib=st.integers(1, 8192).map(lambda halves: halves / 2),
    insecure=st.booleans(),
    ram_no_ecc=st.booleans(),
    ram_oversubscribed=st.booleans(),
    disk=st.none() | disks,
    hypervisor=st.none() | st.sampled_from(sorted(tables.HYPERVISORS)),
    hw_virt=st.booleans(),
    arch=st.none() | cpu_archs(),
    gpu=st.none() | gpus(),
    infiniband=st.booleans(),
)


@settings(max_examples=400)
@given(flavors)
def test_parse_of_generated_name_gives_the_properties_back(flavor: fn.FlavorName) -> None:
    name = fn.generate(flavor, "v3")
    parsed = fn.parse(name, "v3")
    assert parsed.flavor == flavor
    assert parsed.warnings == ()  # generated names are canonical
    assert fn.generate(parsed.flavor) == name  # generate(parse(n)) == n for canonical n


@settings(max_examples=300)
@given(flavors)
def test_v1_spelling_round_trip(flavor: fn.FlavorName) -> None:
    v1_name = fn.render(flavor, "v1")
    if flavor.hypervisor == "chy":
        return  # v1 has no spelling for Cloud Hypervisor (tested in test_errors)
    assert fn.parse(v1_name).flavor == flavor
    assert fn.convert(fn.convert(fn.render(flavor), "v1"), "v2") == fn.render(flavor)


@settings(max_examples=300)
@given(flavors)
def test_short_name_is_valid_and_keeps_the_size(flavor: fn.FlavorName) -> None:
    short = fn.shorten(flavor)
    parsed = fn.parse(fn.render(short)).flavor
    assert (parsed.cpus, parsed.ram_gib, parsed.disk) == (flavor.cpus, flavor.ram_gib, flavor.disk)
    assert parsed.hypervisor is None and not parsed.hw_virt


_ALPHABET = "SC-0123456789.:_xnhspiLVTCuoGgNAIzarbmkvwyq "


@settings(max_examples=1500)
@given(st.text(_ALPHABET, max_size=30))
def test_arbitrary_text_parses_or_raises_a_flavor_name_error(tail: str) -> None:
    """Never a crash: any text is either a name (stable under re-rendering) or a clear error."""
    name = "SCS-" + tail
    try:
        parsed = fn.parse(name)
    except fn.FlavorNameError as error:
        assert error.component and error.message
        assert error.column is None or 1 <= error.column <= len(name) + 1
    else:
        assert fn.parse(fn.render(parsed.flavor)).flavor == parsed.flavor
