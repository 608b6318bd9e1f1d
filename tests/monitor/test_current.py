"""The snapshot of "now" (services/current.py) against the plain evaluation, on randomized histories.

Each seed builds subjects (with and without accounts, layers and groups), reports (whole, partial,
failing, aborting), certificates (some expiring within the walk) and scopes whose testcase lifetimes
and timelines are shuffled, then walks an injected "now" forward across result expiries, timeline
dates, certificate expiries and midnights, writing now and then (a report with the certificates it
earns, a revocation, an account change). At every step one long-lived `CurrentState` must answer
exactly what the plain way computes from scratch: the evaluation from the result history at that
moment (not from `latest_result`), the subject list, newest checks, valid certificates and the
overview rows. The comparison is shown to catch a stale snapshot: a write that skips the change
counter makes it differ until the counter moves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from scs_toolkit import standards
from scs_toolkit.monitor.accounts import add_account
from scs_toolkit.monitor.db import (
    Account,
    Certificate,
    Database,
    LatestResult,
    Report,
    Result,
    SubjectGeneration,
    migrate,
)
from scs_toolkit.monitor.services import certificates, changes, status, subjects
from scs_toolkit.monitor.services.current import CurrentState, Snapshot
from scs_toolkit.monitor.services.evaluation import ScopeEvaluation

from .helpers import DATABASES, database_url

SEEDS = range(1, 7)
LIFETIMES = ("day", "week", "month")
STATES = (
    standards.VersionState.EFFECTIVE,
    standards.VersionState.WARN,
    standards.VersionState.DRAFT,
    standards.VersionState.DEPRECATED,
)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = database_url(request.param, tmp_path)
    migrate(url)
    db = Database(url)
    _empty(db)
    yield db
    _empty(db)  # a shared PostgreSQL: leave nothing behind for the next test
    db.close()


def _empty(database: Database) -> None:
    with database.session() as session:
        for table in (Result, Report, LatestResult, Certificate, SubjectGeneration):
            session.execute(delete(table))
        session.execute(delete(Account).where(Account.subject.like("rnd-%")))


def shuffled_scopes(rng: random.Random, start: dt.datetime) -> list[standards.Scope]:
    """The bundled scopes with random lifetimes and a random timeline whose dates fall inside the walk."""
    scopes = []
    for scope in standards.bundled_scopes():
        testcases = {k: dataclasses.replace(t, lifetime=rng.choice(LIFETIMES)) for k, t in scope.testcases.items()}
        names = [v.name for v in scope.versions]
        timeline = [
            standards.TimelineEntry(
                (start + dt.timedelta(days=offset)).date(),
                {name: rng.choice(STATES) for name in rng.sample(names, rng.randint(1, len(names)))},
            )
            for offset in sorted(rng.sample(range(-30, 45), 4))
        ]
        scopes.append(dataclasses.replace(scope, testcases=testcases, timeline=tuple(timeline)))
    return scopes


class World:
    """The random history and the writes of the walk (as the services write them)."""

    def __init__(self, database: Database, seed: int) -> None:
        self.rng = random.Random(seed)
        self.database = database
        self.now = dt.datetime(2026, 3, 1, 6) + dt.timedelta(hours=self.rng.randint(0, 24 * 60))
        self.scopes = shuffled_scopes(self.rng, self.now)
        self.names = [f"rnd-{n}" for n in range(self.rng.randint(3, 6))]
        with database.session() as session:
            for name in self.names[:-1]:  # the last one reports without an account
                meta = {
                    "layer": self.rng.choice([None, "IaaS", "KaaS"]),
                    "display_name": self.rng.choice([None, name.upper()]),
                    "group": self.rng.choice([None, "rnd-g", "rnd-h"]),
                }
                add_account(session, name, [], meta)
            add_account(session, "rnd-quiet", [], {"display_name": "listed, never reports"})
        for _ in range(self.rng.randint(8, 25)):
            self.report(self.now - dt.timedelta(days=self.rng.uniform(0, 40)))
        with database.session() as session:  # certificates that expire during the walk
            for name in self.rng.sample(self.names, 2):
                scope = self.rng.choice(self.scopes)
                issued = self.now - dt.timedelta(days=self.rng.uniform(300, 364))
                session.add(
                    Certificate(
                        serial=str(uuid.uuid4()),
                        subject=name,
                        scope_uuid=scope.uuid,
                        version=scope.versions[0].name,
                        issued_at=issued,
                        expires_at=certificates.one_year_after(issued),
                        report_uuid="",
                    )
                )
            changes.record(session, self.names)

    def report(self, checked_at: dt.datetime, record: bool = True) -> None:
        """A report of one subject on one scope: mostly whole versions passing, sometimes partial or failing."""
        name, scope = self.rng.choice(self.names), self.rng.choice(self.scopes)
        testcases = sorted(scope.testcases)
        if self.rng.random() < 0.3:
            testcases = self.rng.sample(testcases, max(1, len(testcases) // 2))
        values = {t: 1 for t in testcases}
        if self.rng.random() < 0.4:
            values[self.rng.choice(testcases)] = self.rng.choice([-1, 0])
        self.store(name, scope, checked_at, values, record)

    def store(
        self, name: str, scope: standards.Scope, checked_at: dt.datetime, values: dict[str, int], record: bool
    ) -> None:
        with self.database.session() as session:
            row = Report(
                uuid=str(uuid.uuid4()),
                subject=name,
                scope_uuid=scope.uuid,
                checked_at=checked_at,
                received_at=checked_at,
                uploader=name,
                data="{}",
            )
            session.add(row)
            session.flush()
            session.execute(
                insert(Result),
                [
                    {"report_id": row.id, "subject": name, "scope_uuid": scope.uuid, "testcase": t, "value": v}
                    | {"checked_at": checked_at}
                    for t, v in values.items()
                ],
            )
            _latest_from_history(session, name, scope.uuid)
            if record:  # as ingestion: certificates that became due, then the counter
                evaluation = status.evaluate(session, name, scope, checked_at)
                certificates.issue_due(session, name, scope, evaluation, checked_at)
                changes.record(session, [name])

    def step(self) -> None:
        """Move now forward (across boundaries of every size) and maybe write something."""
        before = self.now
        self.now += dt.timedelta(
            minutes=self.rng.choice([1, 30, 60 * 5, 60 * 24, 60 * 24 * 3, 60 * 24 * 8]) + self.rng.random()
        )
        roll = self.rng.random()
        if roll < 0.35:
            self.report(before + (self.now - before) * self.rng.random())
        elif roll < 0.45:
            with self.database.session() as session:
                valid = session.scalars(select(Certificate).where(Certificate.revoked_at.is_(None))).all()
                if valid:
                    certificates.revoke(session, self.rng.choice(valid).serial, "random walk", self.now)
        elif roll < 0.55:
            with self.database.session() as session:
                add_account(session, self.rng.choice(self.names[:-1]), [], {"layer": self.rng.choice(["IaaS", "KaaS"])})


def _latest_from_history(session: Any, subject: str, scope_uuid: str) -> None:
    """latest_result of one subject and scope from its whole history: per testcase the newest result,
    of two at one moment the worse (as migration 0002 fills it, independent of ingestion's upsert)."""
    rows = session.execute(
        select(Result.testcase, Result.value, Result.checked_at, Report.uuid)
        .join(Report, Report.id == Result.report_id)
        .where(Result.subject == subject, Result.scope_uuid == scope_uuid)
    )
    newest: dict[str, tuple[dt.datetime, int, str]] = {}
    for testcase, value, checked_at, report_uuid in rows:
        known = newest.get(testcase)
        if known is None or (checked_at, -value) > (known[0], -known[1]):
            newest[testcase] = (checked_at, value, report_uuid)
    session.execute(delete(LatestResult).where(LatestResult.subject == subject, LatestResult.scope_uuid == scope_uuid))
    session.execute(
        insert(LatestResult),
        [
            {"subject": subject, "scope_uuid": scope_uuid, "testcase": t, "value": v, "checked_at": c}
            | {"report_uuid": u}
            for t, (c, v, u) in newest.items()
        ],
    )


def versions(evaluation: ScopeEvaluation) -> tuple[Any, ...]:
    return evaluation.versions  # everything but `at` (a reused evaluation keeps the moment it was made)


def differences(world: World, snapshot: Snapshot) -> list[str]:
    """Where the snapshot differs from the plain evaluation at `world.now` (empty: none)."""
    found = []
    with world.database.session() as db:
        names = status.subjects(db)
        if list(snapshot.listed) != names:
            found.append(f"listed {snapshot.listed} != {names}")
        groups = sorted({g for g in db.scalars(select(Account.group)) if g})
        plain: dict[tuple[str, str], ScopeEvaluation] = {}
        for name in names + [f"group-{g}" for g in groups]:
            for scope in world.scopes:
                plain[name, scope.uuid] = status.evaluate(db, name, scope, world.now)
                if versions(snapshot.evaluation(name, scope)) != versions(plain[name, scope.uuid]):
                    found.append(f"{name} {scope.name} at {world.now}")
        newest = status.current_facts(db, names, world.scopes)[1]
        for name in names:
            if snapshot.newest(name) != {s: m for (n, s), m in newest.items() if n == name}:
                found.append(f"newest of {name}")
        valid = {k: [c.serial for c in v] for k, v in status.valid_certificates(db, world.now).items()}
        if {k: [c.serial for c in v] for k, v in snapshot.certificates.items()} != valid:
            found.append(f"certificates {snapshot.certificates} != {valid}")
        reference = subjects.current_snapshot_of(db, names, world.scopes, plain, newest, world.now)
        fast_rows = [r.model_dump() for r in subjects.overview_of(snapshot)]
        if fast_rows != [r.model_dump() for r in subjects.overview_of(reference)]:
            found.append("overview rows")
        for name in names:  # per-subject values, maybe carried over from an earlier snapshot: as fresh ones
            if subjects.details_now(db, snapshot, name) != subjects._details_now(db, snapshot, name):
                found.append(f"details of {name}")
    return found


@pytest.mark.parametrize("seed", SEEDS)
def test_the_snapshot_answers_as_the_plain_evaluation_at_every_step(database: Database, seed: int) -> None:
    world = World(database, seed)
    current = CurrentState(world.scopes, clock=lambda: world.now)
    reused = 0
    previous: Snapshot | None = None
    for _ in range(30):
        with database.session() as db:
            snapshot = current.snapshot(db)
            assert current.snapshot(db) is snapshot  # nothing changed: the same snapshot, not a new one
        assert differences(world, snapshot) == [], f"seed {seed}"
        if previous is not None and snapshot is not previous:
            reused += sum(1 for name, facts in snapshot.facts.items() if previous.facts.get(name) is facts)
        previous = snapshot
        world.step()
    assert reused > 0  # unchanged subjects kept their evaluation across new snapshots
    assert current.carried > 0  # ... and their pages (compared with fresh ones above)
    assert current.builds < 31 + 30  # at most one build per step (and per write)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_a_write_that_skips_the_counter_is_what_the_comparison_catches(database: Database, seed: int) -> None:
    """The bad path: results stored without `changes.record` stay invisible to the snapshot (the
    comparison above would fail), until any recorded change moves the counter."""
    world = World(database, seed)
    current = CurrentState(world.scopes, clock=lambda: world.now)
    with database.session() as db:
        current.snapshot(db)
    scope = world.scopes[-1]
    name = world.names[0]
    world.store(name, scope, world.now, dict.fromkeys(scope.testcases, -1), record=False)
    with database.session() as db:
        stale = current.snapshot(db)
    assert f"newest of {name}" in differences(world, stale)  # and the evaluation, where a version is listed
    with database.session() as db:
        changes.record(db, [name])
    with database.session() as db:
        fresh = current.snapshot(db)
    assert fresh is not stale and differences(world, fresh) == []
    assert fresh.newest(name)[scope.uuid] == world.now
    assert all(v.verdict.value == "FAIL" for v in fresh.evaluation(name, scope).versions)


def test_a_boundary_ends_the_snapshot_without_any_write(database: Database) -> None:
    """A passing day-lifetime result: certified until its expiry (two midnights on), MISSING from
    then on, with no write in between; a valid certificate's expiry ends the snapshot too."""
    scope = next(s for s in standards.bundled_scopes() if "KaaS" in s.name)
    effective = {v.name: standards.VersionState.EFFECTIVE for v in scope.versions}
    scope = dataclasses.replace(
        scope,
        testcases={k: dataclasses.replace(t, lifetime="day") for k, t in scope.testcases.items()},
        timeline=(standards.TimelineEntry(dt.date(2026, 1, 1), effective),),
    )
    world = World.__new__(World)
    world.database, world.scopes, world.names = database, [scope], ["rnd-a"]
    world.now = dt.datetime(2026, 4, 10, 12)
    with database.session() as session:
        add_account(session, "rnd-a", [], {"layer": "KaaS"})
    world.store("rnd-a", scope, world.now, dict.fromkeys(scope.testcases, 1), record=True)
    current = CurrentState([scope], clock=lambda: world.now)
    with database.session() as db:
        first = current.snapshot(db)
        assert first.evaluation("rnd-a", scope).summary.value == "PASS"
        assert first.valid_until == dt.datetime(2026, 4, 11)  # midnight comes first
        assert first.certificates  # issued by the passing report
        world.now = dt.datetime(2026, 4, 11, 23, 59)
        assert current.snapshot(db).evaluation("rnd-a", scope).summary.value == "PASS"
        world.now = dt.datetime(2026, 4, 12, 0, 0)  # the result expires
        later = current.snapshot(db)
        assert later is not first and later.evaluation("rnd-a", scope).summary.value == "MISSING"
        assert differences(world, later) == []
        world.now = dt.datetime(2027, 4, 10, 12, 0, 1)  # the certificate has expired
        assert current.snapshot(db).certificates == {}


def _bare_snapshot() -> Snapshot:
    moment = dt.datetime(2026, 4, 10, 12)
    return Snapshot(0, moment, moment, (), (), {}, {}, {}, {})


def test_concurrent_requests_for_one_key_compute_it_once_and_others_are_not_held_up() -> None:
    """Ten threads ask for the same page while its first computation is still running: one computes,
    nine wait for its value; a different key meanwhile is computed at once, not after it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    snapshot = _bare_snapshot()
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        assert release.wait(10)
        return "page"

    with ThreadPoolExecutor(10) as pool:
        waiting = [pool.submit(snapshot.memo, "page", slow) for _ in range(10)]
        assert started.wait(10)
        assert snapshot.memo("other", lambda: "other page") == "other page"  # not blocked by "page"
        assert not any(w.done() for w in waiting)
        release.set()
        assert [w.result(10) for w in waiting] == ["page"] * 10
    assert calls == ["slow"]


def test_a_failed_computation_reaches_its_waiters_and_the_next_request_tries_again() -> None:
    snapshot = _bare_snapshot()

    def broken() -> str:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        snapshot.memo("page", broken)
    assert snapshot.memo("page", lambda: "page") == "page"


def test_latest_keeps_one_value_per_key_and_recomputes_for_a_new_stamp() -> None:
    snapshot = _bare_snapshot()
    assert snapshot.latest("details", "shares-1", lambda: "one") == "one"
    assert snapshot.latest("details", "shares-1", lambda: "recomputed") == "one"
    assert snapshot.latest("details", "shares-2", lambda: "two") == "two"
    assert len(snapshot._memo) == 1  # only the newest stamp is kept


@pytest.mark.skipif("postgresql" not in DATABASES, reason="the quick counter read exists on PostgreSQL only")
def test_the_quick_counter_read_sees_every_commit_and_survives_a_dropped_connection(tmp_path: Path) -> None:
    """On its own autocommit connection, without a ping first: a commit is seen by the next read,
    and a pooled connection the server dropped costs one retry, not an error."""
    from sqlalchemy import text

    url = database_url("postgresql", tmp_path)
    migrate(url)
    database = Database(url)
    try:
        assert database.quick_reads is not None
        before = changes.current_quickly(database.quick_reads)
        with database.session() as session:
            changes.record(session, ["quick-a"])
        assert changes.current_quickly(database.quick_reads) == before + 1
        with database.quick_reads.connect() as connection:
            backend = connection.scalar(text("SELECT pg_backend_pid()"))
        with database.session() as session:
            session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert changes.current_quickly(database.quick_reads) == before + 1
    finally:
        database.close()


def test_an_upload_recomputes_the_pages_of_its_subject_only_and_an_account_change_those_of_its_account(
    database: Database,
) -> None:
    """Per-subject values (`memo_for`) survive a new snapshot for every subject that did not change:
    same facts objects, equal account and certificates. The one that reported, or whose account
    changed, is computed anew; a group (its members may change) never carries over."""
    scope = next(s for s in standards.bundled_scopes() if "KaaS" in s.name)
    world = World.__new__(World)
    world.database, world.scopes, world.names = database, [scope], ["rnd-a", "rnd-b"]
    world.now = dt.datetime(2026, 4, 10, 12)
    with database.session() as session:
        add_account(session, "rnd-a", [], {"layer": "KaaS", "group": "g"})
        add_account(session, "rnd-b", [], {"layer": "KaaS"})
    for name in world.names:
        world.store(name, scope, world.now - dt.timedelta(hours=1), dict.fromkeys(scope.testcases, 1), record=True)
    current = CurrentState([scope], clock=lambda: world.now)
    with database.session() as db:
        first = current.snapshot(db)
        pages = {name: first.memo_for(name, "page", lambda name=name: f"{name} v1") for name in world.names}
        assert first.memo_for("group-g", "page", lambda: "group v1") == "group v1"
    world.store("rnd-a", scope, world.now, {next(iter(scope.testcases)): -1}, record=True)
    with database.session() as db:
        second = current.snapshot(db)
        assert second is not first and current.carried == 1
        assert second.memo_for("rnd-b", "page", lambda: "recomputed") is pages["rnd-b"]  # unchanged: carried
        assert second.memo_for("rnd-a", "page", lambda: "rnd-a v2") == "rnd-a v2"  # it reported
        assert second.memo_for("group-g", "page", lambda: "group v2") == "group v2"  # groups never carry
    with database.session() as session:
        account = session.scalar(select(Account).where(Account.subject == "rnd-b"))
        assert account is not None
        account.display_name = "Renamed B"
        changes.record(session)  # as every account change does
    with database.session() as db:
        third = current.snapshot(db)
        assert third.memo_for("rnd-b", "page", lambda: "rnd-b v2") == "rnd-b v2"  # its account changed
        assert third.memo_for("rnd-a", "page", lambda: "again") == "rnd-a v2"  # carried from the second
