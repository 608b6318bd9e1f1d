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
from concurrent.futures import Future
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


class _PerSubject:
    """Marks the memo keys of `Snapshot.memo_for` (the first element of the key tuple)."""


@dataclass(frozen=True)
class _Stamped:
    """A `Snapshot.latest` entry: the value computed for `stamp`."""

    stamp: Hashable
    value: object


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
    _flights: dict[Hashable, Future[object]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        """`compute()` once per snapshot (pages built from it: overview rows, serialized JSON). Single
        flight: while one request computes a key, the others asking for it wait for that result
        instead of computing it again; other keys are not held up."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[return-value]
            flight = self._flights.get(key)
            owner = flight is None
            if flight is None:
                flight = self._flights[key] = Future()
        if not owner:
            return flight.result()  # type: ignore[return-value]
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                del self._flights[key]
            flight.set_exception(error)
            raise
        with self._lock:
            self._memo[key] = value
            del self._flights[key]
        flight.set_result(value)
        return value

    def memo_for(self, subject: str, key: Hashable, compute: Callable[[], T]) -> T:
        """`memo` for what depends only on one subject's facts, account and certificates: carried over
        to the next snapshot while those stay the same (an upload re-renders one subject's pages)."""
        return self.memo((_PerSubject, subject, key), compute)

    def latest_for(self, subject: str, key: Hashable, stamp: Hashable, compute: Callable[[], T]) -> T:
        """`latest` per subject, carried over as `memo_for`."""
        return self.latest((_PerSubject, subject, key), stamp, compute)

    def carry_over(self, previous: Snapshot) -> int:
        """Take over `previous`'s per-subject values of every plain subject (not a group) whose facts
        are the same objects (not re-evaluated: same stamp, no boundary reached) and whose account
        and certificates are equal; the number of values taken."""
        if previous.scopes != self.scopes:
            return 0
        unchanged: dict[str, bool] = {}

        def same(subject: str) -> bool:
            if subject not in unchanged:
                unchanged[subject] = (
                    not self.members(subject)
                    and self.facts.get(subject) is not None
                    and self.facts.get(subject) is previous.facts.get(subject)
                    and self.accounts.get(subject) == previous.accounts.get(subject)
                    and all(
                        self.certificates.get((subject, s.uuid)) == previous.certificates.get((subject, s.uuid))
                        for s in self.scopes
                    )
                )
            return unchanged[subject]

        with previous._lock:
            entries = [(k, v) for k, v in previous._memo.items() if isinstance(k, tuple) and k[0] is _PerSubject]
        taken = {key: value for key, value in entries if same(key[1])}
        with self._lock:
            for key, value in taken.items():
                self._memo.setdefault(key, value)
        return len(taken)

    def latest(self, key: Hashable, stamp: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per `stamp` (what else the value depends on), keeping only the newest
        stamp per key, so a snapshot that lives all day holds one copy per key; single flight as `memo`."""
        with self._lock:
            found = self._memo.get(key)
            if isinstance(found, _Stamped) and found.stamp == stamp:
                return found.value  # type: ignore[return-value]
        value = self.memo((_Stamped, key, stamp), compute)
        with self._lock:
            self._memo[key] = _Stamped(stamp, value)
            self._memo.pop((_Stamped, key, stamp), None)
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
        counter: Callable[[Session], int] = changes.current,
    ) -> None:
        self._scopes = tuple(scopes) if scopes is not None else None
        self._clock = clock
        self._counter = counter
        self._snapshot: Snapshot | None = None
        self._build = threading.Lock()
        self.builds = 0  # how many snapshots were built (tests: a hit builds none)
        self.carried = 0  # how many per-subject values later snapshots took over from earlier ones

    @property
    def scopes(self) -> tuple[standards.Scope, ...]:
        return self._scopes if self._scopes is not None else tuple(standards.bundled_scopes())

    def snapshot(self, db: Session) -> Snapshot:
        """The valid snapshot: the cached one after one counter read, else a new one."""
        generation = self._counter(db)  # first: everything read after it is at least this new
        now = self._clock()
        found = self._snapshot
        if found is not None and found.valid(generation, now):
            return found
        with self._build:
            found = self._snapshot  # another request may have built it meanwhile
            if found is not None and found.generation >= generation and found.valid(found.generation, now):
                return found
            built = _build(db, generation, now, self.scopes, found)
            if found is not None:
                self.carried += built.carry_over(found)
            self._snapshot = built
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
