"""Print the simulated Kubernetes API server's throughput and how long a PVC takes to bind.

Run: .venv/bin/python benchmarks/simk8s.py [--clients 4] [--seconds 3]
The cluster runs as `scs simk8s serve` in its own process; the load comes from an async httpx
client in this one, over real loopback HTTPS (both share the machine's 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import yaml


async def drive(clients: int, seconds: float, make: Callable[[], Awaitable[int]]) -> tuple[int, float]:
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            result = await make()
            done += result

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done, time.monotonic() - started


async def measure(args: argparse.Namespace, kubeconfig: Path) -> None:
    document = yaml.safe_load(kubeconfig.read_text())
    cluster = document["clusters"][0]["cluster"]
    token = next(u["user"]["token"] for u in document["users"] if u["name"].endswith("-admin"))
    context = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=min(args.clients, 20))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=cluster["server"], verify=context, headers=headers, limits=limits, timeout=60
    ) as http:

        async def list_nodes() -> int:
            return 1 if (await http.get("/api/v1/nodes")).status_code == 200 else 0

        async def configmap_cycle() -> int:
            name = f"bench-{os.urandom(4).hex()}"
            made = await http.post(
                "/api/v1/namespaces/default/configmaps", json={"metadata": {"name": name}, "data": {"a": "b"}}
            )
            if made.status_code != 201:
                return 0
            gone = await http.delete(f"/api/v1/namespaces/default/configmaps/{name}")
            return 2 if gone.status_code == 200 else 1

        count, elapsed = await drive(args.clients, args.seconds, list_nodes)
        print(f"list nodes (6 nodes):          {count / elapsed:8.0f} requests/s  ({args.clients} clients)")
        count, elapsed = await drive(args.clients, args.seconds, configmap_cycle)
        print(f"configmap create+delete:       {count / elapsed:8.0f} requests/s  ({count // 2} configmaps)")
        claim = {
            "metadata": {"name": "bench-claim"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
        started = time.monotonic()
        made = (await http.post("/api/v1/namespaces/default/persistentvolumeclaims", json=claim)).json()
        params = {
            "watch": "true",
            "resourceVersion": made["metadata"]["resourceVersion"],
            "fieldSelector": "metadata.name=bench-claim",
            "timeoutSeconds": "30",
        }
        async with http.stream("GET", "/api/v1/namespaces/default/persistentvolumeclaims", params=params) as events:
            async for line in events.aiter_lines():
                if json.loads(line)["object"]["status"].get("phase") == "Bound":
                    break
        print(f"PVC create -> Bound (watch):   {time.monotonic() - started:8.2f} s (profile bind_delay_s 0.3)")


async def main_async(args: argparse.Namespace) -> None:
    scs = Path(sys.executable).parent / "scs"
    with tempfile.TemporaryDirectory() as home:
        kubeconfig = Path(home) / "kubeconfig"
        server = subprocess.Popen(
            [str(scs), "simk8s", "serve", "--seed", "1", "--kubeconfig", str(kubeconfig)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "XDG_STATE_HOME": home, "HOME": home},
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()  # printed once it listens (the kubeconfig is written before)
            await measure(args, kubeconfig)
        finally:
            server.terminate()
            server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # more concurrent TLS clients measure httpx's async pool more than the server (seen here above ~4)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per figure")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
