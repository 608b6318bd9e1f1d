"""Listening sockets for the cloud's HTTP API and the guests' SSH servers."""

from __future__ import annotations

import socket


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A bound, listening, non-blocking socket: clients may connect as soon as this returns.

    Created with proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets
    whose proto says TCP, and without it every keep-alive request waits ~40 ms (Nagle + delayed ACK).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.setblocking(False)
    return sock
