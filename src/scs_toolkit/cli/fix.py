"""`scs fix`: what must change for the failing testcases to pass (`plan`), making it (`apply`), reverting it (`undo`).

`plan` only reads, with any account, and says which changes need an admin one. `apply` plans afresh
(a saved report only adds what a plan cannot judge), asks before it changes anything (or takes
`--yes`; without a terminal it refuses), and journals every change in the state folder. `undo`
reverts a journal, newest change first. Exit codes: plan 0 nothing to do, 1 something to do; apply
and undo 0 done, 1 a change failed (or was left alone), 2 usage or permission problem, 130 Ctrl-C.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._cloud import CACERT, CLOUD, INSECURE, cloud_specs, connect_or_fail
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from ..collect import CloudSpec
    from ..fix import Applied, Area, Plan, Reverted

app = typer.Typer(
    help="Turn failing testcases into a plan of changes (plan), make them (apply), revert them (undo).",
    no_args_is_help=True,
)

SCOPE = typer.Option(
    None,
    "--scope",
    metavar="SCOPE",
    help="Scope alias, uuid or file (default: scs-compatible-iaas).",
    show_default=False,
)
TESTS = typer.Option(
    None,
    "--tests",
    metavar="REGEX",
    help="Only testcases whose id matches (as `scs check --tests`; also testcases no version lists).",
)
REPORT = typer.Option(
    None,
    "--report",
    metavar="FILE",
    help="A report of `scs check -o`: plan for its testcases; its probe failures (entropy, backup) are included.",
)
CATALOGUE = typer.Option(
    None,
    "--image-catalogue",
    metavar="FILE|DIR",
    help="Image catalogue in the OSISM openstack-image-manager format: source, build date, ... per image.",
)
ONLY = typer.Option(
    None,
    "--only",
    metavar="AREAS",
    help="Comma-separated: flavors, images, volume-types, security-groups (default: all).",
)
JOURNAL = typer.Option(
    None,
    "--journal",
    metavar="FILE",
    help="Journal file (default: a new one in the state folder, $XDG_STATE_HOME/scs-toolkit/fix/).",
)
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (needed without a terminal).")

_STYLE = {
    "done": "green",
    "reverted": "green",
    "skipped": "dim",
    "already": "dim",
    "failed": "red",
    "conflict": "yellow",
}


def _areas(only: str | None) -> list[Area] | None:
    from ..fix import Area

    if not only:
        return None
    names = [part.strip() for part in only.split(",") if part.strip()]
    known = {area.value: area for area in Area}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise fail(
            f"--only {only!r}: unknown area(s) {', '.join(unknown) or '(none given)'}",
            f"choose from {', '.join(known)}, comma-separated",
        )
    return [known[name] for name in names]


def _inputs(scope_ref: str | None, tests: str | None, catalogue: Path | None) -> tuple[Any, Any]:
    """The scope and the catalogue, checked before anything talks to the cloud (exit 2 with what is wrong)."""
    from ..fix import CatalogueError, load_catalogue
    from .check import scope_layer
    from .scope import load

    scope = load(scope_ref or "scs-compatible-iaas")
    if scope_layer(scope) != "iaas":
        raise fail(f"{scope.name} is not about OpenStack clouds", "scs fix plans for IaaS scopes")
    if tests:
        try:
            re.compile(tests)
        except re.error as error:
            raise fail(f"--tests {tests!r} is not a regular expression: {error}") from None
    loaded = None
    if catalogue is not None:
        try:
            loaded = load_catalogue(catalogue)
        except CatalogueError as error:
            listing = "\n  ".join(error.problems)
            raise fail(
                f"image catalogue {error.source} cannot be used:\n  {listing}",
                "the format is the OSISM openstack-image-manager's; see docs/remediation.md",
            ) from None
    return scope, loaded


def _plan(
    cloud: str | None,
    insecure: bool,
    cacert: str | None,
    scope_ref: str | None,
    tests: str | None,
    report: Path | None,
    catalogue: Path | None,
    only: str | None,
) -> tuple[CloudSpec, Any, Plan]:
    """Check the inputs, log in, take the inventory and plan (every problem: exit 2 with a hint)."""
    from ..collect import CloudError
    from ..fix import ReportError, Selection, flavor_usage, load_report, make_plan, take_inventory
    from ..runner import SelectionError

    areas = _areas(only)
    scope, loaded = _inputs(scope_ref, tests, catalogue)
    [spec] = cloud_specs([cloud] if cloud else None, insecure, cacert)
    saved = None
    if report is not None:
        try:
            saved = load_report(report, spec.label)
        except ReportError as error:
            raise fail(str(error), "give a report written by `scs check -o FILE`") from None
    conn = connect_or_fail(spec)
    try:
        inventory = take_inventory(conn)
    except CloudError as error:
        raise fail(error.message, error.hint) from None
    try:
        plan = make_plan(
            inventory, spec.label, Selection(scope, tests, saved, loaded), flavor_usage(conn, inventory.admin)
        )
    except SelectionError as error:
        raise fail(str(error), "see `scs scope show` for the testcases") from None
    if saved is not None and saved.subject and saved.subject != spec.label:
        import dataclasses

        note = f"the report {saved.path} is of {saved.subject}, the plan of {spec.label}"
        plan = dataclasses.replace(plan, notes=(note, *plan.notes))
    return spec, conn, plan.only(areas) if areas else plan


def _plan_table(plan: Plan) -> Table:
    from ..fix._plan import by_standard

    table = Table(title=_title(plan), title_justify="left", header_style="bold")
    table.add_column("standard", no_wrap=True)
    table.add_column("change", overflow="fold")
    table.add_column("fixes", no_wrap=True)
    table.add_column("admin")
    for standard, changes in by_standard(plan.changes).items():
        for change in changes:
            text = escape(change.summary)
            if change.note:
                text += f"\n[dim]{escape(change.note)}[/]"
            text += f"\n[dim]$ {escape(change.command)}[/]"
            fixes = "\n".join(
                escape(tc) + (" [yellow](still fails)[/]" if tc in plan.remaining else "") for tc in change.fixes
            )
            table.add_row(standard, text, fixes, "yes" if change.needs_admin else "no")
        table.add_section()
    return table


def _title(plan: Plan) -> str:
    account = "admin account" if plan.admin else "member account"
    return (
        f"{escape(plan.cloud)} ({escape(plan.scope)}, {account}): {len(plan.changes)} change(s), "
        f"{len(plan.operator)} step(s) for the operator"
    )


def _operator_table(plan: Plan) -> Table:
    table = Table(title="needs the operator", title_justify="left", header_style="bold")
    table.add_column("standard", no_wrap=True)
    table.add_column("testcases", no_wrap=True)
    table.add_column("what and why", overflow="fold")
    for step in sorted(plan.operator, key=lambda s: (s.standard, s.subject)):
        text = f"[bold]{escape(step.subject)}[/]: {escape(step.why)}\n{escape(step.what)}"
        if step.quote:
            text += f"\n[dim italic]{escape(step.quote)}[/]"
        table.add_row(step.standard, "\n".join(escape(t) for t in step.testcases), text)
    return table


def _print_plan(plan: Plan) -> None:
    if not plan.changes:
        stdout.print(_title(plan) + ("" if plan.operator else ": nothing to do"))
    if plan.changes:
        stdout.print(_plan_table(plan))
    if plan.operator:
        stdout.print(_operator_table(plan))
    for note in plan.notes:
        stdout.print(f"[dim]note: {escape(note)}[/]")
    waiting = plan.needs_admin
    if waiting and not plan.admin:
        stdout.print(
            f"{len(waiting)} of {len(plan.changes)} changes need an admin account: "
            "run `scs fix apply` with one (--os-cloud NAME-admin)"
        )


@app.command("plan")
def plan_command(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    scope_ref: Optional[str] = SCOPE,
    tests: Optional[str] = TESTS,
    report: Optional[Path] = REPORT,
    catalogue: Optional[Path] = CATALOGUE,
    only: Optional[str] = ONLY,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Show the changes that would make the failing testcases pass, grouped by standard, and what needs the
    operator. Read-only; any account works (it says which changes need an admin one). Exit 0: nothing to do;
    1: changes or operator steps planned; 2: usage error."""
    _, _, plan = _plan(cloud, insecure, cacert, scope_ref, tests, report, catalogue, only)
    if output is OutputFormat.table:
        _print_plan(plan)
    else:
        emit(plan.to_dict(), output, lambda: "")
    raise typer.Exit(0 if plan.empty else 1)


def _interrupted(stop: threading.Event, what: str) -> None:
    stop.set()
    stderr.print(f"interrupted: {what}")


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail(
            f"refusing to {question[0].lower()}{question[1:].rstrip('?')} without confirmation: no terminal to ask on",
            "add --yes to go ahead with what is shown above",
        )
    try:
        confirmed = typer.confirm(question, default=False, err=True)
    except typer.Abort:  # Ctrl-C (or the end of input) at the question (Typer vendors its own click)
        raise fail("interrupted: nothing changed", None, code=130) from None
    if not confirmed:
        raise fail("not confirmed: nothing changed", None)


@app.command("apply")
def apply_command(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    scope_ref: Optional[str] = SCOPE,
    tests: Optional[str] = TESTS,
    report: Optional[Path] = REPORT,
    catalogue: Optional[Path] = CATALOGUE,
    only: Optional[str] = ONLY,
    yes: bool = YES,
    journal_file: Optional[Path] = JOURNAL,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Plan afresh against the live cloud and make the changes (admin account), printing each one and recording it
    in a journal for `scs fix undo`. Idempotent: a second run plans nothing. Exit 0: done; 1: a change failed;
    2: usage or permission problem (nothing changed); 130: interrupted (the journal has what was done)."""
    from .._serving import interruptible
    from .._time import iso, utcnow
    from ..collect._login import auth_url
    from ..fix import Header, Journal, JournalError, NeedsAdmin, apply_changes, new_journal_path

    spec, conn, plan = _plan(cloud, insecure, cacert, scope_ref, tests, report, catalogue, only)
    table = output is OutputFormat.table
    if not plan.changes:
        if table:
            _print_plan(plan)
        else:
            emit({"cloud": plan.cloud, "journal": None, "results": [], "plan": plan.to_dict()}, output, lambda: "")
        raise typer.Exit(0)
    if plan.needs_admin and not plan.admin:
        areas = sorted({c.area.value for c in plan.needs_admin})
        raise fail(
            f"needs an admin account: {len(plan.needs_admin)} of the {len(plan.changes)} planned changes "
            f"({', '.join(areas)}) need the admin role, and this account of {spec.label} has none; nothing changed",
            "run it with an admin entry of clouds.yaml (--os-cloud NAME); `scs fix plan` shows the changes",
        )
    if table:
        _print_plan(plan)
    elif not yes:  # the data goes to stdout at the end; whoever answers sees what they answer to
        for change in plan.changes:
            stderr.print(f"  {escape(change.summary)}", highlight=False)
    _confirm(f"Apply {len(plan.changes)} change(s) to {spec.label}?", yes)
    path = journal_file or new_journal_path(spec.label)
    header = Header(spec.label, auth_url(conn), getattr(conn, "current_project_id", None), iso(utcnow()))
    try:
        journal = Journal(path, header)
    except JournalError as error:
        raise fail(str(error)) from None
    stop = threading.Event()

    results: list[Applied] = []

    def show(applied: Applied) -> None:
        results.append(applied)
        if table:
            style = _STYLE.get(applied.status, "")
            stdout.print(f"[{style}]{applied.status}[/]: {escape(applied.detail)}")

    code = 0
    try:
        with interruptible(
            functools.partial(_interrupted, stop, "the change under way finishes and is journaled, no other starts")
        ):
            apply_changes(conn, plan.changes, journal, show, stop)
    except NeedsAdmin as error:
        stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        code = 2
    failed = [r for r in results if r.status == "failed"]
    if code == 0 and failed:
        code = 1
    if stop.is_set():
        code = 130
    _summary(results, path, spec.label, output)
    raise typer.Exit(code)


def _summary(results: list[Applied], path: Path, cloud: str, output: OutputFormat) -> None:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("done", "skipped", "failed")}
    undo = f"scs fix undo --os-cloud {cloud} --journal {path}"
    if output is OutputFormat.table:
        stdout.print(
            f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed; "
            f"journal: {escape(str(path))}\n[dim]revert with: {escape(undo)}[/]"
        )
        return
    data = {
        "cloud": cloud,
        "journal": str(path),
        "results": [
            {"status": r.status, "detail": r.detail, "created_id": r.created_id, "change": r.change.to_dict()}
            for r in results
        ],
    }
    emit(data, output, lambda: "")


@app.command("undo")
def undo_command(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    journal_file: Optional[Path] = typer.Option(
        None, "--journal", metavar="FILE", help="Journal of `scs fix apply` (default: the cloud's newest one)."
    ),
    yes: bool = YES,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Revert what a journal of `scs fix apply` records, newest change first: delete created flavors and rules,
    put back old extra specs, properties, descriptions and deleted rules. A value someone changed since, or a
    flavor servers use now, is left alone and reported. Safe to run again. Exit 0: reverted; 1: something was
    left alone or failed; 2: usage or permission problem; 130: interrupted."""
    from .._serving import interruptible
    from ..collect import collect_iaas
    from ..collect._login import auth_url
    from ..fix import Journal, JournalError, NeedsAdmin, latest_journal, read_journal, to_undo, undo_entries

    [spec] = cloud_specs([cloud] if cloud else None, insecure, cacert)
    path = journal_file or latest_journal(spec.label)
    if path is None:
        raise fail(
            f"no journal of cloud {spec.label} in the state folder",
            "give the journal `scs fix apply` printed with --journal FILE",
        )
    try:
        header, entries = read_journal(path)
    except JournalError as error:
        raise fail(str(error), "give the journal `scs fix apply` printed") from None
    conn = connect_or_fail(spec)
    here = (auth_url(conn), getattr(conn, "current_project_id", None))
    if (header.auth_url, header.project_id) != here:
        raise fail(
            f"{path} records changes to cloud {header.cloud} ({header.auth_url}), not to {spec.label} ({here[0]})",
            "undo with the cloud the journal was written for (--os-cloud NAME)",
        )
    pending = to_undo(entries)
    table = output is OutputFormat.table
    if not pending:
        if table:
            stdout.print(f"{escape(str(path))}: nothing to undo (every change is reverted already)")
        else:
            emit({"cloud": spec.label, "journal": str(path), "results": []}, output, lambda: "")
        raise typer.Exit(0)
    if table:
        stdout.print(f"to revert on {escape(spec.label)} (newest first), from {escape(str(path))}:")
        for entry in reversed(pending):
            stdout.print(f"  {escape(entry.change.summary)}")
    admin = "admin" in (collect_iaas(conn, {"roles"}).roles or ())
    if not admin and any(e.change.needs_admin for e in pending):
        raise fail(
            f"needs an admin account: the journal's changes to {spec.label} were made with the admin role, "
            "and this account has none; nothing reverted",
            "run it with an admin entry of clouds.yaml (--os-cloud NAME)",
        )
    _confirm(f"Revert {len(pending)} change(s) on {spec.label}?", yes)
    journal = Journal(path, header)
    stop = threading.Event()
    results: list[Reverted] = []

    def show(reverted: Reverted) -> None:
        results.append(reverted)
        if table:
            stdout.print(f"[{_STYLE.get(reverted.status, '')}]{reverted.status}[/]: {escape(reverted.detail)}")

    code = 0
    try:
        with interruptible(functools.partial(_interrupted, stop, "no further change is reverted")):
            undo_entries(conn, entries, journal, show, stop, admin=admin)
    except NeedsAdmin as error:
        stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        code = 2
    if code == 0 and any(r.status in ("failed", "conflict") for r in results):
        code = 1
    if stop.is_set():
        code = 130
    if table:
        counts = {s: sum(1 for r in results if r.status == s) for s in ("reverted", "already", "conflict", "failed")}
        stdout.print(", ".join(f"{n} {s}" for s, n in counts.items()))
    else:
        emit(
            {
                "cloud": spec.label,
                "journal": str(path),
                "results": [
                    {"status": r.status, "detail": r.detail, "change": r.entry.change.to_dict()} for r in results
                ],
            },
            output,
            lambda: "",
        )
    raise typer.Exit(code)
