"""Print how many flavor names per second we parse (and render), on a realistic mix of names.

Run: .venv/bin/python benchmarks/flavor_names.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    args = parser.parse_args()
    names = [flavor.name for flavor in mandatory_flavors()] + EXTRA
    print(f"name mix: {len(names)} names ({len(EXTRA)} long, v1-spelled or invalid)")
    for work in ("parse", "parse+render"):
        rate = measure(names, args.seconds, work)
        print(f"{work:>13}: {rate:,.0f} names/s ({1e6 / rate:.1f} us/name)")


if __name__ == "__main__":
    main()
