"""API errors as the kube-apiserver shapes them: a `Status` object (kind Status, apiVersion v1).

Clients branch on `reason` and `code` (kubectl prints `message`; client-go retries 429 and some 5xx
using `details.retryAfterSeconds`/`Retry-After`), so each error here carries the same reason,
message wording and details as the real server's for the same situation.
"""

from __future__ import annotations

from typing import Any

from kubernetes.client import V1ListMeta, V1Status, V1StatusCause, V1StatusDetails

from ._models import to_wire

#: HTTP status -> the reason the API server uses when nothing more specific applies.
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """Raised by handlers; rendered as a Status object with the matching HTTP status."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        *,
        name: str | None = None,
        group: str | None = None,
        kind: str | None = None,
        causes: list[dict[str, str]] | None = None,
        retry_after_s: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.name, self.group, self.kind, self.causes = name, group, kind, causes
        self.retry_after_s = retry_after_s
        self.headers = dict(headers or {})
        if retry_after_s is not None:
            self.headers.setdefault("Retry-After", str(retry_after_s))

    def status(self) -> dict[str, Any]:
        details = None
        if any(v is not None for v in (self.name, self.group, self.kind, self.causes, self.retry_after_s)):
            details = V1StatusDetails(
                name=self.name,
                group=self.group or None,
                kind=self.kind,
                causes=[V1StatusCause(**c) for c in self.causes] if self.causes else None,
                retry_after_seconds=self.retry_after_s,
            )
        status = V1Status(
            api_version="v1",
            kind="Status",
            metadata=V1ListMeta(),
            status="Failure",
            message=self.message,
            reason=self.reason,
            details=details,
            code=self.code,
        )
        return to_wire(status)


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(404, f'{_qualified(resource, group)} "{name}" not found', name=name, group=group, kind=resource)


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{_qualified(resource, group)} "{name}" already exists',
        "AlreadyExists",
        name=name,
        group=group,
        kind=resource,
    )


def conflict(resource: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        "Conflict",
        name=name,
        group=group,
        kind=resource,
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 with one cause per field: (field path, cause reason such as FieldValueRequired, message)."""
    text = ", ".join(f"{field}: {message}" for field, _, message in causes)
    shown = f"[{text}]" if len(causes) > 1 else text
    return ApiError(
        422,
        f'{kind} "{name}" is invalid: {shown}',
        "Invalid",
        name=name,
        group=group,
        kind=kind,
        causes=[{"field": field, "reason": reason, "message": message} for field, reason, message in causes],
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")
