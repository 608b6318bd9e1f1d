"""Print how fast the health monitor iterates against the simulated cloud with API latency, and what
it costs itself.

Run: .venv/bin/python benchmarks/health.py [--latency-ms 50] [--iterations 3] [--vms 2]
Figures: iterations per minute, API calls per iteration, and the CPU seconds the monitor process used
(the simulated cloud runs in a separate process so that its CPU is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--vms", type=int, default=2)
    args = parser.parse_args()
    scs = str(Path(sys.executable).parent / "scs")
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "clouds.yaml"
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(config)}
        cloud = subprocess.Popen(
            [scs, "simcloud", "serve", "--profile", "compliant", "--port", "0", "--clouds-yaml", str(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert cloud.stdout is not None
            line = cloud.stdout.readline()  # the server prints its URL once it listens...
            url = line.split("http://", 1)[1].split()[0].rstrip("/)")
            while "clouds.yaml entries" not in line:  # ...and then that clouds.yaml is written
                line = cloud.stdout.readline()
            name = next(iter(yaml.safe_load(config.read_text())["clouds"]))
            import httpx

            httpx.put(f"http://{url}/_sim/faults", json={"default": {"latency_ms": args.latency_ms}})

            def monitor(iterations: int) -> tuple[subprocess.CompletedProcess[str], float, float]:
                """One `scs health run` of `iterations`: its output, wall seconds and CPU seconds."""
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(
                    [scs, "health", "run", "-c", name, "-n", str(iterations), "--interval", "0",
                     "--vms", str(args.vms), "--db", f"sqlite:///{directory}/h.db", "--format", "jsonl"],
                    env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                return done, wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

            _, single_wall, single_cpu = monitor(1)  # start-up + one iteration
            done, wall, cpu = monitor(args.iterations)
        finally:
            cloud.terminate()
            cloud.wait()
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not summaries:
        raise SystemExit(f"no iterations ran: {done.stderr[-500:]}")
    calls = sum(s["api_calls"] for s in summaries) / len(summaries)
    print(f"latency {args.latency_ms:.0f} ms per API request, {args.vms} servers + jump host per iteration")
    print(f"iterations:            {len(summaries)} ({sum(1 for s in summaries if s['ok'])} ok)")
    print(f"iterations per minute: {len(summaries) / wall * 60:6.1f}")
    print(f"API calls/iteration:   {calls:6.1f}")
    print(f"monitor CPU:           {cpu:6.2f} s for {wall:.1f} s wall ({cpu / wall * 100:.0f} % of one core)")
    if len(summaries) > 1:  # the difference of two runs separates start-up from the iterations
        per_iteration = max((cpu - single_cpu) / (len(summaries) - 1), 1e-6)
        iteration_wall = max((wall - single_wall) / (len(summaries) - 1), 1e-6)
        print(f"CPU per iteration:     {per_iteration:6.2f} s (start-up: {max(single_cpu - per_iteration, 0):.2f} s)")
        print(
            f"clouds per core:       {iteration_wall / per_iteration:6.1f} "
            f"(each iterating back to back, {iteration_wall:.1f} s per iteration)"
        )


if __name__ == "__main__":
    main()
