"""Print how long an SCS-compatible KaaS check takes against simulated clusters with API latency.

Run: .venv/bin/python benchmarks/kaas_check.py [--latency-ms 20] [--clusters 4]
Figures: wall time and API calls of a full run (Sonobuoy: the simulated clusters' stand-in, so the e2e
suites take seconds, not the hours they take on a real cluster), of the light section alone (version
policy and the snapshot checks), the time the storage probe and each e2e run take, and several
clusters checked side by side as `scs check --context a --context b ...` does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scs_toolkit import standards
from scs_toolkit.checks import Probe
from scs_toolkit.collect import KubeSpec, collect_kaas, connect_kube
from scs_toolkit.runner import RunResult, run_scope
from scs_toolkit.simk8s import Faults, SimK8s, SimK8sOptions


def check(kubeconfig: Path, context: str, sonobuoy: Path, sections: list[str] | None = None) -> RunResult:
    conn = connect_kube(KubeSpec(str(kubeconfig), context))
    try:
        return run_scope(
            standards.load_scope("scs-compatible-kaas"),
            context,
            lambda parts: collect_kaas(conn, parts),
            sections=sections,
            probe=Probe(conn, settings={"sonobuoy": str(sonobuoy)}),
            api_calls=lambda: conn.requests[0],
        )
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="injected latency per API request")
    parser.add_argument("--clusters", type=int, default=4, help="clusters checked side by side")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kaas-bench-"))
    os.environ["XDG_STATE_HOME"] = str(folder / "state")  # retrieved e2e results stay out of the user's folders
    sonobuoy = folder / "sonobuoy"
    sonobuoy.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scs_toolkit.simk8s.sonobuoy "$@"\n')
    sonobuoy.chmod(0o755)
    kubeconfig = folder / "kubeconfig"
    faults = Faults(latency_ms=args.latency_ms)
    sims = [
        SimK8s(SimK8sOptions(profile="compliant", seed=n, faults=faults, cluster_name=f"bench-{n}")).start()
        for n in range(args.clusters)
    ]
    try:
        for sim in sims:
            sim.kubeconfig(kubeconfig)
        started = time.monotonic()
        full = check(kubeconfig, "bench-0", sonobuoy)
        wall = time.monotonic() - started
        started = time.monotonic()
        light = check(kubeconfig, "bench-0", sonobuoy, ["light"])
        light_wall = time.monotonic() - started
        started = time.monotonic()
        with ThreadPoolExecutor(args.clusters) as pool:
            parallel = list(pool.map(lambda s: check(kubeconfig, s.name, sonobuoy), sims))
        parallel_wall = time.monotonic() - started
    finally:
        for sim in sims:
            sim.stop()
    every = {**full.results, **full.extras}
    verdict = ", ".join(f"{v.version}: {v.verdict.value}" for v in full.verdicts)
    print(
        f"latency {args.latency_ms:.0f} ms per API request; {len(full.results)} testcases + {len(full.extras)} informational ({verdict})"
    )
    print(f"full run:          {wall:6.2f} s, {full.api_calls} API calls")
    print(
        f"light section:     {light_wall:6.2f} s, {light.api_calls} API calls ({', '.join({**light.results, **light.extras})})"
    )
    for testcase in ("default-storage-class-check", "cncf-k8s-conformance", "kaas-networking-check"):
        print(f"  {testcase + ':':30s} {every[testcase].duration_s:6.2f} s ({every[testcase].outcome.status.value})")
    statuses = sorted({v.verdict.value for r in parallel for v in r.verdicts})
    print(
        f"{args.clusters} clusters side by side: {parallel_wall:6.2f} s ({', '.join(statuses)}; e2e runs of one cluster are serialized)"
    )


if __name__ == "__main__":
    main()
