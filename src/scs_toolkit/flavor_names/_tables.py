"""Value tables of the scs-0100 flavor-name grammar, per version of the standard.

The tables are data, not code, so that a new CPU or GPU generation is a one-line change and
the version differences (v1 < v2 < v3) stay visible side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

GrammarVersion = Literal["v1", "v2", "v3"]
GRAMMAR_VERSIONS: Final[tuple[GrammarVersion, ...]] = ("v1", "v2", "v3")

CPU_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"L": "LowPerf vCPUs", "V": "vCPUs", "T": "SMT Threads", "C": "Dedicated Cores"}
)
#: `scs:cpu-type` extra-spec value per cpu type letter (scs-0103 / scs-0100 v3).
CPU_TYPE_EXTRA_SPEC: Final[Mapping[str, str]] = MappingProxyType(
    {"L": "crowded-core", "V": "shared-core", "T": "dedicated-thread", "C": "dedicated-core"}
)

DISK_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"n": "Networked", "h": "Local HDD", "s": "SSD", "p": "HiPerf NVMe"}
)
#: `scs:diskN-type` extra-spec value per disk type letter; an unspecified type maps to network.
DISK_TYPE_EXTRA_SPEC: Final[Mapping[str, str]] = MappingProxyType({"n": "network", "h": "hdd", "s": "ssd", "p": "nvme"})

HYPERVISORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "kvm": "KVM",
        "xen": "Xen",
        "vmw": "VMware",
        "hyv": "Hyper-V",
        "bms": "Bare Metal System",
        "chy": "Cloud Hypervisor",
    }
)
_HYPERVISORS_V1_V2: Final = frozenset({"kvm", "xen", "vmw", "hyv", "bms"})

CPU_VENDORS: Final[Mapping[str, str]] = MappingProxyType({"i": "Intel", "z": "AMD", "a": "ARM", "r": "RISC-V"})

#: CPU generation number -> description, per vendor, for the newest grammar (v3).
CPU_GENERATIONS: Final[Mapping[str, Mapping[int, str]]] = MappingProxyType(
    {
        "i": MappingProxyType(
            {
                0: "Unspec/Pre-Skylake",
                1: "Skylake",
                2: "Cascade Lake",
                3: "Ice Lake",
                4: "Sapphire Rapids",
                5: "Sierra Forest (E)",
                6: "Granite Rapids (P)",
            }
        ),
        "z": MappingProxyType(
            {
                0: "Unspec/Pre-Zen",
                1: "Zen 1",
                2: "Zen 2",
                3: "Zen 3",
                4: "Zen 4/4c",
                5: "Zen 5/5c",
                6: "Zen 6/6c",
            }
        ),
        "a": MappingProxyType(
            {
                0: "Unspec/Pre-A76",
                1: "A76/NeoN1",
                2: "A78/X1/NeoV1",
                3: "A71x/NeoN2/V2",
                4: "AmpereOne",
                5: "A72x/NeoN3/V3",
            }
        ),
        "r": MappingProxyType({0: "Unspec"}),
    }
)

#: Highest CPU generation each grammar version defines, per vendor.
_MAX_CPU_GENERATION: Final[Mapping[GrammarVersion, Mapping[str, int]]] = MappingProxyType(
    {
        "v1": {"i": 3, "z": 4, "a": 3, "r": 0},
        "v2": {"i": 4, "z": 4, "a": 3, "r": 0},
        "v3": {"i": 6, "z": 6, "a": 5, "r": 0},
    }
)

CPU_FREQUENCIES: Final[tuple[str, ...]] = ("Std Perf", "High Perf", "Very High Perf", "Very Very High Perf")
CPU_FREQUENCY_THRESHOLDS: Final[tuple[str, ...]] = ("", ">2.75GHz", ">3.25GHz", ">3.75GHz")

GPU_KINDS: Final[Mapping[str, str]] = MappingProxyType({"G": "Pass-Through GPU", "g": "vGPU"})
GPU_VENDORS: Final[Mapping[str, str]] = MappingProxyType({"N": "Nvidia", "A": "AMD", "I": "Intel"})
GPU_UNIT_NAMES: Final[Mapping[str, str]] = MappingProxyType({"N": "SMs", "A": "CUs", "I": "EUs"})

#: GPU generation token -> description, per GPU vendor. The standard's lists end in "...":
#: they are open, so all grammar versions share the newest table (as the reference does).
GPU_GENERATIONS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "N": MappingProxyType(
            {
                "f": "Fermi",
                "k": "Kepler",
                "m": "Maxwell",
                "p": "Pascal",
                "v": "Volta",
                "t": "Turing",
                "a": "Ampere",
                "l": "AdaLovelace",
                "g": "GraceHopper",
                "b": "Blackwell",
                "u": "Blackwell Ultra",
            }
        ),
        "A": MappingProxyType(
            {
                "0.4": "GCN4.0/Polaris",
                "0.5": "GCN5.0/Vega",
                "1": "CDNA1",
                "1.1": "RDNA1/Navi1x",
                "2": "CDNA2",
                "2.1": "RDNA2/Navi2x",
                "3": "CDNA3",
                "3.1": "RDNA3/Navi3x",
                "3.5": "RDNA3.5",
                "4": "CDNA4",
                "4.1": "RDNA4/Navi4x",
                "5.1": "RDNA5/Navi5x",
            }
        ),
        "I": MappingProxyType(
            {
                "0.9": "Gen9/Skylake",
                "0.95": "Gen9.5/KabyLake",
                "1": "Xe1/Gen12.1/DG1",
                "2": "Xe2/Gen12.2",
                "3": "Arc/Gen12.7/DG2",
                "4": "BattleImage/Gen20.0",
            }
        ),
    }
)
GPU_UNIT_FREQUENCIES: Final[tuple[str, ...]] = ("Std Freq", "High Freq", "Very High Freq")
GPU_VRAM_BANDWIDTHS: Final[tuple[str, ...]] = ("Std BW (GDDR)", "High BW (HBM)", "Very High BW")


_HYPERVISORS_V3: Final = frozenset(HYPERVISORS)


def hypervisors_for(version: GrammarVersion) -> frozenset[str]:
    """Hypervisor codes a grammar version defines (`chy` came with v3)."""
    return _HYPERVISORS_V3 if version == "v3" else _HYPERVISORS_V1_V2  # built once: every parse asks


def max_cpu_generation(version: GrammarVersion, vendor: str) -> int:
    """Highest CPU generation of `vendor` that `version` of the standard defines."""
    return _MAX_CPU_GENERATION[version][vendor]


def has_gpu_vram(version: GrammarVersion) -> bool:
    """VRAM size in the GPU component was introduced by scs-0100 v3."""
    return version == "v3"
