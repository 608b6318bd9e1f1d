"""What the public pages show about "now", computed once per change instead of once per request.

A `Snapshot` holds, for every subject the pages can name, its evaluation per scope, its newest
check, the valid certificates and the account facts, all at one moment. It is reused while two
things hold, checked on every request:

- the database's change counter (`changes.current`, one primary-key read) still has the value the
  snapshot was built at: every upload, certificate issue or revocation and account change bumps it
  in its own transaction, on whichever replica (or CLI process) wrote it;
- no time boundary has passed since: the earliest future expiry of a shown result, a result not yet
  counting, the expiry of a valid certificate, or midnight UTC (version states follow the scope
  timeline by date, and so do the 30/90-day windows).

Otherwise the next request builds a new snapshot, reusing the evaluation of every subject whose own
counter stamp (`subject_generation`) did not move and whose facts have not reached a boundary, so an
upload costs the evaluation of one subject, not of all. One request builds at a time per process; the
others wait for its result instead of computing the same. Each replica keeps its own snapshot, but
since validity is decided by the database on every request, none serves state another replica's
write has outdated. `at` is injectable (`clock`) so tests can walk across boundaries.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import standards
from ..db import Account, LatestResult
from . import changes, status
from .evaluation import ScopeEvaluation, StoredResult, evaluate_scope, worst_of

T = TypeVar("T")


@dataclass(frozen=True)
class HeldCertificate:
    """A valid certificate as the pages show it (plain data: snapshots are shared between threads)."""

    serial: str
    version: str
    issued_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class AccountFacts:
    """The account columns the public pages show (None: no account)."""

    display_name: str | None
    description: str | None
    operator: str | None
    layer: str | None
    group: str | None
    healthmon_url: str | None


@dataclass(frozen=True)
class SubjectFacts:
    """One subject (never a group) at one moment: evaluations and newest checks per scope uuid."""

    stamp: int
    evaluations: dict[str, ScopeEvaluation]
    newest: dict[str, dt.datetime]
    valid_until: dt.datetime


@dataclass
class Snapshot:
    """Everything "now" the public pages need, valid for `generation` until `valid_until`."""

    generation: int
    at: dt.datetime
    valid_until: dt.datetime
    scopes: tuple[standards.Scope, ...]
    listed: tuple[str, ...]
    accounts: dict[str, AccountFacts]
    groups: dict[str, tuple[str, ...]]
    facts: dict[str, SubjectFacts]
    certificates: dict[tuple[str, str], tuple[HeldCertificate, ...]]
    _memo: dict[Hashable, object] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def valid(self, generation: int, now: dt.datetime) -> bool:
        return generation == self.generation and self.at.date() == now.date() and now < self.valid_until

    def known(self, subject: str) -> bool:
        """Listed, or a group with members (what `subjects.require` accepts)."""
        return subject in self._listed_set or bool(self.members(subject))

    @property
    def _listed_set(self) -> frozenset[str]:
        return self.memo("listed-set", lambda: frozenset(self.listed))

    def members(self, subject: str) -> tuple[str, ...]:
        """The accounts of group `NAME` when `subject` is `group-NAME`, else nothing."""
        if not subject.startswith(status.GROUP_PREFIX):
            return ()
        return self.groups.get(subject[len(status.GROUP_PREFIX) :], ())

    def evaluation(self, subject: str, scope: standards.Scope) -> ScopeEvaluation:
        """As `status.evaluate(db, subject, scope)`: a group is as good as its worst member."""
        names = self.members(subject) or (subject,)
        evaluations = [self._facts(name).evaluations[scope.uuid] for name in names]
        if len(names) == 1 and names[0] == subject:
            return evaluations[0]
        return worst_of(scope.uuid, evaluations[0].at, evaluations)

    def newest(self, subject: str) -> dict[str, dt.datetime]:
        """Newest check per scope uuid of the subject (a group: of any member)."""
        found: dict[str, dt.datetime] = {}
        for name in self.members(subject) or (subject,):
            for scope_uuid, moment in self._facts(name).newest.items():
                if moment > found.get(scope_uuid, status.EARLIEST):
                    found[scope_uuid] = moment
        return found

    def stamp(self, subject: str) -> tuple[int, ...]:
        """What the subject's (or group's) history depends on: the counter stamps of its members."""
        return tuple(self._facts(name).stamp for name in self.members(subject) or (subject,))

    def account(self, subject: str) -> AccountFacts | None:
        return self.accounts.get(subject)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per snapshot (pages built from it: overview rows, serialized JSON)."""
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]  # type: ignore[return-value]

    def latest(self, key: Hashable, stamp: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per `stamp` (a page that also shows the time, per second), keeping only the
        newest stamp per key, so a snapshot that lives all day holds one copy, not one per second."""
        with self._lock:
            found = self._memo.get(key)
            if isinstance(found, tuple) and len(found) == 2 and found[0] == stamp:
                return found[1]  # type: ignore[no-any-return]
        value = compute()  # outside the lock: other keys are not held up by this one
        with self._lock:
            self._memo[key] = (stamp, value)
        return value

    def _facts(self, subject: str) -> SubjectFacts:
        found = self.facts.get(subject)
        if found is None:  # a name the pages do not list (a 404 comes first): nothing reported
            found = self.facts[subject] = _unreported(self.scopes, self.at)
        return found


def _unreported(scopes: Sequence[standards.Scope], at: dt.datetime) -> SubjectFacts:
    return SubjectFacts(0, {s.uuid: evaluate_scope(s, [], at) for s in scopes}, {}, dt.datetime.max)


class CurrentState:
    """The per-process snapshot and how it is kept valid (see the module docstring)."""

    def __init__(
        self,
        scopes: Sequence[standards.Scope] | None = None,
        clock: Callable[[], dt.datetime] = status.utcnow,
    ) -> None:
        self._scopes = tuple(scopes) if scopes is not None else None
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._build = threading.Lock()
        self.builds = 0  # how many snapshots were built (tests: a hit builds none)

    @property
    def scopes(self) -> tuple[standards.Scope, ...]:
        return self._scopes if self._scopes is not None else tuple(standards.bundled_scopes())

    def snapshot(self, db: Session) -> Snapshot:
        """The valid snapshot: the cached one after one counter read, else a new one."""
        generation = changes.current(db)  # first: everything read after it is at least this new
        now = self._clock()
        found = self._snapshot
        if found is not None and found.valid(generation, now):
            return found
        with self._build:
            found = self._snapshot  # another request may have built it meanwhile
            if found is not None and found.generation >= generation and found.valid(found.generation, now):
                return found
            built = self._snapshot = _build(db, generation, now, self.scopes, found)
            self.builds += 1
            return built


def _build(
    db: Session, generation: int, now: dt.datetime, scopes: tuple[standards.Scope, ...], previous: Snapshot | None
) -> Snapshot:
    stamps = changes.subject_generations(db)  # after the counter, before the results: never older than either
    accounts: dict[str, AccountFacts] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    declared = []
    columns = (
        Account.subject,
        Account.display_name,
        Account.description,
        Account.operator,
        Account.layer,
        Account.group,
        Account.healthmon_url,
    )
    for subject, display_name, description, operator, layer, group, healthmon_url in db.execute(select(*columns)):
        accounts[subject] = AccountFacts(display_name, description, operator, layer, group, healthmon_url)
        if layer is not None or display_name is not None:
            declared.append(subject)
        if group is not None:
            groups[group].append(subject)
    listed = tuple(sorted(set(declared) | set(stamps)))  # as `status.subjects`
    needed = set(listed) | {m for members in groups.values() for m in members}
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    same_scopes = previous is not None and len(previous.scopes) == len(scopes)
    same_scopes = same_scopes and all(a is b for a, b in zip(previous.scopes, scopes, strict=False))  # type: ignore[union-attr]
    reusable = previous.facts if previous is not None and same_scopes else {}
    facts: dict[str, SubjectFacts] = {}
    stale = []
    for subject in needed:
        old = reusable.get(subject)
        if old is not None and old.stamp == stamps.get(subject, 0) and now < old.valid_until:
            facts[subject] = old
        else:
            stale.append(subject)
    facts.update(_evaluate(db, stale, stamps, scopes, now, midnight))
    certificates: dict[tuple[str, str], tuple[HeldCertificate, ...]] = {}
    boundary = midnight
    for key, held in status.valid_certificates(db, now).items():
        certificates[key] = tuple(HeldCertificate(c.serial, c.version, c.issued_at, c.expires_at) for c in held)
        boundary = min([boundary, *(c.expires_at for c in held)])
    valid_until = min([boundary, *(f.valid_until for f in facts.values())])
    return Snapshot(
        generation=generation,
        at=now,
        valid_until=valid_until,
        scopes=scopes,
        listed=listed,
        accounts=accounts,
        groups={group: tuple(sorted(members)) for group, members in groups.items()},
        facts=facts,
        certificates=certificates,
    )


def _evaluate(
    db: Session,
    subjects: Iterable[str],
    stamps: dict[str, int],
    scopes: tuple[standards.Scope, ...],
    now: dt.datetime,
    midnight: dt.datetime,
) -> dict[str, SubjectFacts]:
    """Evaluations of `subjects` now, from their latest results (one query; all subjects: no filter)."""
    names = sorted(subjects)
    if not names:
        return {}
    columns = (LatestResult.subject, LatestResult.scope_uuid, LatestResult.testcase, LatestResult.value)
    query = select(*columns, LatestResult.checked_at, LatestResult.report_uuid).where(
        LatestResult.scope_uuid.in_([s.uuid for s in scopes])
    )
    if len(names) < len(stamps):  # a few changed: only their rows (an index range each)
        query = query.where(LatestResult.subject.in_(names))
    wanted = set(names)
    grouped: dict[tuple[str, str], list[StoredResult]] = defaultdict(list)
    newest: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    later: dict[str, dt.datetime] = {}  # results not counting yet (checked after now): a boundary
    for subject, scope_uuid, testcase, value, checked_at, report_uuid in db.execute(query):
        if subject not in wanted:
            continue
        grouped[subject, scope_uuid].append(StoredResult(testcase, value, checked_at, report_uuid))
        if checked_at > newest[subject].get(scope_uuid, status.EARLIEST):
            newest[subject][scope_uuid] = checked_at
        if checked_at > now:
            later[subject] = min(later.get(subject, dt.datetime.max), checked_at)
    found = {}
    for subject in names:
        evaluations = {s.uuid: evaluate_scope(s, grouped.get((subject, s.uuid), []), now) for s in scopes}
        expiries = [
            t.expires_at
            for e in evaluations.values()
            for v in e.versions
            for t in v.testcases
            if t.expires_at is not None and t.expires_at > now
        ]
        until = min([midnight, later.get(subject, dt.datetime.max), *expiries])
        found[subject] = SubjectFacts(stamps.get(subject, 0), evaluations, dict(newest.get(subject, {})), until)
    return found
