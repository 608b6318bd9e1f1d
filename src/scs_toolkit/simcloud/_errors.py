"""OpenStack's error bodies, which differ per service; clients parse them into their exceptions.

Who answers matters as much as which service: a request without a valid token never reaches
Nova, Cinder, Glance, Neutron or Placement in a real cloud, keystonemiddleware rejects it first
with its own body and a `WWW-Authenticate` header. Glance hands webob's exceptions out as they
are (content negotiated, `code` is the status line), Placement lists its errors, Neutron names
the exception type.
"""

from __future__ import annotations

import html
import json
import uuid
from typing import Any

from starlette.responses import Response

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
#: Nova's and Cinder's fault names (`nova.api.openstack.wsgi.Fault._fault_names`); others are computeFault.
_NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
#: Neutron's type names for errors raised as plain webob exceptions (specific ones come as `kind`).
_NEUTRON_TYPES = {
    400: "HTTPBadRequest",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    409: "HTTPConflict",
    413: "OverQuota",
    429: "OverQuota",
    500: "HTTPInternalServerError",
    503: "HTTPServiceUnavailable",
}
#: Services behind keystonemiddleware's auth_token filter: their 401s come from it, not from them.
TOKEN_CHECKED = frozenset(
    {"compute", "volume", "image", "network", "placement", "load-balancer", "key-manager", "object-store"}
)
UNAUTHENTICATED = "The request you have made requires authentication."


class ApiError(Exception):
    """Raised by handlers; turned into the calling service's error body and status.

    `kind` is the exception name a service puts into its body where it has one (Neutron's
    `NetworkNotFound`, `SecurityGroupInUse`, ...).
    """

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, kind: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.kind = kind


def title(status: int) -> str:
    return _TITLES.get(status, "Error")


def error_response(
    service: str,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
    accept: str = "",
    identity_url: str = "",
    placement_codes: bool = True,
) -> Response:
    """The response the real service (or the middleware in front of it) gives for this error.

    `placement_codes`: Placement names an error `code` only from microversion 1.23 on."""
    extra = dict(headers or {})
    if status == 401 and service in TOKEN_CHECKED:
        extra["WWW-Authenticate"] = f'Keystone uri="{identity_url}"'
        body = {"error": {"code": 401, "title": title(401), "message": UNAUTHENTICATED}}
        return _json(body, status, extra)
    if service == "image":
        return _webob(status, message, accept, extra)
    return _json(error_body(service, status, message, kind, placement_codes), status, extra)


def error_body(service: str, status: int, message: str, kind: str | None = None, placement_codes: bool = True) -> Any:
    """The JSON error document of `service` (Glance's negotiated variant is in `error_response`)."""
    if service in ("compute", "volume"):
        return {_NOVA_KEYS.get(status, "computeFault"): {"code": status, "message": message}}
    if service == "network":
        return {
            "NeutronError": {"type": kind or _NEUTRON_TYPES.get(status, "HTTPError"), "message": message, "detail": ""}
        }
    if service == "placement":
        error = {
            "status": status,
            "title": title(status),
            "detail": message,
            "request_id": f"req-{uuid.uuid4()}",
        }
        if placement_codes:
            error["code"] = "placement.undefined_code"
        return {"errors": [error]}
    if service == "load-balancer":
        return {"faultcode": "Client" if status < 500 else "Server", "faultstring": message, "debuginfo": None}
    if service == "key-manager":
        return {"code": status, "title": title(status), "description": message}
    if service == "image":
        return _webob_json(status, message)
    return {"error": {"code": status, "message": message, "title": title(status)}}


def _json(body: Any, status: int, headers: dict[str, str]) -> Response:
    return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")


def _webob_json(status: int, message: str) -> dict[str, str]:
    # webob's body template `${explanation}<br /><br />\n${detail}\n${html_comment}\n`, status line as code
    return {"message": f"{message}<br /><br />\n\n\n", "code": f"{status} {title(status)}", "title": title(status)}


def _webob(status: int, message: str, accept: str, headers: dict[str, str]) -> Response:
    """webob's own negotiation: text/html or application/json if acceptable, else text/plain."""
    offered = _best_offer(accept)
    status_line = f"{status} {title(status)}"
    if offered == "application/json":
        return _json(_webob_json(status, message), status, headers)
    if offered == "text/html":
        page = (
            f"<html>\n <head>\n  <title>{status_line}</title>\n </head>\n <body>\n  <h1>{status_line}</h1>\n"
            f"  {html.escape(message)}<br /><br />\n\n\n\n </body>\n</html>"
        )
        return Response(page, status_code=status, headers=headers, media_type="text/html; charset=UTF-8")
    return Response(f"{status_line}\n\n{message}\n\n   ", status_code=status, headers=headers, media_type="text/plain")


def _best_offer(accept: str) -> str:
    """As webob's HTTPException: the best of text/html and application/json (no Accept header, or */*: html,
    the first offer; ties go to offer order), and text/plain when neither is acceptable (checked against
    real Glance 33: `Accept: */*` gets the HTML page)."""
    offers = ("text/html", "application/json")
    if not accept.strip():
        return offers[0]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = [p.strip().lower() for p in part.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    scored = []
    for position, offer in enumerate(offers):
        kind = offer.split("/")[0]
        matches = [
            (3 if m == offer else 2 if m == f"{kind}/*" else 1, q)
            for m, q in ranges
            if m in (offer, f"{kind}/*", "*/*")
        ]
        if matches:
            quality = max(matches)[1]
            if quality > 0:
                scored.append((-quality, position, offer))
    return min(scored)[2] if scored else "text/plain"
