"""Authentication (issue 13, item 6): an unknown account costs what a wrong password costs, failed
logins are limited per account and per client address (429), and argon2 runs off the event loop,
a bounded number at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from scs_toolkit.monitor.accounts import hash_api_key
from scs_toolkit.monitor.authentication import AuthenticationError, Authenticator, AuthLimits, FailureLimiter
from scs_toolkit.monitor.db import Account

from .helpers import basic, post, report

#: Needs a login; an unknown report answers 404 only after the caller was authenticated.
GUARDED = "/api/reports/no-such-report?full=true"


def hash_checks(monitor: dict[str, Any]) -> float:
    value = monitor["app"].state.metrics.registry.get_sample_value("scs_monitor_password_hash_checks_total")
    return float(value or 0)


def login(monitor: dict[str, Any], user: str, secret: str, **headers: str) -> httpx.Response:
    return httpx.get(monitor["url"] + GUARDED, headers={"Authorization": basic(user, secret), **headers})


@pytest.fixture
def strict(monitor: dict[str, Any]) -> dict[str, Any]:
    """The monitor with small limits: 3 failures per account, 5 per address."""
    app = monitor["app"]
    metrics = app.state.metrics
    app.state.authenticator = Authenticator(
        AuthLimits(failures_per_account=3, failures_per_address=5), metrics.password_checks, metrics.auth_refusals
    )
    return monitor


def test_unknown_account_costs_one_argon2_check_like_a_wrong_password(monitor: dict[str, Any]) -> None:
    counted = hash_checks(monitor)
    for user, secret in (("cloud-a", "wrong"), ("nobody", "wrong"), ("not a valid name", "x"), ("nul\u0000", "x")):
        reply = login(monitor, user, secret)
        assert reply.status_code == 401 and reply.json()["detail"] == "incorrect username or password"
        assert reply.headers["www-authenticate"] == 'Basic realm="Compliance monitor"'
        assert hash_checks(monitor) == counted + 1, user  # the same work whether the account exists or not
        counted += 1
    assert login(monitor, "cloud-a", "a-secret").status_code == 404  # authenticated: one check...
    assert login(monitor, "cloud-a", "a-secret").status_code == 404  # ...and then remembered
    assert hash_checks(monitor) == counted + 1


def test_failed_logins_are_limited_per_account(strict: dict[str, Any]) -> None:
    for _ in range(3):
        assert login(strict, "cloud-a", "wrong").status_code == 401
    counted = hash_checks(strict)
    limited = login(strict, "cloud-a", "a-secret")  # even the right secret waits: otherwise it is no limit
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "too many failed logins" in limited.json()["detail"]
    assert hash_checks(strict) == counted  # refused before any argon2 work
    assert post(strict, [report()]).status_code == 429  # uploads too
    assert login(strict, "cloud-b", "b-secret").status_code == 404  # other accounts are not locked out
    metrics = httpx.get(strict["url"] + "/metrics").text
    assert 'scs_monitor_authentication_refusals_total{reason="rate_limited"} 2.0' in metrics
    assert 'scs_monitor_authentication_refusals_total{reason="credentials"} 3.0' in metrics


def test_failed_logins_are_limited_per_client_address(strict: dict[str, Any]) -> None:
    for user in ("u1", "u2", "u3", "u4", "u5"):  # a different account each time: only the address repeats
        assert login(strict, user, "guess").status_code == 401
    assert login(strict, "cloud-b", "b-secret").status_code == 429
    assert login(strict, "never-seen", "guess").status_code == 429


def test_a_forwarded_address_does_not_escape_the_account_limit(strict: dict[str, Any]) -> None:
    """Behind a trusted proxy (loopback here) each guess may claim another client address; the
    per-account limit still holds."""
    for number in range(3):
        assert login(strict, "cloud-a", "wrong", **{"X-Forwarded-For": f"192.0.2.{number}"}).status_code == 401
    assert login(strict, "cloud-a", "wrong", **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_failure_limiter_window_and_bounded_memory() -> None:
    now = [1000.0]
    limiter = FailureLimiter(limit=2, window=60, clock=lambda: now[0], max_keys=3)
    limiter.record("a")
    assert limiter.retry_after("a") is None
    limiter.record("a")
    assert limiter.retry_after("a") == pytest.approx(60)
    now[0] += 59
    assert limiter.retry_after("a") == pytest.approx(1)
    now[0] += 1
    assert limiter.retry_after("a") is None  # the oldest failure left the window
    for key in ("b", "c", "d"):  # a fourth key pushes out the least recently failed one
        limiter.record(key)
        limiter.record(key)
    assert limiter.retry_after("a") is None and limiter.retry_after("d") is not None


class Instrumented(Authenticator):
    """The real authenticator, its argon2 step held until the test lets go (and counted)."""

    def __init__(self, concurrent: int) -> None:
        registry = CollectorRegistry()
        super().__init__(
            AuthLimits(failures_per_address=1000, failures_per_account=1000, concurrent_hashes=concurrent),
            Counter("checks", "", registry=registry),
            Counter("refusals", "", ["reason"], registry=registry),
        )
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        self.threads: set[str] = set()
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def _slow_match(self, password: str, hashes: list[str]) -> str | None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.threads.add(threading.current_thread().name)
        self.entered.release()
        self.release.wait(60)
        try:
            return super()._slow_match(password, hashes)
        finally:
            with self._lock:
                self.active -= 1


def test_argon2_runs_off_the_loop_and_only_a_few_at_a_time() -> None:
    authenticator = Instrumented(concurrent=2)
    stored = [hash_api_key("right")]
    account = Account(subject="cloud-a")
    outcomes: list[int] = []

    def lookup(username: str) -> tuple[Account | None, list[str]]:
        return (account, stored) if username == "cloud-a" else (None, [])

    async def attempt(username: str) -> None:
        try:
            await authenticator.authenticate("192.0.2.1", username, "wrong", lookup)
        except AuthenticationError as error:
            outcomes.append(error.status_code)

    async def scenario() -> str:
        async with anyio.create_task_group() as group:
            for username in ("cloud-a", "cloud-a", "nobody", "nobody"):
                group.start_soon(attempt, username)
            with anyio.fail_after(30):  # a guard against hanging, not a timing assertion
                for _ in range(2):
                    await anyio.to_thread.run_sync(authenticator.entered.acquire)
                while authenticator.hashing.statistics().tasks_waiting < 2:
                    await anyio.wait_all_tasks_blocked()
            # Two verifications are running and two wait for their turn, and this coroutine runs:
            # the event loop is free while argon2 works.
            loop_thread = threading.current_thread().name
            authenticator.release.set()
        return loop_thread

    loop_thread = anyio.run(scenario)
    assert sorted(outcomes) == [401, 401, 401, 401]
    assert authenticator.peak == 2
    assert loop_thread not in authenticator.threads


@pytest.fixture
def held(monitor: dict[str, Any]) -> Iterator[Instrumented]:
    authenticator = Instrumented(concurrent=1)
    original = monitor["app"].state.authenticator
    monitor["app"].state.authenticator = authenticator
    yield authenticator
    authenticator.release.set()
    monitor["app"].state.authenticator = original


def test_pages_answer_while_logins_wait_for_argon2(monitor: dict[str, Any], held: Instrumented) -> None:
    with httpx.Client(base_url=monitor["url"], timeout=60) as client:
        results: list[int] = []
        guessers = [
            threading.Thread(target=lambda: results.append(login(monitor, "cloud-a", "guess").status_code))
            for _ in range(4)
        ]
        for guesser in guessers:
            guesser.start()
        assert held.entered.acquire(timeout=30)  # one verification runs, the others queue behind it
        for path in ("/healthz", "/", "/api/subjects", "/status"):
            assert client.get(path).status_code == 200, path
        held.release.set()
        for guesser in guessers:
            guesser.join(60)
    assert results == [401] * 4 and held.peak == 1
