"""Evaluations read from the database.

"Now" (overview, details, badges) comes from the small `latest_result` table kept current at
ingestion; a past moment is one indexed range query bounded by the longest result lifetime; the
daily history is one range query swept forward in memory. No page scans the whole history: the
overview's 30/90-day compliance shares come from a per-process cache that recomputes a subject only
when its change stamp (or the day) changes. The pages about now go through `current.CurrentState`,
which keeps these evaluations between changes; the functions here are the plain way, for moments
in the past and for callers without the cache.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ...standards import Scope, result_expiry
from ..db import Account, Certificate, Database, LatestResult, Report, Result, SubjectGeneration
from .evaluation import ScopeEvaluation, StoredResult, certified_days, daily_history, evaluate_scope, worst_of

#: A result lives at most until the first of the month 14 months on (lifetime `year`).
LOOKBACK = dt.timedelta(days=460)
#: How long a result of each lifetime can count at most (result_expiry's longest case, rounded up).
_LIFETIME_BOUND = {"day": 3, "week": 15, "month": 63, "quarter": 185, "year": 460}
#: The windows of the overview's compliance shares, in days.
COMPLIANCE_WINDOWS = (30, 90)
HISTORY_DAYS = 548  # 18 months (scs-0004 Reg. 4)
GROUP_PREFIX = "group-"
#: The moments the monitor reasons about: results and `at` before SCS certification existed, or far
#: in the future, are input errors (and `moment - LOOKBACK` must never leave the datetime range).
EARLIEST = dt.datetime(2000, 1, 1)
LATEST = dt.datetime(2999, 12, 31)


def utcnow() -> dt.datetime:
    """Naive UTC, as the database stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` as naive UTC (naive input already is); ValueError when it leaves the datetime range."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{moment} is out of range") from None


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) moment as timezone-aware UTC, for everything the monitor emits."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def lookback(scope: Scope) -> dt.timedelta:
    """How far before a moment a result of `scope` can still count (its longest testcase lifetime)."""
    lifetimes = {t.lifetime for t in scope.testcases.values()} or {"year"}
    return dt.timedelta(days=max(_LIFETIME_BOUND.get(lifetime, 460) for lifetime in lifetimes))


def current(db: Session, subjects: Iterable[str], scopes: Iterable[Scope]) -> dict[tuple[str, str], ScopeEvaluation]:
    """Evaluations for now of every (subject, scope uuid); one query for all of them."""
    return current_facts(db, subjects, scopes)[0]


def current_facts(
    db: Session, subjects: Iterable[str], scopes: Iterable[Scope]
) -> tuple[dict[tuple[str, str], ScopeEvaluation], dict[tuple[str, str], dt.datetime]]:
    """`current` plus, per (subject, scope uuid) that ever reported, its newest check (expired or not)."""
    scopes, names = list(scopes), list(subjects)
    columns = (LatestResult.subject, LatestResult.scope_uuid, LatestResult.testcase, LatestResult.value)
    query = select(*columns, LatestResult.checked_at, LatestResult.report_uuid).where(
        LatestResult.scope_uuid.in_([s.uuid for s in scopes]), LatestResult.subject.in_(names)
    )  # plain rows, not ORM objects: the overview reads thousands
    grouped: dict[tuple[str, str], list[StoredResult]] = defaultdict(list)
    newest: dict[tuple[str, str], dt.datetime] = {}
    for subject, scope_uuid, testcase, value, checked_at, report_uuid in db.execute(query):
        grouped[subject, scope_uuid].append(StoredResult(testcase, value, checked_at, report_uuid))
        if checked_at > newest.get((subject, scope_uuid), EARLIEST):
            newest[subject, scope_uuid] = checked_at
    now = utcnow()
    evaluations = {
        (name, scope.uuid): evaluate_scope(scope, grouped.get((name, scope.uuid), []), now)
        for name in names
        for scope in scopes
    }
    return evaluations, newest


def valid_certificates(
    db: Session, now: dt.datetime, subject: str | None = None
) -> dict[tuple[str, str], list[Certificate]]:
    """Certificates neither revoked nor expired, per (subject, scope uuid), newest first: one small query."""
    query = (
        select(Certificate)
        .where(Certificate.revoked_at.is_(None), Certificate.expires_at > now)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    if subject is not None:
        query = query.where(Certificate.subject == subject)
    found: dict[tuple[str, str], list[Certificate]] = defaultdict(list)
    for certificate in db.scalars(query):
        found[certificate.subject, certificate.scope_uuid].append(certificate)
    return found


def scope_layer(scope: Scope) -> str | None:
    """The layer a scope certifies (IaaS or KaaS), from its official name; None when it names neither."""
    words = scope.name.replace("-", " ").split()
    return next((layer for layer in ("IaaS", "KaaS") if layer in words), None)


@dataclass(frozen=True)
class Offering:
    """Whether a subject offers what a scope certifies, and why we think so (shown as a tooltip)."""

    offered: bool
    why: str


def offering(layer: str | None, scope: Scope, reported: bool, reported_any: bool = True) -> Offering:
    """From the account's `layer` when it has one, else from which scopes the subject reported on (a
    subject without any report yet is expected everywhere: its results are missing, not "not offered")."""
    wanted = scope_layer(scope)
    if layer:
        if wanted is None or layer.lower() == wanted.lower():
            return Offering(True, f"the account declares layer {layer}")
        return Offering(False, f"not offered: the account declares layer {layer}, this scope certifies {wanted}")
    if reported:
        return Offering(True, "the subject has reports for this scope")
    if not reported_any:
        return Offering(True, "the account declares no layer and no report has arrived yet")
    return Offering(False, "not offered: the account declares no layer and all its reports are for other scopes")


def first_report(db: Session, subject: str, scope: Scope) -> dt.datetime | None:
    """When the subject (or any member of a group) first reported on the scope: before it there is no data."""
    names = members(db, subject) or [subject]
    return db.scalar(
        select(func.min(Report.checked_at)).where(Report.subject.in_(names), Report.scope_uuid == scope.uuid)
    )


def compliance(
    db: Session, subject: str, scope: Scope, windows: Sequence[int] = COMPLIANCE_WINDOWS
) -> dict[str, float | None]:
    """Share of the last N days (counting only days since the first report) that ended certified.

    One range query (testcase, value, time: no join) over the longest window plus the scope's longest
    result lifetime, swept forward once; None for a window without a day since the first report.
    """
    first = first_report(db, subject, scope)
    labels = [f"{w}d" for w in windows]
    if first is None:
        return dict.fromkeys(labels)
    now = utcnow()
    dates = [now.date() - dt.timedelta(days=offset) for offset in range(max(windows) - 1, -1, -1)]
    start = dt.datetime.combine(dates[0], dt.time()) - lookback(scope)
    names = members(db, subject) or [subject]
    per_member = []
    for name in names:
        days = certified_by_check(db, name, scope, start, now, dates)
        if days is None:  # some check covered only part of a version: the sweep over every result
            rows = db.connection().execute(  # Core rows: thousands of them, no ORM loading needed
                select(Result.testcase, Result.value, Result.checked_at).where(
                    Result.subject == name,
                    Result.scope_uuid == scope.uuid,
                    Result.checked_at <= now,
                    Result.checked_at > start,
                )
            )
            days = certified_days(scope, ((t, v, c) for t, v, c in rows), dates, now)
        per_member.append(days)
    certified = [all(member[index] for member in per_member) for index in range(len(dates))]
    shares: dict[str, float | None] = {}
    for window, label in zip(windows, labels, strict=True):
        counted = [ok for day, ok in zip(dates[-window:], certified[-window:], strict=True) if day >= first.date()]
        shares[label] = round(sum(counted) / len(counted), 4) if counted else None
    return shares


def certified_by_check(
    db: Session, subject: str, scope: Scope, start: dt.datetime, now: dt.datetime, dates: Sequence[dt.date]
) -> list[bool] | None:
    """`certified_days` from one row per check moment instead of one per result (the usual case: every
    report covers whole versions). The database counts, per moment and certifiable version, how many of
    its required testcases were checked and how many of them did not pass; a day ended certified when
    the newest check before its end covered a certifiable version, passed it completely and has not
    expired. None when some check covered a version only in part: then the newest result of a testcase
    may come from an older check, and only the full sweep (`certified_days`) is right."""
    periods: dict[dt.date, list[int]] = {}  # day -> indexes into `sets` of that day's certifiable versions
    sets: list[tuple[str, ...]] = []
    for day in dates:
        wanted = [scope.version(s.version).required for s in scope.statuses(day) if s.listed and s.state.certifiable]
        for required in wanted:
            if required not in sets:
                sets.append(required)
        periods[day] = [sets.index(required) for required in wanted]
    if not sets:
        return [False] * len(dates)
    columns: list[Any] = [Result.checked_at]
    for required in sets:
        inside = Result.testcase.in_(required)
        columns.append(func.count(func.distinct(case((inside, Result.testcase)))))
        columns.append(func.count(case((and_(inside, Result.value != 1), 1))))
    query = (
        select(*columns)
        .where(
            Result.subject == subject,
            Result.scope_uuid == scope.uuid,
            Result.checked_at <= now,
            Result.checked_at > start,
        )
        .group_by(Result.checked_at)
        .order_by(Result.checked_at)
    )
    checks = db.connection().execute(query).all()
    sizes = [len(set(required)) for required in sets]
    if any(check[1 + 2 * index] < size for check in checks for index, size in enumerate(sizes)):
        return None
    lifetimes = [sorted({scope.testcases[t].lifetime for t in required}) for required in sets]
    expiries: dict[tuple[dt.date, int], dt.datetime] = {}

    def expiry(moment: dt.datetime, index: int) -> dt.datetime:
        key = (moment.date(), index)
        if key not in expiries:
            expiries[key] = min((result_expiry(moment, life) for life in lifetimes[index]), default=dt.datetime.max)
        return expiries[key]

    answers, position = [], -1
    for day in dates:
        moment = min(dt.datetime.combine(day, dt.time.max), now)
        while position + 1 < len(checks) and checks[position + 1][0] <= moment:
            position += 1
        if position < 0:
            answers.append(False)
            continue
        check = checks[position]
        answers.append(any(check[2 + 2 * i] == 0 and moment < expiry(check[0], i) for i in periods[day]))
    return answers


class ComplianceCache:
    """The overview's compliance shares, per process (like the verification cache).

    An entry is reused while the day and the subject's stamp stay the same (the counter value of its
    last change, `subject_generation`, read from the database on every request: so a report another
    replica stored, even one dated before the newest, is seen at once), so a page view recomputes only
    the subjects that reported since. A request spends at most `budget_s` on
    computing; what is left (a cold start with many subjects) is computed by one background thread
    with its own session, and the page shows the previous value or "computing" until then. Replicas
    keep their own copies; all of them compute the same.
    """

    def __init__(self, database: Database | None = None, budget_s: float = 0.1, capacity: int = 10_000) -> None:
        self._database = database
        self._budget_s = budget_s
        self._capacity = capacity
        self._entries: dict[tuple[str, str], tuple[tuple[dt.date, Hashable], dict[str, float | None]]] = {}
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="compliance") if database is not None else None

    def shares(
        self, db: Session, wanted: Iterable[tuple[str, Scope, Hashable | None]], wait: bool = False
    ) -> dict[tuple[str, str], dict[str, float | None] | None]:
        """Per (subject, scope uuid) and what its history depends on (its change stamp; None: it never
        reported): the shares, or None while they are being computed (`wait`: compute everything now,
        for machine readers)."""
        started = time.monotonic()
        found: dict[tuple[str, str], dict[str, float | None] | None] = {}
        today = utcnow().date()
        for subject, scope, changed in wanted:
            key, stamp = (subject, scope.uuid), (today, changed)
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None and entry[0] == stamp:
                found[key] = entry[1]
            elif changed is None:
                found[key] = dict.fromkeys(f"{w}d" for w in COMPLIANCE_WINDOWS)
            elif wait or self._worker is None or time.monotonic() - started < self._budget_s:
                found[key] = self._store(key, stamp, compliance(db, subject, scope))
            else:
                found[key] = entry[1] if entry is not None else None
                self._later(key, stamp, subject, scope)
        return found

    def _store(
        self, key: tuple[str, str], stamp: tuple[dt.date, Hashable], shares: dict[str, float | None]
    ) -> dict[str, float | None]:
        with self._lock:
            if len(self._entries) >= self._capacity:
                self._entries.clear()
            self._entries[key] = (stamp, shares)
            self._pending.discard(key)
        return shares

    def _later(self, key: tuple[str, str], stamp: tuple[dt.date, Hashable], subject: str, scope: Scope) -> None:
        assert self._worker is not None and self._database is not None
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        database = self._database

        def compute() -> None:
            try:
                with database.session() as session:
                    self._store(key, stamp, compliance(session, subject, scope))
            except Exception:  # the database went away (shutdown): the next page view tries again
                with self._lock:
                    self._pending.discard(key)

        try:
            self._worker.submit(compute)
        except RuntimeError:  # shut down
            with self._lock:
                self._pending.discard(key)

    def drained(self) -> None:
        """Wait until the background computations asked for so far are done (tests, screenshots)."""
        if self._worker is not None:
            self._worker.submit(lambda: None).result()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)


def evaluate(db: Session, subject: str, scope: Scope, moment: dt.datetime | None = None) -> ScopeEvaluation:
    """One subject (or `group-NAME`: worst of its members) and scope, now or at a past moment."""
    names = members(db, subject) or [subject]
    if moment is None:
        now = current(db, names, [scope])
        evaluations = [now[name, scope.uuid] for name in names]
    else:
        evaluations = [
            evaluate_scope(scope, _history(db, name, scope, moment - lookback(scope), moment), moment) for name in names
        ]
    return (
        evaluations[0]
        if len(names) == 1 and names[0] == subject
        else worst_of(scope.uuid, evaluations[0].at, evaluations)
    )


def members(db: Session, subject: str) -> list[str]:
    """The accounts of group `NAME` when `subject` is `group-NAME`, else nothing."""
    if not subject.startswith(GROUP_PREFIX):
        return []
    return sorted(db.scalars(select(Account.subject).where(Account.group == subject[len(GROUP_PREFIX) :])))


def subjects(db: Session) -> list[str]:
    """Who the public pages list: every subject with reports and every account declared a cloud
    (layer or display name set); pure uploader or admin accounts stay off the list."""
    declared = db.scalars(
        select(Account.subject).where(or_(Account.layer.is_not(None), Account.display_name.is_not(None)))
    )
    reporting = db.scalars(select(SubjectGeneration.subject))  # kept at ingestion: no DISTINCT over the reports
    return sorted(set(declared) | set(reporting))


def history(db: Session, subject: str, scope: Scope, days: int = HISTORY_DAYS) -> list[tuple[dt.date, ScopeEvaluation]]:
    """Status at the end of each of the last `days` days, today included."""
    now = utcnow()
    dates = [now.date() - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    start = dt.datetime.combine(dates[0], dt.time()) - lookback(scope)
    names = members(db, subject)
    if not names:
        return list(zip(dates, daily_history(scope, _history(db, subject, scope, start, now), dates, now), strict=True))
    per_member = [daily_history(scope, _history(db, name, scope, start, now), dates, now) for name in names]
    return [
        (date, worst_of(scope.uuid, per_member[0][index].at, [m[index] for m in per_member]))
        for index, date in enumerate(dates)
    ]


def _history(db: Session, subject: str, scope: Scope, start: dt.datetime, end: dt.datetime) -> list[StoredResult]:
    rows = db.connection().execute(  # Core rows: tens of thousands of them, no ORM loading needed
        select(Result.testcase, Result.value, Result.checked_at, Report.uuid)
        .join(Report, Report.id == Result.report_id)
        .where(
            Result.subject == subject,
            Result.scope_uuid == scope.uuid,
            Result.checked_at <= end,
            Result.checked_at > start,
        )
    )
    return [StoredResult(t, v, c, u) for t, v, c, u in rows]
