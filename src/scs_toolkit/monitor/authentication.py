"""HTTP Basic callers: API keys checked at the same cost whether the account exists or not, off the
event loop and only a few at a time, with failed attempts limited per account and per client address.

Why each part:
- argon2 costs ~150 ms of CPU and 64 MiB by design. An unknown account used to answer in 5 ms and a
  wrong password in 250 ms, which told a guesser which accounts exist; now both run one argon2
  verification (against a throw-away hash when there is no account).
- Eight guessing clients raised `/healthz` from 37 ms to 787 ms: every guess ran argon2 at once.
  Verifications now run in worker threads behind a small capacity limiter, awaited without
  holding the event loop or the request thread pool, and repeated failures get 429 before any work.
- A client that uploads often pays for argon2 once: the hash its secret matched is remembered (as
  an HMAC under a per-process key), valid only while that hash is still one of the account's keys.

The verification cache and the failure counts live in the process: with several replicas each
counts on its own (documented in docs/monitor-production.md). Guesses already past the check when
the limit is reached still finish, so a limit can be overshot by the requests in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import anyio
from prometheus_client import Counter

from . import accounts
from .db import Account
from .names import is_subject


@dataclass(frozen=True)
class AuthLimits:
    """Failed authentications allowed within `window` seconds, per account and per client address."""

    failures_per_account: int = 10
    failures_per_address: int = 30
    window: float = 300.0
    concurrent_hashes: int = 2


class AuthenticationError(Exception):
    """401 (wrong credentials) or 429 (too many failures; `retry_after` seconds)."""

    def __init__(self, status_code: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after


class FailureLimiter:
    """Failures per key in a sliding window; a bounded number of keys (the oldest are forgotten)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        self._limit, self._window, self._clock, self._max_keys = limit, window, clock, max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it may now."""
        now = self._clock()
        with self._lock:
            failures = self._failures.get(key)
            if failures is None:
                return None
            while failures and failures[0] <= now - self._window:
                failures.popleft()
            if len(failures) < self._limit:
                return None
            return failures[0] + self._window - now

    def record(self, key: str) -> None:
        with self._lock:
            failures = self._failures.setdefault(key, deque(maxlen=self._limit))
            failures.append(self._clock())
            self._failures.move_to_end(key)
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)


class VerifiedKeys:
    """Which stored hash a secret matched, so that a client uploading often pays for argon2 once.

    Secrets are kept only as HMACs under a key that lives in this process. An entry counts only while
    its hash is still among the account's keys, so removing an API key takes effect at once.
    """

    def __init__(self, size: int = 4096) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).digest()

    def known(self, subject: str, secret: str, hashes: list[str]) -> bool:
        with self._lock:
            matched = self._entries.get((subject, self._digest(secret)))
        return matched is not None and matched in hashes

    def remember(self, subject: str, secret: str, matched: str) -> None:
        with self._lock:
            self._entries[subject, self._digest(secret)] = matched
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


class Principal(Protocol):
    """Whatever logs in: a monitor account, or a status page token (scs_toolkit.statuspage)."""

    @property
    def subject(self) -> str: ...


P = TypeVar("P", bound=Principal)
#: What the authenticator needs from the database: the account of a name, and its API key hashes.
Lookup = Callable[[str], tuple[Account | None, list[str]]]


class Authenticator:
    """One per app (on `app.state`): the verification cache, the failure limits, the hash limiter."""

    def __init__(self, limits: AuthLimits, hashes: Counter, refusals: Counter) -> None:
        self.limits = limits
        self.keys = VerifiedKeys()
        self._per_account = FailureLimiter(limits.failures_per_account, limits.window)
        self._per_address = FailureLimiter(limits.failures_per_address, limits.window)
        self.hashing = anyio.CapacityLimiter(limits.concurrent_hashes)  # argon2 verifications at once
        self._hashes, self._refusals = hashes, refusals

    async def authenticate(
        self, address: str, username: str, password: str, lookup: Callable[[str], tuple[P | None, list[str]]]
    ) -> P:
        """The account (or other principal) `username:password` names, or AuthenticationError. Run on
        the event loop: the database lookup and argon2 go to worker threads."""
        keys = [f"address:{address}"] + ([f"account:{username}"] if is_subject(username) else [])
        waits = [
            wait
            for wait in (self._per_address.retry_after(keys[0]), *map(self._per_account.retry_after, keys[1:]))
            if wait is not None
        ]
        if waits:
            self._refusals.labels("rate_limited").inc()
            seconds = math.ceil(max(waits))
            raise AuthenticationError(429, f"too many failed logins; try again in {seconds} s", seconds)
        account, hashes = await anyio.to_thread.run_sync(lookup, username) if is_subject(username) else (None, [])
        if account is not None and self.keys.known(account.subject, password, hashes):
            return account
        matched = await anyio.to_thread.run_sync(self._slow_match, password, hashes, limiter=self.hashing)
        if account is None or matched is None:
            self._per_address.record(keys[0])
            for key in keys[1:]:
                self._per_account.record(key)
            self._refusals.labels("credentials").inc()
            raise AuthenticationError(401, "incorrect username or password")
        self.keys.remember(account.subject, password, matched)
        return account

    def _slow_match(self, password: str, hashes: list[str]) -> str | None:
        """argon2 against every stored hash, or against a throw-away hash when there is none, so that
        an unknown account costs what a wrong password costs."""
        self._hashes.inc(max(1, len(hashes)))
        if not hashes:
            accounts.matching_hash(password, [accounts.dummy_hash()])
            return None
        return accounts.matching_hash(password, hashes)
