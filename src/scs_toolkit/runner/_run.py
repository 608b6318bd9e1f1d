"""Run a certificate scope against a subject: select versions and testcases, collect once, decide."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType

from .. import __version__
from ..checks import Outcome, Probe, Status, all_checks, evaluate
from ..checks._evaluate import Pending, Snapshot
from ..collect import KaasSnapshot
from ..collect._retry import CANCEL
from ..standards import Scope, Version
from ._model import RunResult, TestcaseResult, VersionVerdict

PRECEDENCE = (Status.FAIL, Status.MISSING, Status.ABORT)


class SelectionError(ValueError):
    """The requested version or testcase filter selects nothing; the message says what exists."""


def _merged(first: Snapshot, second: Snapshot) -> Snapshot:
    """One snapshot of two collections of disjoint parts (of one subject)."""
    values = {
        f.name: getattr(first, f.name) if getattr(first, f.name) is not None else getattr(second, f.name)
        for f in dataclasses.fields(first)
    }
    values.update(taken_at=second.taken_at, errors=MappingProxyType({**first.errors, **second.errors}))
    return type(first)(**values)


def select(
    scope: Scope, on: dt.date, version: str | None, tests: str | None, sections: Iterable[str] | None
) -> tuple[list[Version], list[str]]:
    """Versions to judge and the testcases to run (union of their required and recommended ones)."""
    if version is not None:
        try:
            versions = [scope.version(version)]
        except KeyError as error:
            raise SelectionError(str(error.args[0])) from None
    else:
        versions = list(scope.selected_versions(on))
        if not versions:
            raise SelectionError(f"no version of {scope.name} is in force on {on}; pick one with --version")
    ids = sorted({tc for v in versions for tc in (*v.required, *v.recommended)})
    if tests:
        # any testcase the scope defines, also one that no version lists (it then informs, it judges nothing)
        try:
            pattern = re.compile(tests)
        except re.error as error:
            raise SelectionError(f"--tests {tests!r} is not a regular expression: {error}") from None
        ids = sorted(tc for tc in scope.testcases if pattern.search(tc))
    if sections:
        wanted = set(sections)
        ids = [tc for tc in ids if scope.testcases[tc].section in wanted or scope.testcases[tc].section is None]
    ids = [tc for tc in ids if not scope.testcases[tc].manual]
    if not ids and not informing(scope, tests, sections):
        raise SelectionError("the filters select no testcase")
    return versions, ids


def informing(scope: Scope, tests: str | None, sections: Iterable[str] | None) -> list[str]:
    """The checks that inform this scope without being its automated testcases (run beside it, never judged):
    a manual testcase we automate, or a standard the scope does not include. Same filters as `select`."""
    pattern = re.compile(tests) if tests else None
    wanted = set(sections) if sections else None
    return sorted(
        tc
        for tc, check in all_checks().items()
        if check.informs == scope.uuid
        and (pattern is None or pattern.search(tc))
        and (wanted is None or check.section is None or check.section in wanted)
    )


def verdict(
    version: Version, results: dict[str, TestcaseResult], scope: Scope, on: dt.date, selected: set[str] | None = None
) -> VersionVerdict:
    """With a testcase filter (`selected`), the verdict covers only the selected required testcases."""
    status = next(s for s in scope.statuses(on) if s.version == version.name)
    by_status: dict[Status, list[str]] = {s: [] for s in Status}
    required = [tc for tc in version.required if selected is None or tc in selected]
    for tc in required:
        outcome = results.get(tc)
        by_status[outcome.outcome.status if outcome else Status.MISSING].append(tc)
    final = next((s for s in PRECEDENCE if by_status[s]), Status.PASS)
    return VersionVerdict(
        version.name,
        status,
        final,
        tuple(by_status[Status.FAIL]),
        tuple(by_status[Status.ABORT]),
        tuple(by_status[Status.MISSING]),
        tuple(required),
    )


def run_scope(
    scope: Scope,
    subject: str,
    collect: Callable[[set[str]], Snapshot],
    *,
    on: dt.date | None = None,
    version: str | None = None,
    tests: str | None = None,
    sections: Iterable[str] | None = None,
    argv: Iterable[str] = (),
    progress: Callable[[str, Outcome], None] | None = None,
    api_calls: Callable[[], int] | None = None,
    probe: Probe | None = None,
    run_uuid: str | None = None,
    cancel: threading.Event = CANCEL,
    assignment: dict[str, str] | None = None,
) -> RunResult:
    """Collect the snapshot parts the selected checks need (once), then decide every testcase.

    Once `cancel` is set (Ctrl-C), no testcase starts any more: those not begun are MISSING ("not
    run"), running probes stop waiting and clean up, and the result is the partial run.
    """
    started = time.monotonic()
    on = on or dt.date.today()
    run_uuid = run_uuid or str(uuid.uuid4())
    versions, ids = select(scope, on, version, tests, sections)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="login") as first:
        # authenticate once, before threads share the session; meanwhile the checks load (~0.3 s of
        # imports on first use), since the login mostly waits on the network
        logging_in = first.submit(collect, set())
        extras = [tc for tc in informing(scope, tests, sections) if tc not in ids]
        checks = all_checks()
        login = logging_in.result()
    needed = set().union(*(checks[tc].needs for tc in (*ids, *extras) if tc in checks))
    results: dict[str, TestcaseResult] = {}

    def decide(tc: str, snapshot: Snapshot | Pending) -> TestcaseResult:
        begun = time.monotonic()
        if cancel.is_set():
            outcome = Outcome(Status.MISSING, "not run: the run was interrupted")
        else:
            outcome = evaluate(snapshot, [tc], probe)[tc]
        if progress is not None:
            progress(tc, outcome)
        return TestcaseResult(tc, outcome, time.monotonic() - begun)

    # snapshot checks take microseconds; active probes wait on the cloud, so they run side by side and
    # start right after the login: each snapshot part loads on its own, and a probe reading one waits for
    # just that part (Pending) while it does what needs none (a probe VM's network)
    every = [*ids, *extras]
    active = [tc for tc in every if tc in checks and checks[tc].active]
    with ThreadPoolExecutor(max_workers=len(active) + len(needed) + 1) as pool:
        layer = "kaas" if isinstance(login, KaasSnapshot) else "iaas"
        parts = {part: pool.submit(collect, {part}) for part in sorted(needed)}
        pending = Pending(parts, layer)
        running = {tc: pool.submit(decide, tc, pending if checks[tc].needs else login) for tc in active}
        snapshot = functools.reduce(_merged, (future.result() for future in parts.values()), login)
        for tc in every:
            if tc not in running:
                results[tc] = decide(tc, snapshot)
        for tc, future in running.items():
            results[tc] = future.result()
    informed = {tc: results[tc] for tc in extras}
    results = {tc: results[tc] for tc in ids}
    partial = set(ids) if (tests or sections) else None
    verdicts = tuple(verdict(v, results, scope, on, partial) for v in versions)
    return RunResult(
        scope_uuid=scope.uuid,
        scope_name=scope.name,
        scope_url=scope.url,
        subject=subject,
        run_uuid=run_uuid,
        checked_at=dt.datetime.now(dt.UTC),
        reference_date=on,
        argv=tuple(argv),
        forced_version=version,
        forced_tests=tests,
        sections=tuple(sections) if sections else None,
        results=MappingProxyType(results),
        verdicts=verdicts,
        duration_s=time.monotonic() - started,
        api_calls=api_calls() if api_calls else None,
        tool_version=__version__,
        snapshot_errors=MappingProxyType(dict(snapshot.errors)),
        resource_prefix=probe.prefix if probe is not None else None,
        interrupted=cancel.is_set(),
        extras=MappingProxyType(informed),
        assignment=MappingProxyType(dict(assignment or {"os_cloud": subject})),
    )
