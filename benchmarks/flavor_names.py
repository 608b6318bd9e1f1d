"""Print how many flavor names per second we parse (and render), on a realistic mix of names.

Run: .venv/bin/python benchmarks/flavor_names.py [--seconds 2] [--official PATH]
With --official (the SCS reference module `flavor_names.py` of the standards repository, or its
folder, Tests/iaas/scs_0100_flavor_naming), its `parser_v3` is measured on the same mix beside ours.

Every figure loops over the same list of names through the same loop, so the names repeat. Nothing
remembers whole names; our parser remembers what each spelling of the extensions (`_bms_hwv_i3h`)
means and whether it is valid, which a real listing also reuses. "parse, cold" forgets that before
every name, so it is the figure for names whose extensions were never seen.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scs_toolkit import flavor_names as fn
from scs_toolkit.flavor_names import _parser
from scs_toolkit.standards import mandatory_flavors

EXTRA = [
    "SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
    "SCS-2C:4:10n-bms-z3h",  # v1 spelling: the slower, tolerated path
    "SCS-16V-64-500s_GNa-14-6h",
    "SCS-2Vi-4uo-3x10p_chy_hwv_a2h_GA3.1-96-48",
    "SCS-2iT-4-10n",  # invalid: error path
    "SCS-2C-4-10_hwv_xen",  # invalid: ordering diagnosis
]


def measure(parse: Callable[[str], object], names: list[str], seconds: float) -> float:
    """Names per second through `parse`; one loop for ours and the reference, so both pay the same
    overhead (the reference raises ValueError and others for invalid names, hence `Exception`)."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for name in names:
            try:
                parse(name)
            except Exception:
                continue
        done += len(names)
    return done / (time.perf_counter() - start)


def parse_cold(name: str) -> object:
    """Parse with the remembered extensions forgotten first, as on a first pass over the mix (each
    spelling occurs once in it); the extra call makes this figure a little pessimistic."""
    _parser._EXTENSIONS.clear()
    return fn.parse(name)


def parse_render(name: str) -> object:
    parsed = fn.parse(name)
    fn.render(parsed.flavor)
    return fn.extra_specs(parsed.flavor)


def accepted(parse: Callable[[str], object], names: list[str]) -> int:
    count = 0
    for name in names:
        try:
            count += parse(name) is not None
        except Exception:
            continue
    return count


def official_parser(path: Path) -> Callable[[str], Any]:
    """`parser_v3` of the reference module, loaded from its file (its name clashes with this script)."""
    module_file = path / "flavor_names.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location("scs_official_flavor_names", module_file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {module_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parser_v3  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--official", type=Path, help="the reference flavor_names.py (or its folder)")
    args = parser.parse_args()
    names = [flavor.name for flavor in mandatory_flavors()] + EXTRA
    print(
        f"name mix: {len(names)} names ({len(EXTRA)} long, v1-spelled or invalid), looped; "
        f"ours accepts {accepted(fn.parse, names)}"
    )
    rates: dict[str, float] = {}
    for work, parse in (("parse", fn.parse), ("parse, cold", parse_cold), ("parse+render", parse_render)):
        rates[work] = rate = measure(parse, names, args.seconds)
        print(f"{work:>13}: {rate:,.0f} names/s ({1e6 / rate:.1f} us/name)")
    if args.official:
        official = official_parser(args.official)
        rate = measure(official, names, args.seconds)
        print(
            f"     official: {rate:,.0f} names/s ({1e6 / rate:.1f} us/name); ours parse {rates['parse'] / rate:.1f}x, "
            f"cold {rates['parse, cold'] / rate:.1f}x"
        )
        print(
            f"               (parser_v3 accepts {accepted(official, names)}: it stops at the first part it cannot"
            " read, and does not read v1 spelling)"
        )


if __name__ == "__main__":
    main()
