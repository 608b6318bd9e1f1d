"""Every API request of a connection, attributed to its service and operation.

The connection's HTTP session is wrapped at `send`, below keystoneauth, so each attempt counts:
answered ones with their status, unanswered ones (timeouts, resets) with status 0.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ._model import ApiCall

#: Catalog service type -> the name metrics use (OpenStack's own, with `volume` for block storage).
SERVICE_TYPES = {
    "compute": "compute",
    "network": "network",
    "image": "image",
    "block-storage": "volume",
    "load-balancer": "load-balancer",
    "identity": "identity",
    "key-manager": "key-manager",
    "object-store": "object-store",
}
_ID = re.compile(r"^([0-9a-f-]{16,}|\d+|[0-9a-f]{32})$", re.IGNORECASE)
_VERSION = re.compile(r"^v\d+(\.\d+)?$")
_OWN_NAMES = "scs-health-"  # keypairs are addressed by name: keep such labels bounded too


def operation(method: str, path: str) -> str:
    """`GET /servers/{id}` from `GET /v2.1/servers/5d6c...`: ids and version prefixes removed (bounded labels)."""
    parts = [p for p in path.split("/") if p]
    while parts and _VERSION.match(parts[0]):
        parts = parts[1:]
    template = "/".join("{id}" if _ID.match(p) else "{name}" if p.startswith(_OWN_NAMES) else p for p in parts)
    return f"{method.upper()} /{template}"


class CallRecorder:
    """Collects the calls of one connection; `on_call` also feeds live metrics."""

    def __init__(self, conn: Any, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: list[ApiCall] = []
        self._on_call = on_call
        self._conn = conn
        self._endpoints: list[tuple[str, str]] | None = None
        self._resolving = threading.local()  # per thread: is this thread resolving the catalog right now?
        self._wrap(conn.session.session)
        self._auth_url = str(conn.config.config.get("auth", {}).get("auth_url", ""))

    def _catalog(self) -> list[tuple[str, str]]:
        """(URL prefix, service) from the catalog, once logged in; asking earlier would log in (and
        with wrong credentials, fail) once per service before the first step."""
        if self._endpoints is not None:
            return self._endpoints
        if getattr(getattr(self._conn.session, "auth", None), "auth_ref", None) is None or getattr(
            self._resolving, "active", False
        ):
            return []  # not logged in yet (or logging in again right now): only identity requests are on the way
        endpoints = []
        self._resolving.active = True
        try:
            urls = {t: self._endpoint(t) for t in SERVICE_TYPES}
        finally:
            self._resolving.active = False
        for service_type, name in SERVICE_TYPES.items():
            url = urls[service_type]
            if url:
                endpoints.append((url.rstrip("/"), name))
                parts = urlsplit(url)
                segments = [s for s in parts.path.split("/") if s]
                if segments:  # version discovery asks the service root (`/volume/`, not `/volume/v3/<project>`)
                    endpoints.append((f"{parts.scheme}://{parts.netloc}/{segments[0]}", name))
        endpoints.sort(key=lambda e: -len(e[0]))
        self._endpoints = endpoints
        return endpoints

    def _endpoint(self, service_type: str) -> str | None:
        try:
            return str(self._conn.session.get_endpoint(service_type=service_type, interface="public") or "") or None
        except Exception:  # not in the catalog
            return None

    def service_of(self, url: str) -> tuple[str, str]:
        """(service, path below its endpoint) for a request URL."""
        for prefix, name in self._catalog():
            if url == prefix or url.startswith(prefix + "/") or url.startswith(prefix + "?"):
                return name, urlsplit(url).path[len(urlsplit(prefix).path) :]
        path = urlsplit(url).path
        if self._auth_url and url.startswith(self._auth_url.rstrip("/")):
            return "identity", path
        return "other", path

    def _wrap(self, session: Any) -> None:
        """Time every request at the transport, so that requests without an answer are counted too."""
        send = session.send

        def timed_send(request: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            service, path = self.service_of(request.url)
            try:
                response = send(request, **kwargs)
            except Exception as error:
                self._record(service, request.method, path, 0, time.monotonic() - started, type(error).__name__)
                raise
            self._record(service, request.method, path, response.status_code, time.monotonic() - started, None)
            return response

        session.send = timed_send

    def _record(self, service: str, method: str, path: str, status: int, duration: float, error: str | None) -> None:
        now = dt.datetime.now(dt.UTC)
        self.add(ApiCall(now, service, operation(method, path), status, duration, error))

    def add(self, call: ApiCall) -> None:
        with self._lock:
            self._calls.append(call)
        if self._on_call is not None:
            self._on_call(call)

    def take(self) -> tuple[ApiCall, ...]:
        """The calls since the last take (one iteration's worth)."""
        with self._lock:
            calls, self._calls = tuple(self._calls), []
        return calls
