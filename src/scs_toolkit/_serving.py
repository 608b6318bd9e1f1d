"""Serve an ASGI app with uvicorn in a background thread on a pre-bound loopback socket.

The socket listens before `start()` returns, so clients never race the server's start-up. Used by
the simulated cloud, the monitor and tests alike. Also the browser-facing security headers
(SecurityHeaders) that the monitor and the health dashboard send with every response.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import FrameType, TracebackType
from typing import Any

import uvicorn


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


EXIT_INTERRUPTED = 130


def freeze_startup_heap() -> None:
    """For a long-running server, once its app is built: what is alive now (modules, the app, compiled
    templates: ~150,000 objects in the monitor) is never garbage, so the cyclic collector stops
    visiting it. Each full collection otherwise walks it all, ~50-80 ms in which no thread runs: the
    tail latency of every request that waits behind one. Reference counting still frees everything."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """While in the block, SIGINT and SIGTERM set `stop` (so work can clean up) instead of raising."""
    with interruptible(stop.set):
        yield stop


@contextlib.contextmanager
def interruptible(on_first: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C for long work: the first SIGINT/SIGTERM calls `on_first`, a second one quits at once (130).

    A KeyboardInterrupt raised wherever the main thread happens to be would skip clean-up or print a
    traceback; instead `on_first` sets the work's stop flags and the command finishes what it must
    (removing what it created, a partial summary) and exits 130. The second signal is for when that
    clean-up itself hangs. Outside the main thread (signals reach only it) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    count = 0

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        if count == 1:
            on_first()
            return
        sys.stderr.write("interrupted again: quitting without clean-up\n")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)  # threads may be blocked in I/O: do not wait for them

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class BackgroundServer:
    """uvicorn on its own event loop in a daemon thread.

    `on_loop` runs in that thread once the loop exists (e.g. to hand it to other servers sharing
    it); `on_close` is awaited on the loop after uvicorn stopped. With `tls` (certificate file,
    key file) it serves HTTPS.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        on_loop: Callable[[asyncio.AbstractEventLoop], None] | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self._socket = listening_socket(host, port)
        self.port = int(self._socket.getsockname()[1])
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{self.port}"
        certfile, keyfile = tls or (None, None)
        self._tls = tls is not None
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"server-{self.port}", daemon=True)
        self._on_loop, self._on_close = on_loop, on_close
        self._loop_ready = threading.Event()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        if self._on_loop is not None:
            self._on_loop(loop)
        self._loop_ready.set()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        finally:
            if self._on_close is not None:
                loop.run_until_complete(self._on_close())
            loop.close()

    def start(self) -> BackgroundServer:
        self._thread.start()
        self._loop_ready.wait(10)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(1 if self._tls else 15)
        if self._thread.is_alive():
            # TLS: clients holding idle keep-alive connections never answer the TLS close, and uvicorn
            # would wait for them; stop waiting (their sockets are closed with the loop)
            self._server.force_exit = True
            self._thread.join(15)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


#: Sent with every response of the apps that use SecurityHeaders (pages, JSON and badges alike).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: For responses other than HTML pages (JSON, SVG badges): nothing may load, nothing may frame them.
LOCKED_DOWN_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def style_hashes(html: str) -> str:
    """CSP source expressions ('sha256-...') for every inline <style> element of a page or template,
    so pages keep their inline CSS without allowing any other inline style."""
    blocks = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)


class SecurityHeaders:
    """ASGI middleware for the web apps people open in a browser (the monitor, the health dashboard).

    SECURITY_HEADERS go on every response; `page_policy` is the Content-Security-Policy of HTML
    responses (or the policy of the first path prefix in `policies_by_path` that matches), and
    LOCKED_DOWN_POLICY that of everything else. Headers the app set itself are kept.
    """

    def __init__(self, app: Any, page_policy: str, policies_by_path: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.page_policy = page_policy
        self.policies_by_path = dict(policies_by_path or {})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        special = next((p for prefix, p in self.policies_by_path.items() if path.startswith(prefix)), None)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                html = content_type.startswith(b"text/html")
                policy = special or (self.page_policy if html else LOCKED_DOWN_POLICY)
                for name, value in {**SECURITY_HEADERS, "Content-Security-Policy": policy}.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
