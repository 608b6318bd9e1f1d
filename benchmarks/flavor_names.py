"""Print how many flavor names per second we parse (and render), on a realistic mix of names.

Run: .venv/bin/python benchmarks/flavor_names.py [--seconds 2] [--official PATH]
With --official (the SCS reference module `flavor_names.py` of the standards repository, or its
folder, Tests/iaas/flavor-naming), its `parser_v3` is measured on the same mix beside ours.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scs_toolkit import flavor_names as fn
from scs_toolkit.standards import mandatory_flavors

EXTRA = [
    "SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
    "SCS-2C:4:10n-bms-z3h",  # v1 spelling: the slower, tolerated path
    "SCS-16V-64-500s_GNa-14-6h",
    "SCS-2Vi-4uo-3x10p_chy_hwv_a2h_GA3.1-96-48",
    "SCS-2iT-4-10n",  # invalid: error path
    "SCS-2C-4-10_hwv_xen",  # invalid: ordering diagnosis
]


def measure(names: list[str], seconds: float, work: str) -> float:
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for name in names:
            try:
                parsed = fn.parse(name)
                if work == "parse+render":
                    fn.render(parsed.flavor)
                    fn.extra_specs(parsed.flavor)
            except fn.FlavorNameError:
                pass
        done += len(names)
    return done / (time.perf_counter() - start)


def official_parser(path: Path) -> Callable[[str], Any]:
    """`parser_v3` of the reference module, loaded from its file (its name clashes with this script)."""
    module_file = path / "flavor_names.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location("scs_official_flavor_names", module_file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {module_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parser_v3  # type: ignore[no-any-return]


def measure_official(parse: Callable[[str], Any], names: list[str], seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for name in names:
            with contextlib.suppress(Exception):  # the reference raises ValueError and others for invalid names
                parse(name)
        done += len(names)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--official", type=Path, help="the reference flavor_names.py (or its folder)")
    args = parser.parse_args()
    names = [flavor.name for flavor in mandatory_flavors()] + EXTRA
    print(f"name mix: {len(names)} names ({len(EXTRA)} long, v1-spelled or invalid)")
    ours = 0.0
    for work in ("parse", "parse+render"):
        rate = measure(names, args.seconds, work)
        ours = ours or rate
        print(f"{work:>13}: {rate:,.0f} names/s ({1e6 / rate:.1f} us/name)")
    if args.official:
        rate = measure_official(official_parser(args.official), names, args.seconds)
        print(f"     official: {rate:,.0f} names/s ({1e6 / rate:.1f} us/name); ours parse {ours / rate:.1f}x")


if __name__ == "__main__":
    main()
