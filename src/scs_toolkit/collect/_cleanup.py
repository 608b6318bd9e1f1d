"""Delete what a probe created, for every prober (the scs-0101 VM probe, the health monitor).

Resources are recorded as (kind, resource) in creation order and deleted in reverse, so that
dependants go before what they depend on (servers before networks, interfaces before routers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._retry import DELAYS, with_retries


def describe(error: BaseException) -> str:
    """`Type: first line of the message`, short enough for a report or a log line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300]


def delete_created(
    conn: Any,
    created: list[tuple[str, Any]],
    timeout_s: float,
    poll_s: float = 0.5,
    delays: tuple[float, ...] = DELAYS,
) -> list[str]:
    """Delete in reverse order, retrying transient errors; keep going and return what could not be deleted."""
    compute, net = conn.compute, conn.network
    steps: dict[str, Callable[[Any], Any]] = {
        "load_balancer": lambda r: (
            conn.load_balancer.delete_load_balancer(r, ignore_missing=True, cascade=True),
            conn.load_balancer.wait_for_delete(r, interval=poll_s, wait=timeout_s),
        ),
        "volume": lambda r: (
            conn.block_storage.delete_volume(r, ignore_missing=True),
            conn.block_storage.wait_for_delete(r, interval=poll_s, wait=timeout_s),
        ),
        "server": lambda r: (
            compute.delete_server(r, ignore_missing=True),
            compute.wait_for_delete(r, interval=poll_s, wait=timeout_s),
        ),
        "floating_ip": lambda r: net.delete_ip(r, ignore_missing=True),
        "interface": lambda r: net.remove_interface_from_router(r[0], r[1]),
        "router": lambda r: net.delete_router(r, ignore_missing=True),
        "network": lambda r: net.delete_network(r, ignore_missing=True),
        "security_group": lambda r: net.delete_security_group(r, ignore_missing=True),
        "keypair": lambda r: compute.delete_keypair(r, ignore_missing=True),
    }
    problems = []
    for kind, resource in reversed(created):
        try:
            with_retries(functools.partial(steps[kind], resource), delays=delays)
        except Exception as error:
            problems.append(f"{kind}: {describe(error)}")
    return problems
