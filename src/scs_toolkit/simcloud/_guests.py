"""Simulated guests: a real SSH server on each floating IP of an ACTIVE server.

Checks and the health monitor log into servers; here each floating IP (a loopback address such as
127.100.0.7) gets an SSH listener on port 22 (or, where 22 cannot be bound, a free port reported
in the server's metadata as `sim:ssh_port`). It accepts only the keypair injected at boot and
runs command lines in the guest's shell (`_shell`, on the guest of `_guest_os`), with values the
profile decides.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from typing import TYPE_CHECKING, Any

import asyncssh

from .._serving import listening_socket
from ._cloudinit import guest_os
from ._shell import BASH, Output, Shell

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
        if command is None:  # an interactive session: a prompt, one line at a time
            process.stdout.write("$ ")
            async for line in process.stdin:
                line = line.strip()
                if line in ("exit", "logout"):
                    break
                output = guest_command(self.cloud, server_id, line)
                process.stdout.write(output.stdout)
                process.stderr.write(output.stderr)
                process.stdout.write("$ ")
            process.exit(0)
            return
        output = guest_command(self.cloud, server_id, command)
        process.stdout.write(output.stdout)
        process.stderr.write(output.stderr)
        process.exit(output.status)


def guest_command(cloud: Cloud, server_id: str, command: str) -> Output:
    """What a command line prints (stdout, stderr) and its exit status, run by bash on the guest."""
    server = cloud.store.find("server", id=server_id)
    if server is None:
        return Output(status=255).err("Connection closed by remote host\n")
    return Shell(guest_os(cloud, server), BASH).run(command)
