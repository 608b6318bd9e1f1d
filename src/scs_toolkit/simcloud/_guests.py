"""Simulated guests: a real SSH server on each floating IP of an ACTIVE server.

Checks and the health monitor log into servers; here each floating IP (a loopback address such as
127.100.0.7) gets an SSH listener on port 22 (or, where 22 cannot be bound, a free port reported
in the server's metadata as `sim:ssh_port`). It accepts only the keypair injected at boot and
answers the guest commands documented in profiles/README.md, with values the profile decides.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import ipaddress
import shlex
import socket
from typing import TYPE_CHECKING, Any

import asyncssh
import yaml

from .._serving import listening_socket

if TYPE_CHECKING:
    from ._cloud import Cloud
    from ._store import Record

SSH_PORT = 22


class Guests:
    """Starts and stops SSH listeners as floating IPs and servers come and go."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.loop: asyncio.AbstractEventLoop | None = None
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.listeners: dict[str, tuple[socket.socket, asyncio.Task[Any]]] = {}
        self.ports: dict[str, int] = {}
        #: floating IP address -> id of the server it belongs to
        self.owners: dict[str, str] = {}

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    # -- hooks called by the services (always on the cloud's event loop) ---------------------------

    def server_active(self, server: Record) -> None:
        for address in self._floating_ips(server["id"]):
            self._open(address, server)

    def floating_ip_associated(self, server: Record, address: str) -> None:
        if server["status"] == "ACTIVE":
            self._open(address, server)

    def floating_ip_released(self, address: str) -> None:
        self._close(address)

    def server_deleted(self, server: Record) -> None:
        for address in [a for a, owner in self.owners.items() if owner == server["id"]]:
            self._close(address)

    # -- listeners ---------------------------------------------------------------------------------

    def _floating_ips(self, server_id: str) -> list[str]:
        ports = {p["id"] for p in self.cloud.store.select("port", device_id=server_id)}
        return [f["floating_ip_address"] for f in self.cloud.store.all("floating_ip") if f.get("port_id") in ports]

    def _open(self, address: str, server: Record) -> None:
        if address in self.listeners or self.loop is None:
            return
        if not ipaddress.ip_address(address).is_loopback:
            return  # only ever listen on loopback addresses
        try:
            sock = listening_socket(address, SSH_PORT, backlog=64)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EADDRINUSE, errno.EPERM):
                raise
            sock = listening_socket(address, 0, backlog=64)
        port = int(sock.getsockname()[1])
        self.ports[address] = port
        self.owners[address] = server["id"]
        server["metadata"]["sim:ssh_port"] = str(port)
        task = self.loop.create_task(self._serve(sock, server["id"]))
        self.listeners[address] = (sock, task)

    async def _serve(self, sock: socket.socket, server_id: str) -> None:
        guests = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return guests._key_allowed(server_id, key)

            def password_auth_supported(self) -> bool:
                return False

        acceptor = None
        try:
            acceptor = await asyncssh.listen(
                sock=sock,
                server_factory=Server,
                server_host_keys=[self.host_key],
                process_factory=lambda process: self._handle(process, server_id),
                encoding="utf-8",
            )
            await acceptor.wait_closed()
        except asyncio.CancelledError:
            pass
        finally:
            if acceptor is not None:
                acceptor.close()  # closes the listening socket too
            else:
                sock.close()

    def _key_allowed(self, server_id: str, key: asyncssh.SSHKey) -> bool:
        server = self.cloud.store.find("server", id=server_id)
        if server is None or not server.get("key_name"):
            return False
        keypair = self.cloud.store.find("keypair", user_id=server["user_id"], name=server["key_name"])
        if keypair is None:
            return False
        allowed = asyncssh.import_public_key(keypair["public_key"])
        return bool(allowed.public_data == key.public_data)  # compare key material, not comments

    def _close(self, address: str) -> None:
        entry = self.listeners.pop(address, None)
        self.ports.pop(address, None)
        self.owners.pop(address, None)
        if entry is not None:
            entry[1].cancel()  # the task closes its listener and socket

    async def close(self) -> None:
        for address in list(self.listeners):
            self._close(address)

    # -- the guest's answers ---------------------------------------------------------------------------

    async def _handle(self, process: asyncssh.SSHServerProcess[str], server_id: str) -> None:
        command = process.command
        if command is None:
            process.stdout.write("$ ")
            async for line in process.stdin:
                line = line.strip()
                if line in ("exit", "logout"):
                    break
                output, _ = guest_command(self.cloud, server_id, line)
                process.stdout.write(output + "$ ")
            process.exit(0)
            return
        output, status = guest_command(self.cloud, server_id, command)
        if status == 0:
            process.stdout.write(output)
        else:
            process.stderr.write(output)
        process.exit(status)


def guest_command(cloud: Cloud, server_id: str, command: str) -> tuple[str, int]:
    """Output and exit status of a shell command on a guest; `a; b` runs both, `sudo` is ignored."""
    outputs, status = [], 0
    for part in command.split(";"):
        output, status = _single_command(cloud, server_id, part.strip())
        outputs.append(output)
    return "".join(outputs), status


def _single_command(cloud: Cloud, server_id: str, command: str) -> tuple[str, int]:
    guest = cloud.profile.get("guest", {})
    server = cloud.store.find("server", id=server_id)
    try:
        words = shlex.split(command)
    except ValueError:
        return "bash: syntax error\n", 2
    while words and words[0] == "sudo":
        words = words[1:]
    if not words:
        return "", 0
    text = " ".join(words)
    if "entropy_avail" in text:
        return f"{guest.get('entropy_avail', 256)}\n", 0
    if "rngtest" in text:
        failures = int(guest.get("fips_failures", 0))
        return (
            "rngtest 5\nrngtest: starting FIPS tests...\nrngtest: bits received from input: 20000032\n"
            f"rngtest: FIPS 140-2 successes: {1000 - failures}\nrngtest: FIPS 140-2 failures: {failures}\n"
        ), 0
    if words[0] == "systemctl" and "rngd" in text:
        if guest.get("rngd", True):
            return "● rngd.service - Hardware RNG Entropy Gatherer Daemon\n     Active: active (running)\n", 0
        return "Unit rngd.service could not be found.\n", 4
    if "/dev/hwrng" in text:
        return ("  41234\n", 0) if guest.get("virtio_rng", True) else ("od: /dev/hwrng: No such device\n", 1)
    if words[0] == "cat" and words[-1] == "/sys/devices/virtual/misc/hw_random/rng_available":
        return ("virtio_rng.0\n" if guest.get("virtio_rng", True) else "\n"), 0
    if words[0] == "ping":
        target = words[-1]
        if target in _addresses_reachable(cloud, server_id):
            return (
                f"PING {target}: 56 data bytes\n64 bytes from {target}: icmp_seq=1 ttl=64 time=0.1 ms\n\n"
                "1 packets transmitted, 1 received, 0% packet loss\n"
            ), 0
        return f"PING {target}: 56 data bytes\n\n1 packets transmitted, 0 received, 100% packet loss\n", 1
    if words[0] == "hostname":
        return f"{server['name'] if server else 'guest'}\n", 0
    if words[0] == "uname":
        return (f"{guest.get('kernel', '6.8.0-45-generic')}\n" if "-r" in words else "Linux\n"), 0
    if words[0] == "cat" and words[-1] == "/etc/os-release":
        return f'PRETTY_NAME="{guest.get("os", "Ubuntu 24.04 LTS")}"\n', 0
    if words[0] == "echo":
        return " ".join(words[1:]) + "\n", 0
    if words[0] in ("true", ":"):
        return "", 0
    if words[0] == "false":
        return "", 1
    return f"bash: {words[0]}: command not found\n", 127


def console_output(cloud: Cloud, server: Record) -> str:
    """What the serial console shows: boot lines, then cloud-init running the user data's `runcmd`."""
    lines = [
        f"[    0.000000] Linux version {cloud.profile.get('guest', {}).get('kernel', '6.8.0-45-generic')}",
        f"{server['name']} login: ",
    ]
    if server["status"] != "ACTIVE" or not server.get("_user_data"):
        return "\n".join(lines) + "\n"
    raw = str(server["_user_data"])
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except ValueError:  # Nova wants base64; be lenient with clients that send plain text
        text = raw
    try:
        config = yaml.safe_load(text) if text.lstrip().startswith("#cloud-config") else None
    except yaml.YAMLError:
        config = None
    if isinstance(config, dict):
        for entry in config.get("runcmd") or []:
            command = " ".join(shlex.quote(str(w)) for w in entry) if isinstance(entry, list) else str(entry)
            output, _ = guest_command(cloud, server["id"], command)
            lines.extend(output.rstrip("\n").split("\n") if output else [])
        if config.get("final_message"):
            lines.append(str(config["final_message"]))
    lines.append("Cloud-init finished")
    return "\n".join(lines) + "\n"


def _addresses_reachable(cloud: Cloud, server_id: str) -> set[str]:
    """Addresses of servers sharing a network with this one, plus all floating IPs."""
    networks = {p["network_id"] for p in cloud.store.select("port", device_id=server_id)}
    reachable = {f["floating_ip_address"] for f in cloud.store.all("floating_ip") if f.get("port_id")}
    for port in cloud.store.all("port"):
        if port["network_id"] in networks and port["device_owner"].startswith(("compute:", "network:router")):
            reachable |= {ip["ip_address"] for ip in port["fixed_ips"]}
    return reachable
