"""Retry transient cloud errors (5xx, 429, connection resets) with backoff; never on 4xx verdicts.

openstacksdk's and keystoneauth's exceptions are imported where an error is looked at, not with this
module: `scs check` imports it before its early log-in, and openstacksdk takes ~0.3 s to import.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
#: Set when the user interrupts a run (Ctrl-C): waits stop early so that probes clean up and end.
CANCEL = threading.Event()


class Cancelled(Exception):
    """The run was interrupted; raised by waits so that probes go straight to their clean-up."""


_SERVER_ERROR_BODY = re.compile(r"""["']code["']\s*:\s*(5\d\d|429)\b|HTTP (5\d\d|429)\b""")
DELAYS = (0.5, 1.0, 2.0, 4.0)
_NO_VERSIONS = "does not have any supported versions"


def transient(error: BaseException) -> bool:
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions

    if isinstance(error, sdk_exceptions.NotSupported) and _NO_VERSIONS in str(error):
        return True  # openstacksdk's word for a version discovery that got an error (429, 503) instead of versions
    if isinstance(error, sdk_exceptions.HttpException):
        return error.status_code is not None and (error.status_code >= 500 or error.status_code == 429)
    if isinstance(error, ksa_exceptions.HttpError):
        return error.http_status is not None and (error.http_status >= 500 or error.http_status == 429)
    if isinstance(error, (ksa_exceptions.ConnectionError, ksa_exceptions.ConnectTimeout, ConnectionError)):
        return True
    if isinstance(error, ksa_exceptions.DiscoveryFailure) and _SERVER_ERROR_BODY.search(str(error)):
        return True  # discovery got an error document (e.g. a 503 body) instead of version data
    # keystoneauth wraps a failed discovery request (e.g. a 503) in DiscoveryFailure: look at the cause
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and transient(cause)


def with_retries(
    fetch: Callable[[], T], delays: tuple[float, ...] = DELAYS, sleep: Callable[[float], None] = time.sleep
) -> T:
    """`fetch()`, again after each delay while it fails transiently; the last error propagates."""
    for delay in delays:
        try:
            return fetch()
        except Exception as error:
            if not transient(error):
                raise
            sleep(delay)
    return fetch()


def wait_for_status(
    fetch: Callable[[], Any],
    wanted: str,
    what: str,
    timeout_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
    cancellable: bool = True,
) -> Any:
    """Poll `fetch()` (with retries) until its `.status` is `wanted`; the APIs offer no events to wait on.

    Raises RuntimeError for an error state and TimeoutError when `timeout_s` passes.
    """
    deadline = time.monotonic() + timeout_s
    for delay in poll_delays():
        resource = with_retries(fetch, sleep=sleep)
        status = str(getattr(resource, "status", "") or "")
        if status == wanted:
            return resource
        if status.lower().startswith("error"):
            raise RuntimeError(f"{what} went to status {status}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} still {status} after {timeout_s:.0f} s")
        if cancellable and CANCEL.is_set():
            raise Cancelled(f"interrupted while waiting for {what}")
        if sleep is time.sleep and cancellable:
            CANCEL.wait(delay)  # Ctrl-C ends the pause at once
        else:
            sleep(delay)
    raise AssertionError("poll_delays never ends")  # pragma: no cover


def poll_delays(first: float = 0.1, factor: float = 1.25, cap: float = 3.0) -> Iterator[float]:
    """Pauses between status polls (the APIs offer nothing to wait on): short at first, because a healthy
    cloud's volume or backup changes state within a second, then growing by a quarter, so that noticing a
    change late costs at most about a quarter of the time already waited (a 0.2 s transition: ~0.1 s late,
    not ~0.4 s), while a minutes-long boot costs a poll every few seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, cap)


def wait_for_gone(
    fetch: Callable[[], Any],
    what: str,
    timeout_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll `fetch()` until it raises NotFound (the resource is gone); not cancellable: clean-up finishes.

    Raises RuntimeError when the resource went to an error state instead, TimeoutError when `timeout_s` passes.
    """
    from openstack import exceptions as sdk_exceptions

    deadline = time.monotonic() + timeout_s
    for delay in poll_delays():
        try:
            resource = with_retries(fetch, sleep=sleep)
        except sdk_exceptions.NotFoundException:
            return
        status = str(getattr(resource, "status", "") or "")
        if status.lower().startswith("error") and "delet" in status.lower():
            raise RuntimeError(f"{what} went to status {status} while being deleted")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} still {status} {timeout_s:.0f} s after its deletion")
        sleep(delay)
