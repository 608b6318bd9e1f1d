"""Upload signed reports in the SCS wire format: armored signature, `&`, report; HTTP Basic auth."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import time
from collections.abc import Callable

import httpx

DELAYS = (1.0, 2.0, 4.0, 8.0)
#: Longer waits than this are not sat out: the upload ends and says when to try again.
MAX_RETRY_AFTER_S = 60.0


class UploadError(RuntimeError):
    """The monitor refused the report or could not be reached; the message says which and why."""


def wire_body(signature: str, payload: bytes) -> bytes:
    return signature.encode().rstrip(b"\n") + b"\n&" + payload


def basic_credentials(token: str) -> str:
    """The Basic credentials from a token file: as the SCS tools keep it (base64 of user:secret), or user:secret."""
    token = token.strip()
    if ":" in token:
        return base64.b64encode(token.encode()).decode()
    return token


def upload(
    url: str,
    signature: str,
    payload: bytes,
    token: str,
    content_type: str = "application/x-signed-yaml",
    delays: tuple[float, ...] = DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Response:
    """POST the signed report; retries on connection errors, 429 and 5xx, never on other 4xx.

    A `Retry-After` is honoured when it asks for at most MAX_RETRY_AFTER_S; a longer one (e.g. an account
    locked after failed logins) ends the upload at once with how long to wait, instead of hammering.
    """
    body = wire_body(signature, payload)
    headers = {"Content-Type": content_type, "Authorization": f"Basic {basic_credentials(token)}"}
    with httpx.Client(timeout=60, transport=transport) as client:
        for delay in (*delays, None):
            try:
                reply = client.post(url, content=body, headers=headers)
            except httpx.TransportError as error:
                if delay is None:
                    raise UploadError(f"cannot reach {url}: {error}") from None
            else:
                if reply.status_code < 300:
                    return reply
                if (reply.status_code != 429 and reply.status_code < 500) or delay is None:
                    raise UploadError(f"{url} refused the report: HTTP {reply.status_code}: {reply.text[:500]}")
                asked = retry_after(reply)
                if asked is not None and asked > MAX_RETRY_AFTER_S:
                    raise UploadError(
                        f"{url} asks to wait {asked:.0f} s (HTTP {reply.status_code}): upload the saved report "
                        "later with `scs report upload`"
                    )
                if asked is not None:
                    delay = max(delay, asked)
            sleep(delay)
    raise UploadError(f"cannot upload to {url}")  # not reached


def retry_after(reply: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None without a usable one."""
    value = reply.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())
