"""One health iteration: build a small environment, check that it works, tear it down.

Every resource is named with the iteration's prefix (floating IPs carry it in their description),
so that `cleanup` finds leftovers of crashed runs and never touches anything else. A failing step
skips the steps that need it; tear-down always runs, also after Ctrl-C (the `stop` event).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncssh

from ..checks.iaas.scs_0101 import canonical_image, smallest_flavor
from ..collect import CloudError, authenticate, collect_iaas
from ..collect._cleanup import Leftover, delete_created, describe, label, owned_by_prefix, remove_by_prefix
from ._calls import CallRecorder
from ._model import ApiCall, IterationResult, ScenarioOptions, StepResult

PREFIX = "scs-health-"
TEARDOWN_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)


class Interrupted(Exception):
    """The stop event was set: go straight to tear-down."""


@dataclass
class _Environment:
    """What one iteration created (in creation order) and what later steps need."""

    prefix: str
    created: list[tuple[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    ready: dict[str, list[float]] = field(default_factory=dict)
    ssh_s: float | None = None


class Scenario:
    """Iterations against one cloud through one openstacksdk connection."""

    def __init__(
        self,
        conn: Any,
        cloud: str,
        options: ScenarioOptions,
        stop: threading.Event | None = None,
        on_call: Callable[[ApiCall], None] | None = None,
        on_step: Callable[[int, str], None] | None = None,
    ) -> None:
        self.conn, self.cloud, self.options = conn, cloud, options
        self.on_step = on_step or (lambda iteration, step: None)
        self.stop = stop or threading.Event()
        self.recorder = CallRecorder(conn, on_call)
        self.run_id = secrets.token_hex(3)

    def prefix(self, iteration: int) -> str:
        return f"{PREFIX}{self.run_id}-{iteration}-"

    def run(self, iteration: int) -> IterationResult:
        started_at, started = dt.datetime.now(dt.UTC), time.monotonic()
        env = _Environment(self.prefix(iteration))
        plan: list[tuple[str, Callable[[_Environment], None]]] = [
            ("login", self._login),
            ("image-and-flavor", self._image_and_flavor),
            ("network", self._network),
            ("security-group", self._security_group),
            ("keypair", self._keypair),
            ("jump-host", self._jump_host),
            ("servers", self._servers),
        ]
        if self.options.with_volumes:
            plan.append(("volumes", self._volumes))
        if self.options.with_lb:
            plan.append(("load-balancer", self._load_balancer))
        plan.append(("ssh", self._ssh))
        steps: list[StepResult] = []
        failed: str | None = None
        for name, action in plan:
            if failed is not None or self.stop.is_set():
                reason = "interrupted" if self.stop.is_set() else f"needs {failed}"
                steps.append(StepResult(name, False, 0.0, f"skipped: {reason}", skipped=True))
                continue
            begun = time.monotonic()
            self.on_step(iteration, name)
            try:
                action(env)
            except Exception as error:
                failed = name
                reason = str(error) if type(error) is RuntimeError else describe(error)  # ours say it all
                steps.append(StepResult(name, False, time.monotonic() - begun, reason))
            else:
                steps.append(StepResult(name, True, time.monotonic() - begun))
        begun = time.monotonic()
        self.on_step(iteration, "teardown")
        problems = delete_created(self.conn, env.created, self.options.ready_timeout_s, delays=TEARDOWN_DELAYS)
        steps.append(StepResult("teardown", not problems, time.monotonic() - begun, "; ".join(problems) or None))
        # without a log-in nothing was created, and every listing would only fail the same way again
        logged_in = failed != "login"
        leftovers = tuple(f"{kind} {name}" for kind, name in find_resources(self.conn, env.prefix)) if logged_in else ()
        return IterationResult(
            cloud=self.cloud,
            iteration=iteration,
            started_at=started_at,
            duration_s=time.monotonic() - started,
            steps=tuple(steps),
            calls=self.recorder.take(),
            time_to_ready={kind: tuple(values) for kind, values in env.ready.items()},
            ssh_s=env.ssh_s,
            leftovers=leftovers,
            interrupted=self.stop.is_set(),
        )

    # --- steps -------------------------------------------------------------------------------

    def _login(self, env: _Environment) -> None:
        """A token (cached by the session, so later iterations log in again only when it expires)."""
        try:
            authenticate(self.conn, self.cloud)
        except CloudError as error:
            raise RuntimeError(error.message) from None

    def _image_and_flavor(self, env: _Environment) -> None:
        snapshot = collect_iaas(self.conn, {"images", "flavors"})
        for part in ("images", "flavors"):
            if part in snapshot.errors:  # the API failed: say so, never "no image" / "no flavor fits"
                raise RuntimeError(f"cannot list {part}: {snapshot.errors[part]}")
        image = canonical_image(snapshot.images or ())
        if image is None:
            raise RuntimeError("no public Debian or Ubuntu image")
        flavor = smallest_flavor(snapshot.flavors or (), image)
        if flavor is None:
            raise RuntimeError(f"no flavor with a root disk fits {image.name}")
        env.values.update(image=image, flavor=flavor)

    def _network(self, env: _Environment) -> None:
        net = self.conn.network
        external = next(iter(net.networks(is_router_external=True)), None)
        if external is None:
            raise RuntimeError("no external network for the jump host's floating IP")
        network = net.create_network(name=f"{env.prefix}net")
        env.created.append(("network", network))
        subnet = net.create_subnet(
            name=f"{env.prefix}subnet", network_id=network.id, ip_version=4, cidr="10.250.0.0/24"
        )
        router = net.create_router(name=f"{env.prefix}router", external_gateway_info={"network_id": external.id})
        env.created.append(("router", router))
        net.add_interface_to_router(router, subnet.id)  # positional: `subnet_id=` is renamed in SDK 4.x
        env.created.append(("interface", (router, subnet.id)))
        env.values.update(external=external, network=network, subnet=subnet)

    def _security_group(self, env: _Environment) -> None:
        net = self.conn.network
        group = net.create_security_group(name=f"{env.prefix}sg", description="scs health monitor")
        env.created.append(("security_group", group))
        for protocol, port in (("tcp", 22), ("icmp", None)):
            net.create_security_group_rule(
                security_group_id=group.id,
                direction="ingress",
                protocol=protocol,
                port_range_min=port,
                port_range_max=port,
                remote_ip_prefix="0.0.0.0/0",
            )
        env.values["security_group"] = group

    def _keypair(self, env: _Environment) -> None:
        key = asyncssh.generate_private_key("ssh-ed25519")
        keypair = self.conn.compute.create_keypair(name=f"{env.prefix}key", public_key=key.export_public_key().decode())
        env.created.append(("keypair", keypair))
        env.values["key"] = key

    def _create_server(self, env: _Environment, name: str) -> Any:
        server = self.conn.compute.create_server(
            name=f"{env.prefix}{name}",
            image_id=env.values["image"].id,
            flavor_id=env.values["flavor"].id,
            networks=[{"uuid": env.values["network"].id}],
            key_name=f"{env.prefix}key",
            security_groups=[{"name": env.values["security_group"].name}],
        )
        env.created.append(("server", server))
        return server

    def _jump_host(self, env: _Environment) -> None:
        begun = time.monotonic()
        server = self._create_server(env, "jump")
        server = self._wait(lambda: self.conn.compute.get_server(server.id), "ACTIVE", f"server {server.name}")
        env.ready.setdefault("server", []).append(time.monotonic() - begun)
        port = next(iter(self.conn.network.ports(device_id=server.id)))
        fip = self.conn.network.create_ip(
            floating_network_id=env.values["external"].id, port_id=port.id, description=f"{env.prefix}fip"
        )
        env.created.append(("floating_ip", fip))
        server = self.conn.compute.get_server(server.id)  # the simulated cloud names a non-default SSH port here
        env.values["jump"] = (fip.floating_ip_address, int((server.metadata or {}).get("sim:ssh_port", 22)))

    def _servers(self, env: _Environment) -> None:
        begun = time.monotonic()
        servers = [self._create_server(env, f"vm{n}") for n in range(self.options.vms)]
        addresses: list[tuple[str, str]] = []
        for server in servers:  # they build side by side; waiting in turn costs no extra time
            server = self._wait(
                functools.partial(self.conn.compute.get_server, server.id), "ACTIVE", f"server {server.name}"
            )
            env.ready.setdefault("server", []).append(time.monotonic() - begun)
            addresses.extend(
                (server.name, a["addr"]) for net in (server.addresses or {}).values() for a in net if a.get("addr")
            )
        env.values["addresses"] = addresses

    def _volumes(self, env: _Environment) -> None:
        begun = time.monotonic()
        volumes = []
        for n in range(self.options.vms):
            volume = self.conn.block_storage.create_volume(name=f"{env.prefix}vol{n}", size=1)
            env.created.append(("volume", volume))
            volumes.append(volume)
        for volume in volumes:
            self._wait(
                functools.partial(self.conn.block_storage.get_volume, volume.id), "available", f"volume {volume.name}"
            )
            env.ready.setdefault("volume", []).append(time.monotonic() - begun)

    def _load_balancer(self, env: _Environment) -> None:
        lb_api = self.conn.load_balancer
        begun = time.monotonic()
        lb = lb_api.create_load_balancer(name=f"{env.prefix}lb", vip_subnet_id=env.values["subnet"].id)
        env.created.append(("load_balancer", lb))

        def active() -> Any:
            return self._wait(lambda: lb_api.get_load_balancer(lb.id), "ACTIVE", "load balancer", "provisioning_status")

        active()
        env.ready.setdefault("loadbalancer", []).append(time.monotonic() - begun)
        listener = lb_api.create_listener(
            name=f"{env.prefix}listener", protocol="TCP", protocol_port=22, load_balancer_id=lb.id
        )
        active()
        pool = lb_api.create_pool(
            name=f"{env.prefix}pool", protocol="TCP", lb_algorithm="ROUND_ROBIN", listener_id=listener.id
        )
        active()
        members = []
        for _, address in env.values.get("addresses", []):
            members.append(
                lb_api.create_member(pool, address=address, protocol_port=22, subnet_id=env.values["subnet"].id)
            )
            active()
        for member in members:
            self._wait(functools.partial(lb_api.get_member, member, pool), "ONLINE", "pool member", "operating_status")

    def _ssh(self, env: _Environment) -> None:
        address, port = env.values["jump"]
        begun = time.monotonic()
        probe = self._ssh_and_ping(address, port, env.values["key"], env.values["addresses"])
        with ThreadPoolExecutor(1) as own_loop:  # callers may run an event loop in this thread already
            unreachable = own_loop.submit(asyncio.run, probe).result()
        env.ssh_s = time.monotonic() - begun
        if unreachable:
            raise RuntimeError(f"not reachable from the jump host: {', '.join(unreachable)}")

    async def _ssh_and_ping(
        self, address: str, port: int, key: asyncssh.SSHKey, targets: list[tuple[str, str]]
    ) -> list[str]:
        deadline = time.monotonic() + self.options.ssh_timeout_s
        delay = 0.2
        while True:
            for user in ("ubuntu", "debian"):
                try:
                    async with asyncssh.connect(
                        address, port=port, username=user, client_keys=[key], known_hosts=None, connect_timeout=10
                    ) as connection:
                        unreachable = []
                        for name, target in targets:
                            done = await connection.run(f"ping -c1 -W2 {target}", timeout=30)
                            if done.exit_status != 0:
                                unreachable.append(f"{name} ({target})")
                        return unreachable
                except asyncssh.PermissionDenied:
                    continue
                except (TimeoutError, OSError, asyncssh.Error):
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no SSH login to {address}:{port} within {self.options.ssh_timeout_s:.0f} s")
            if self.stop.is_set():
                raise Interrupted("interrupted while waiting for SSH")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5)

    def _wait(self, fetch: Callable[[], Any], wanted: str, what: str, attribute: str = "status") -> Any:
        """Poll until ready (the APIs offer nothing to wait on); the stop event cuts the pauses short."""
        deadline = time.monotonic() + self.options.ready_timeout_s
        delay = 0.1
        while True:
            resource = fetch()
            state = str(getattr(resource, attribute, "") or "")
            if state.upper() == wanted.upper():
                return resource
            if state.upper().startswith("ERROR"):
                raise RuntimeError(f"{what} went to {state}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} still {state} after {self.options.ready_timeout_s:.0f} s")
            if self.stop.wait(delay):
                raise Interrupted(f"interrupted while waiting for {what}")
            delay = min(delay * 1.5, 2.0)


def find_resources(conn: Any, prefix: str) -> list[tuple[str, str]]:
    """(kind, name) of every resource carrying `prefix`: what an iteration or a crashed run left.

    Timeouts are not retried: after an iteration against a hanging API the check must not take minutes.
    A kind that could not be listed comes back as (kind, "(could not list: ...)"), never as "nothing left".
    """
    owned, failed = owned_by_prefix(conn, prefix)
    found = [(kind, label(kind, r)) for kind, resources in owned.items() for r in resources]
    return found + [(item.kind, f"({item.problem})") for item in failed]


def cleanup(conn: Any, prefix: str = PREFIX, dry_run: bool = False) -> list[Leftover]:
    """Delete every resource whose name (floating IPs: description) starts with `prefix`.

    The prefix must start with the monitor's own, so that nothing it did not create can match.
    Returns what was found (and, unless `dry_run`, deleted); what stays or could not be listed says why.
    """
    if not prefix.startswith(PREFIX):
        raise ValueError(f"the prefix must start with {PREFIX!r} (only the monitor's own resources are removed)")
    return remove_by_prefix(conn, prefix, dry_run=dry_run, delays=TEARDOWN_DELAYS)
