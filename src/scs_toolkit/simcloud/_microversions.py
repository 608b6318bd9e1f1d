"""API microversions as Nova, Cinder and Placement negotiate them: parse, enforce, echo.

A request names its version in `OpenStack-API-Version: compute 2.61` (Nova also reads the legacy
`X-OpenStack-Nova-API-Version`); without one it gets the minimum, `latest` means the maximum,
anything outside [minimum, maximum] is refused with 406 and a malformed value with 400. Every
answer the service itself gives (also errors, DELETEs and the versioned document) carries the
version it was served at; 401s do not, as keystonemiddleware rejects those before the service.
Handlers read the negotiated version with `requested(request)` and shape their answers by it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._auth import expired
from ._errors import error_response

if TYPE_CHECKING:
    from ._cloud import Cloud

_VERSION = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@dataclass(frozen=True, order=True)
class Microversion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Microversion:
        match = _VERSION.match(text.strip())
        if match is None:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class VersionedApi:
    """One service's microversion contract: its range, headers and the paths under its control."""

    service: str
    #: the name in `OpenStack-API-Version: <name> <version>`
    header_name: str
    minimum: Microversion
    maximum: Microversion
    #: paths (prefixes) whose answers are versioned
    prefix: str
    #: version documents, answered without a token
    documents: tuple[str, ...]
    legacy_header: str | None = None

    def applies_to(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def response_headers(self, version: Microversion) -> dict[str, str]:
        headers = {"OpenStack-API-Version": f"{self.header_name} {version}"}
        vary = "OpenStack-API-Version"
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            vary += f", {self.legacy_header}"
        headers["Vary"] = vary
        return headers


COMPUTE = VersionedApi(
    "compute",
    "compute",
    Microversion(2, 1),
    Microversion(2, 104),  # Nova 34; its version document says so
    "/compute/v2.1",
    ("/compute/v2.1", "/compute/v2.1/"),
    legacy_header="X-OpenStack-Nova-API-Version",
)
VOLUME = VersionedApi(
    "volume", "volume", Microversion(3, 0), Microversion(3, 71), "/volume/v3", ("/volume/v3", "/volume/v3/")
)
PLACEMENT = VersionedApi(
    "placement", "placement", Microversion(1, 0), Microversion(1, 39), "/placement", ("/placement", "/placement/")
)
APIS = (COMPUTE, VOLUME, PLACEMENT)


class VersionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def wanted(api: VersionedApi, headers: dict[str, str]) -> str | None:
    """The version text a request asks `api` for, or None (then it gets the minimum)."""
    for entry in headers.get("openstack-api-version", "").split(","):
        name, _, value = entry.strip().partition(" ")
        if name.lower() == api.header_name and value.strip():
            return value.strip()
    if api.legacy_header:
        legacy = headers.get(api.legacy_header.lower(), "").strip()
        if legacy:
            return legacy
    return None


def negotiate(api: VersionedApi, text: str | None) -> Microversion:
    """The version to serve, or VersionError with the service's own words (400 malformed, 406 out of range)."""
    if text is None:
        return api.minimum
    if text.lower() == "latest":
        return api.maximum
    try:
        version = Microversion.parse(text)
    except ValueError:
        if api is PLACEMENT:
            raise VersionError(400, f"invalid version string: {text}") from None
        raise VersionError(
            400, f"API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."
        ) from None
    if not api.minimum <= version <= api.maximum:
        if api is PLACEMENT:
            raise VersionError(406, f"Unacceptable version header: {text}")
        raise VersionError(
            406, f"Version {text} is not supported by the API. Minimum is {api.minimum} and maximum is {api.maximum}."
        )
    return version


def requested(request: Request, api: VersionedApi) -> Microversion:
    """The version the middleware negotiated for this request (the minimum if it did not run)."""
    version = request.scope.get("state", {}).get("microversion")
    return version if isinstance(version, Microversion) else api.minimum


def at_least(request: Request, api: VersionedApi, text: str) -> bool:
    return requested(request, api) >= _parsed(text)


@functools.cache
def _parsed(text: str) -> Microversion:
    return Microversion.parse(text)  # the handful of versions the views compare with, parsed once


class MicroversionMiddleware:
    """Negotiates the version before a versioned service sees the request and stamps its answers.

    A request with a missing or invalid token passes untouched: the service answers 401 (as
    keystonemiddleware does, before any version check), without a version header.
    """

    def __init__(self, app: ASGIApp, cloud: Cloud) -> None:
        self.app = app
        self.cloud = cloud

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = next((a for a in APIS if scope["type"] == "http" and a.applies_to(scope["path"])), None)
        if api is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] not in api.documents and not self._authenticated(headers):
            await self.app(scope, receive, send)
            return
        try:
            version = negotiate(api, wanted(api, headers))
        except VersionError as error:
            response = error_response(api.service, error.status, error.message)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["microversion"] = version
        stamp = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in api.response_headers(version).items()]

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] != 401:
                names = {k for k, _ in stamp}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + stamp}
            await send(message)

        await self.app(scope, receive, stamped)

    def _authenticated(self, headers: dict[str, str]) -> bool:
        token = self.cloud.tokens.get(headers.get("x-auth-token", ""))
        return token is not None and not expired(token)
