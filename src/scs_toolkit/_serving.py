"""Serve an ASGI app with uvicorn in a background thread on a pre-bound loopback socket.

The socket listens before `start()` returns, so clients never race the server's start-up.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

import uvicorn

from .simcloud._net import listening_socket


class BackgroundServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = listening_socket(host, port)
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._run, name=f"server-{self.port}", daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        finally:
            loop.close()

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
