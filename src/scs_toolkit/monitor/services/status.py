"""Evaluations read from the database.

"Now" (overview, details, badges) comes from the small `latest_result` table kept current at
ingestion; a past moment is one indexed range query bounded by the longest result lifetime; the
daily history is one range query swept forward in memory. No page scans the whole history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...standards import Scope
from ..db import Account, LatestResult, Report, Result
from .evaluation import ScopeEvaluation, StoredResult, daily_history, evaluate_scope, worst_of

#: A result lives at most until the first of the month 14 months on (lifetime `year`).
LOOKBACK = dt.timedelta(days=460)
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


def current(db: Session, subjects: Iterable[str], scopes: Iterable[Scope]) -> dict[tuple[str, str], ScopeEvaluation]:
    """Evaluations for now of every (subject, scope uuid); one query for all of them."""
    scopes, names = list(scopes), list(subjects)
    columns = (LatestResult.subject, LatestResult.scope_uuid, LatestResult.testcase, LatestResult.value)
    query = select(*columns, LatestResult.checked_at, LatestResult.report_uuid).where(
        LatestResult.scope_uuid.in_([s.uuid for s in scopes]), LatestResult.subject.in_(names)
    )  # plain rows, not ORM objects: the overview reads thousands
    grouped: dict[tuple[str, str], list[StoredResult]] = defaultdict(list)
    for subject, scope_uuid, testcase, value, checked_at, report_uuid in db.execute(query):
        grouped[subject, scope_uuid].append(StoredResult(testcase, value, checked_at, report_uuid))
    now = utcnow()
    return {
        (name, scope.uuid): evaluate_scope(scope, grouped.get((name, scope.uuid), []), now)
        for name in names
        for scope in scopes
    }


def evaluate(db: Session, subject: str, scope: Scope, moment: dt.datetime | None = None) -> ScopeEvaluation:
    """One subject (or `group-NAME`: worst of its members) and scope, now or at a past moment."""
    names = members(db, subject) or [subject]
    if moment is None:
        now = current(db, names, [scope])
        evaluations = [now[name, scope.uuid] for name in names]
    else:
        evaluations = [
            evaluate_scope(scope, _history(db, name, scope, moment - LOOKBACK, moment), moment) for name in names
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
    reporting = db.scalars(select(Report.subject).distinct())
    return sorted(set(declared) | set(reporting))


def history(db: Session, subject: str, scope: Scope, days: int = HISTORY_DAYS) -> list[tuple[dt.date, ScopeEvaluation]]:
    """Status at the end of each of the last `days` days, today included."""
    now = utcnow()
    dates = [now.date() - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    start = dt.datetime.combine(dates[0], dt.time()) - LOOKBACK
    names = members(db, subject)
    if not names:
        return list(zip(dates, daily_history(scope, _history(db, subject, scope, start, now), dates, now), strict=True))
    per_member = [daily_history(scope, _history(db, name, scope, start, now), dates, now) for name in names]
    return [
        (date, worst_of(scope.uuid, per_member[0][index].at, [m[index] for m in per_member]))
        for index, date in enumerate(dates)
    ]


def _history(db: Session, subject: str, scope: Scope, start: dt.datetime, end: dt.datetime) -> list[StoredResult]:
    rows = db.execute(
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
