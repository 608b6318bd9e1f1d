"""OpenStack's error bodies, which differ per service; clients parse them into their exceptions."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    409: "conflictingRequest",
    413: "overLimit",
    429: "overLimit",
    500: "computeFault",
    503: "serviceUnavailable",
}
_NEUTRON_TYPES = {
    400: "BadRequest",
    401: "NotAuthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "OverQuota",
    429: "OverQuota",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """Raised by handlers; turned into the calling service's error body and status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(service: str, status: int, message: str) -> Any:
    title = _TITLES.get(status, "Error")
    if service in ("compute", "volume"):
        return {_NOVA_KEYS.get(status, "computeFault"): {"code": status, "message": message}}
    if service == "network":
        return {"NeutronError": {"type": _NEUTRON_TYPES.get(status, "Error"), "message": message, "detail": ""}}
    if service == "load-balancer":
        return {"faultcode": "Client" if status < 500 else "Server", "faultstring": message, "debuginfo": None}
    if service == "key-manager":
        return {"code": status, "title": title, "description": message}
    if service == "image":
        return {"code": status, "title": title, "message": message, "error": {"message": message}}
    return {"error": {"code": status, "message": message, "title": title}}


def error_response(service: str, status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(service, status, message), status_code=status, headers=headers)
