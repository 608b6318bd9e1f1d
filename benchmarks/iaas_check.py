"""Print how long a full SCS-compatible IaaS check takes against the simulated cloud with API latency.

Run: .venv/bin/python benchmarks/iaas_check.py [--latency-ms 50]
Figures: wall time, API calls, the share of time spent in active probes (those that create resources),
and for the `scs check` command: how long after its start the first API request reaches the cloud.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openstack
import yaml

from scs_toolkit import standards
from scs_toolkit.checks import Probe, all_checks
from scs_toolkit.collect import collect_iaas
from scs_toolkit.runner import run_scope
from scs_toolkit.simcloud import Faults, SimCloud, SimCloudOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="injected latency per API request")
    parser.add_argument("--startup-only", action="store_true", help="only the `scs check` start-up figure")
    args = parser.parse_args()
    startup(args.latency_ms)
    if args.startup_only:
        return
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
        f"the longest {max(durations):.2f} s = {100 * max(durations) / wall:.0f} % of the wall time "
        f"(wall = {wall / max(durations):.2f}x the longest probe)"
    )


def first_request_after_start(sim: SimCloud, runs: int = 3) -> list[float]:
    """Seconds from spawning `scs check` to the first API request, seen by a TCP relay in front of the
    cloud's identity endpoint (the relay accepts, notes the time, and forwards bytes both ways)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    first: list[float] = []

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with source, target:
            while data := source.recv(65536):
                target.sendall(data)

    def relay() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            first.append(time.monotonic())
            upstream = socket.create_connection(("127.0.0.1", sim.port))
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream.dup(), client.dup()), daemon=True).start()

    threading.Thread(target=relay, daemon=True).start()
    entry = sim.cloud_config()
    entry["auth"]["auth_url"] = entry["auth"]["auth_url"].replace(f":{sim.port}", f":{port}")
    delays = []
    with tempfile.TemporaryDirectory() as folder:
        clouds = Path(folder) / "clouds.yaml"
        clouds.write_text(yaml.safe_dump({"clouds": {"relayed": entry}}))
        scs = str(Path(sys.executable).parent / "scs")
        command = [scs, "check", "--os-cloud", "relayed", "--tests", "scs-0100-syntax-check", "--format", "json"]
        environment = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
        for _ in range(runs):
            first.clear()
            started = time.monotonic()
            subprocess.run(command, env=environment, capture_output=True, check=False, timeout=120)
            if first:
                delays.append(first[0] - started)
    listener.close()
    return delays


def startup(latency_ms: float) -> None:
    with SimCloud(SimCloudOptions(profile="compliant", seed=1, faults=Faults(latency_ms=latency_ms))) as sim:
        delays = first_request_after_start(sim)
    shown = ", ".join(f"{d * 1000:.0f}" for d in delays)
    print(f"scs check: first API request {min(delays) * 1000:.0f} ms after start (runs: {shown} ms)")


if __name__ == "__main__":
    main()
