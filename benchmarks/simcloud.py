"""Print the simulated cloud's throughput: flavor list and server create+delete requests per second.

Run: .venv/bin/python benchmarks/simcloud.py [--clients 50] [--seconds 3]
The cloud runs as `scs simcloud serve` in its own process; the load comes from an async httpx
client in this one, over real loopback HTTP (both share the machine's 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from scs_toolkit.simcloud import load_profile, login, profile_credentials


async def flavor_list(client: httpx.AsyncClient, url: str) -> int:
    reply = await client.get(f"{url}/compute/v2.1/flavors/detail")
    return 1 if reply.status_code == 200 else 0


async def server_cycle(client: httpx.AsyncClient, url: str, image: str, flavor: str, network: str) -> int:
    body = {"server": {"name": "bench", "imageRef": image, "flavorRef": flavor, "networks": [{"uuid": network}]}}
    created = await client.post(f"{url}/compute/v2.1/servers", json=body)
    if created.status_code != 202:
        return 0
    deleted = await client.delete(f"{url}/compute/v2.1/servers/{created.json()['server']['id']}")
    return 2 if deleted.status_code == 204 else 1


async def drive(clients: int, seconds: float, make: object) -> tuple[int, float]:
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            result = await make()  # type: ignore[operator]
            done += result  # not `done += await ...`: that reads `done` before awaiting and loses updates

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done, time.monotonic() - started


async def main_async(args: argparse.Namespace) -> None:
    scs = Path(sys.executable).parent / "scs"
    with tempfile.TemporaryDirectory() as home:
        server = subprocess.Popen(
            [str(scs), "simcloud", "serve", "--seed", "1"],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HOME": home, "XDG_STATE_HOME": home},  # never the user's own files
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split("listening on ")[1].strip()  # printed once it listens
            await measure(args, url)
        finally:
            server.terminate()
            server.wait(timeout=20)


async def measure(args: argparse.Namespace, url: str) -> None:
    token, _ = login(url, profile_credentials(load_profile("compliant"))["user"])
    headers = {"X-Auth-Token": token}
    # httpx's async pool slows down sharply with many keep-alive connections (seen here with 50),
    # which would measure the client, not the cloud: keep at most 20 alive.
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=min(args.clients, 20))
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:
        network = (await client.post(f"{url}/network/v2.0/networks", json={"network": {"name": "bench"}})).json()
        await client.post(
            f"{url}/network/v2.0/subnets",
            json={"subnet": {"network_id": network["network"]["id"], "cidr": "10.0.0.0/16", "ip_version": 4}},
        )
        images = (await client.get(f"{url}/image/v2/images?name=Debian 12")).json()["images"]
        flavors = (await client.get(f"{url}/compute/v2.1/flavors")).json()["flavors"]
        flavor = next(f["id"] for f in flavors if f["name"] == "SCS-2V-4-20s")
        count, elapsed = await drive(args.clients, args.seconds, lambda: flavor_list(client, url))
        print(f"flavor list (31 flavors, detail): {count / elapsed:8.0f} requests/s  ({args.clients} clients)")
        count, elapsed = await drive(
            args.clients,
            args.seconds,
            lambda: server_cycle(client, url, images[0]["id"], flavor, network["network"]["id"]),
        )
        print(f"server create+delete:             {count / elapsed:8.0f} requests/s  ({count // 2} servers)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per figure")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
