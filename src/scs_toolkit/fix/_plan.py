"""Make a plan: judge the live cloud, ask each standard's planner, and prove the result on paper.

The testcases are those `scs check` would run (the scope's current versions, `--tests` like there),
or those of a saved report. Only snapshot checks are judged here; the active probes (a VM, a backup,
a secret) are never run by a plan, so their failures come from the report, if one is given. After
the planners propose, the projected cloud is judged again: whatever would still fail is listed with
the check's reason and, unless a planner explained it, as a step for the operator with the standard's
own words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..checks import Outcome, Status, all_checks
from ..runner import SelectionError, select
from ..standards import Scope
from . import _default_rules, _flavors, _images, _volume_types
from ._catalogue import Catalogue
from ._context import Context, Proposal, judge
from ._inventory import Inventory
from ._model import Area, Change, OperatorStep, Plan, frozen
from ._project import project
from ._report_input import SavedReport
from ._texts import guidance, standard_of

PLANNERS: tuple[Callable[[Context], Proposal], ...] = (
    _flavors.plan,
    _images.plan,
    _volume_types.plan,
    _default_rules.plan,
)
_AREA_ORDER = {area: index for index, area in enumerate(Area)}


@dataclass(frozen=True)
class Selection:
    """Which testcases a plan is for, and what the operator gave to plan with."""

    scope: Scope
    tests: str | None = None
    report: SavedReport | None = None
    catalogue: Catalogue | None = None
    on: dt.date | None = None


def testcases(selection: Selection) -> tuple[str, ...]:
    """As `scs check` selects them; with a report, the report's testcases (ours, of the IaaS layer)."""
    checks = all_checks()
    if selection.report is not None:
        ids = [tc for tc in selection.report.results if tc in checks and checks[tc].layer == "iaas"]
        if selection.tests:
            pattern = re.compile(selection.tests)
            ids = [tc for tc in ids if pattern.search(tc)]
        return tuple(sorted(ids))
    _, ids = select(selection.scope, selection.on or dt.date.today(), None, selection.tests, None)
    return tuple(tc for tc in ids if tc in checks and checks[tc].layer == "iaas")


def make_plan(
    inventory: Inventory,
    cloud: str,
    selection: Selection,
    servers_using: Callable[[str], int | None] = lambda flavor_id: None,
    now: dt.datetime | None = None,
) -> Plan:
    """The plan for `inventory` (a SelectionError if the filters select nothing)."""
    checks = all_checks()
    ids = testcases(selection)
    if not ids:
        raise SelectionError("the selection holds no IaaS testcase this toolkit checks")
    judged = [tc for tc in ids if not checks[tc].active]
    probed = [tc for tc in ids if checks[tc].active]
    outcomes = judge(inventory.snapshot, judged)
    failing = {tc: o.reason for tc, o in outcomes.items() if o.status is Status.FAIL}
    context = Context(inventory, outcomes, selection.catalogue, servers_using)
    proposal = Proposal()
    for planner in PLANNERS:
        proposal.extend(planner(context))
    changes = sorted(proposal.changes, key=lambda c: _AREA_ORDER[c.area])  # stable: planners' order within
    after = judge(project(inventory, changes).snapshot, judged)  # all of them: a change must not break another
    remaining = {
        tc: o.reason
        for tc, o in after.items()
        if o.status is Status.FAIL or (tc in failing and o.status is not Status.PASS)
    }
    steps = _explain(proposal.steps, remaining, after)
    notes = list(inventory.notes) + proposal.notes
    notes += [f"{tc} could not be judged: {o.reason}" for tc, o in outcomes.items() if o.status is Status.ABORT]
    steps += _probes(probed, selection.report, notes)
    if selection.report is not None:
        notes += _stale(selection.report, outcomes)
    return Plan(
        cloud,
        now or dt.datetime.now(dt.UTC),
        selection.scope.name,
        inventory.admin,
        ids,
        frozen(failing),
        tuple(changes),
        tuple(steps),
        frozen(remaining),
        tuple(dict.fromkeys(notes)),
    )


def _explain(steps: list[OperatorStep], remaining: dict[str, str], after: Mapping[str, Outcome]) -> list[OperatorStep]:
    """The planners' steps, plus one per testcase that would still fail without a step saying why."""
    explained = {tc for step in steps for tc in step.testcases}
    result = list(steps)
    for tc, reason in sorted(remaining.items()):
        if tc in explained:
            continue
        text = guidance(tc)
        outcome = after[tc]
        remediation = outcome.remediation
        subjects = sorted({f.subject for f in outcome.findings})
        result.append(
            OperatorStep(
                text.standard if text else standard_of(tc),
                (tc,),
                ", ".join(subjects) or tc,
                f"{reason}: not something the toolkit can change through the API",
                text.what if text else (remediation or "See the testcase's remediation in the report."),
                text.quote if text else None,
            )
        )
    return result


def _probes(probed: Iterable[str], report: SavedReport | None, notes: list[str]) -> list[OperatorStep]:
    """Active probes are not run by a plan: their failures come from the report, or a note says so."""
    probed = list(probed)
    if not probed:
        return []
    if report is None:
        notes.append(
            f"not judged by a plan (they need a probe VM, a backup or a secret): {', '.join(probed)}; "
            "give a report of `scs check -o` with --report to include their failures"
        )
        return []
    steps = []
    for tc in probed:
        result = report.results.get(tc)
        if result is None or result.result != "FAIL":
            continue
        text = guidance(tc)
        steps.append(
            OperatorStep(
                text.standard if text else standard_of(tc),
                (tc,),
                tc,
                f"{result.explained} (the report of {report.checked_at or report.path}; a plan runs no probes)",
                text.what if text else (result.remediation or "See the report."),
                text.quote if text else None,
            )
        )
    return steps


def _stale(report: SavedReport, outcomes: Mapping[str, Outcome]) -> list[str]:
    gone = [tc for tc in report.failed if tc in outcomes and outcomes[tc].status is Status.PASS]
    if not gone:
        return []
    return [f"failed in the report of {report.checked_at or report.path}, pass now: {', '.join(sorted(gone))}"]


def by_standard(changes: Iterable[Change]) -> dict[str, list[Change]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.standard, []).append(change)
    return dict(sorted(grouped.items()))
