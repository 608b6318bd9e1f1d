"""Delete what a probe created, for every prober (the scs-0101 VM probe, the health monitor).

Resources are recorded as (kind, resource) in creation order and deleted in reverse, so that
dependants go before what they depend on (servers before networks, interfaces before routers).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from ._retry import DELAYS, transient, wait_for_gone, wait_for_status, with_retries


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
    if not created:
        return []  # nothing to do, and no proxy to build (building one logs in)
    steps: dict[str, Callable[[Any], Any]] = {
        "load_balancer": lambda r: (
            conn.load_balancer.delete_load_balancer(r, ignore_missing=True, cascade=True),
            conn.load_balancer.wait_for_delete(r, interval=poll_s, wait=timeout_s),
        ),
        "volume": lambda r: _confirmed(
            delete_confirmed(r, conn.block_storage.get_volume, conn.block_storage.delete_volume, "volume", timeout_s)
        ),
        "server": lambda r: (
            conn.compute.delete_server(r, ignore_missing=True),
            conn.compute.wait_for_delete(r, interval=poll_s, wait=timeout_s),
        ),
        "floating_ip": lambda r: conn.network.delete_ip(r, ignore_missing=True),
        "interface": lambda r: conn.network.remove_interface_from_router(r[0], r[1]),
        "router": lambda r: conn.network.delete_router(r, ignore_missing=True),
        "network": lambda r: conn.network.delete_network(r, ignore_missing=True),
        "security_group": lambda r: conn.network.delete_security_group(r, ignore_missing=True),
        "keypair": lambda r: conn.compute.delete_keypair(r, ignore_missing=True),
        "backup": lambda r: _confirmed(
            delete_confirmed(r, conn.block_storage.get_backup, conn.block_storage.delete_backup, "backup", timeout_s)
        ),
        "secret": lambda r: conn.key_manager.delete_secret(_resource_id("secret", r), ignore_missing=True),
    }
    problems = []
    for kind, resource in reversed(created):
        try:
            with_retries(functools.partial(steps[kind], resource), delays=delays)
        except RuntimeError as error:  # ours: the message says it all
            problems.append(f"{kind}: {error}")
        except Exception as error:
            problems.append(f"{kind}: {describe(error)}")
    return problems


def _confirmed(problem: str | None) -> None:
    if problem is not None:
        raise RuntimeError(problem)


def _current(get: Callable[[str], Any], resource_id: str) -> Any | None:
    try:
        return with_retries(lambda: get(resource_id))
    except sdk_exceptions.NotFoundException:
        return None


def delete_confirmed(
    resource: Any, get: Callable[[str], Any], delete: Callable[..., Any], what: str, timeout_s: float = 300.0
) -> str | None:
    """Delete a volume or backup and confirm it is gone; None, or why it stays.

    "Not found" on delete is not taken for "gone": real Cinder without a backup service answers a backup
    DELETE with 404 "Service cinder-backup could not be found" while the backup stays. Transitional states
    are waited out first (clean-up always finishes: not cancellable); error states can be deleted.
    """
    label = f"{what} {resource.name} ({resource.id})"
    current = _current(get, resource.id)
    if current is None:
        return None
    if current.status not in ("available", "error"):
        with contextlib.suppress(RuntimeError, TimeoutError):
            wait_for_status(lambda: get(resource.id), "available", what, timeout_s, cancellable=False)
    try:
        with_retries(lambda: delete(resource.id, ignore_missing=False))
    except sdk_exceptions.NotFoundException as error:
        still = _current(get, resource.id)
        if still is not None:  # "not found" was about something else (e.g. the backup service)
            return f"{label}, status {still.status}: cannot delete: {error.details or describe(error)}"
        return None
    except sdk_exceptions.HttpException as error:
        return f"{label}: cannot delete: HTTP {error.status_code}: {error.details or describe(error)}"
    try:
        wait_for_gone(lambda: get(resource.id), what, timeout_s)
    except (RuntimeError, TimeoutError) as error:
        return f"{label}: {error}"
    return None


@dataclass(frozen=True)
class Leftover:
    """A resource found by its prefix; `problem` says why it could not be listed or removed (None: fine)."""

    kind: str
    name: str
    id: str = ""
    problem: str | None = None


#: kind, how to list it, which attribute carries the prefix, the service it needs (None: always there).
_LISTINGS: tuple[tuple[str, str, str, str | None], ...] = (
    ("server", "compute.servers", "name", None),
    ("keypair", "compute.keypairs", "name", None),
    ("floating_ip", "network.ips", "description", None),
    ("router", "network.routers", "name", None),
    ("network", "network.networks", "name", None),
    ("security_group", "network.security_groups", "name", None),
    ("volume", "block_storage.volumes", "name", "block-storage"),
    ("backup", "block_storage.backups", "name", "block-storage"),
    ("load_balancer", "load_balancer.load_balancers", "name", "load-balancer"),
    ("secret", "key_manager.secrets", "name", "key-manager"),
)
#: The order to create them in (delete_created deletes in reverse).
_CREATION_ORDER = (
    "secret",
    "keypair",
    "security_group",
    "network",
    "router",
    "floating_ip",
    "volume",
    "backup",
    "server",
    "load_balancer",
)


def _has(conn: Any, service_type: str | None) -> bool:
    if service_type is None:
        return True
    with contextlib.suppress(Exception):
        return bool(conn.session.get_endpoint(service_type=service_type, interface="public"))
    return False


def _list_patiently(listing: Callable[[], Any], delays: tuple[float, ...]) -> list[Any]:
    """Retry errors and rate limits, but not timeouts: a hanging API would make every retry a long wait."""
    for delay in delays:
        try:
            return list(listing())
        except (ksa_exceptions.ConnectTimeout, requests.exceptions.Timeout):
            raise
        except Exception as error:
            if not transient(error):
                raise
            time.sleep(delay)
    return list(listing())


def _resource_id(kind: str, resource: Any) -> str:
    if kind == "secret":
        return str(resource.secret_ref or "").rstrip("/").rsplit("/", 1)[-1]
    return str(getattr(resource, "id", "") or getattr(resource, "name", ""))


def owned_by_prefix(
    conn: Any, prefix: str, delays: tuple[float, ...] = (0.5, 1.0, 2.0)
) -> tuple[dict[str, list[Any]], list[Leftover]]:
    """Resources carrying `prefix` by kind (name; floating IPs: description), and kinds that could not be listed.

    A kind that cannot be listed is reported, never taken for "nothing left".
    """
    owned: dict[str, list[Any]] = {}
    failed: list[Leftover] = []
    for kind, path, attribute, service in _LISTINGS:
        if not _has(conn, service):
            continue
        proxy_name, method = path.split(".")
        try:
            resources = _list_patiently(getattr(getattr(conn, proxy_name), method), delays)
        except Exception as error:
            failed.append(Leftover(kind, "?", problem=f"could not list: {describe(error)}"))
            continue
        owned[kind] = [r for r in resources if str(getattr(r, attribute, "") or "").startswith(prefix)]
    return owned, failed


def _ports_of(conn: Any, device_id: str) -> list[Any]:
    return list(conn.network.ports(device_id=device_id))


def label(kind: str, resource: Any) -> str:
    return str(resource.description if kind == "floating_ip" else resource.name)


def remove_by_prefix(
    conn: Any, prefix: str, dry_run: bool = False, delays: tuple[float, ...] = DELAYS, timeout_s: float = 300
) -> list[Leftover]:
    """Find (and unless `dry_run`, delete) every resource whose name starts with `prefix`.

    Routers lose their interfaces first; what cannot be deleted comes back with its problem, and so
    does every kind that could not be listed. The caller guards the prefix (only our own resources).
    """
    owned, failed = owned_by_prefix(conn, prefix)
    found = [Leftover(kind, label(kind, r), _resource_id(kind, r)) for kind, items in owned.items() for r in items]
    if dry_run:
        return found + failed
    created: list[tuple[str, Any]] = []  # in creation order: delete_created deletes in reverse
    for kind in _CREATION_ORDER:
        for resource in owned.get(kind, []):
            created.append((kind, resource))
            if kind == "router":
                ports = with_retries(functools.partial(_ports_of, conn, resource.id))
                for port in ports:
                    if str(port.device_owner).startswith("network:router_interface"):
                        created.extend(("interface", (resource, f["subnet_id"])) for f in port.fixed_ips or [])
    problems = delete_created(conn, created, timeout_s=timeout_s, delays=delays)
    remaining, still_failed = owned_by_prefix(conn, prefix)
    result = [
        Leftover(
            kind,
            label(kind, r),
            _resource_id(kind, r),
            next((p for p in problems if p.startswith(f"{kind}:")), "still there after deletion"),
        )
        for kind, items in remaining.items()
        for r in items
    ]
    gone = {(item.kind, item.id) for item in result}
    return [item for item in found if (item.kind, item.id) not in gone] + result + still_failed
