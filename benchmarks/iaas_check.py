"""Print how long a full SCS-compatible IaaS check takes against the simulated cloud with API latency.

Run: .venv/bin/python benchmarks/iaas_check.py [--latency-ms 50]
Figures: wall time, API calls, and the share of time spent in active probes (those that create resources).
"""

from __future__ import annotations

import argparse
import time

import openstack

from scs_toolkit import standards
from scs_toolkit.checks import Probe, all_checks
from scs_toolkit.collect import collect_iaas
from scs_toolkit.runner import run_scope
from scs_toolkit.simcloud import Faults, SimCloud, SimCloudOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="injected latency per API request")
    args = parser.parse_args()
    scope = standards.load_scope("scs-compatible-iaas")
    with SimCloud(SimCloudOptions(profile="compliant", seed=1, faults=Faults(latency_ms=args.latency_ms))) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        calls = [0]
        conn.session.session.hooks["response"].append(lambda *a, **k: calls.__setitem__(0, calls[0] + 1))
        started = time.monotonic()
        result = run_scope(
            scope, "simcloud", lambda parts: collect_iaas(conn, parts), probe=Probe(conn), api_calls=lambda: calls[0]
        )
        wall = time.monotonic() - started
    checks = all_checks()
    durations = [r.duration_s for tc, r in result.results.items() if tc in checks and checks[tc].active]
    verdicts = ", ".join(f"{v.version}: {v.verdict.value}" for v in result.verdicts)
    print(f"latency {args.latency_ms:.0f} ms per API request; {len(result.results)} testcases ({verdicts})")
    print(f"wall time:        {wall:6.2f} s")
    print(f"API calls:        {result.api_calls:6d}")
    print(
        f"active probes:    {len(durations)} run side by side, {sum(durations):.2f} s in all; "
        f"the longest {max(durations):.2f} s = {100 * max(durations) / wall:.0f} % of the wall time"
    )


if __name__ == "__main__":
    main()
