"""`scs scope`: certificate scopes (scs-0003), their versions and what each version requires."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail

if TYPE_CHECKING:
    from .. import standards

app = typer.Typer(
    help="Certificate scopes: versions, their state on a date, and their testcases.", no_args_is_help=True
)

_STATE_STYLE = {"effective": "green", "warn": "yellow", "draft": "blue", "deprecated": "dim"}


def load(reference: str) -> standards.Scope:
    """Load a scope for a command, turning problems into an error message and exit code 2."""
    from .. import standards  # pydantic and the scope files load only for commands that need them

    try:
        return standards.load_scope(reference)
    except standards.ScopeError as error:
        raise fail(
            str(error), "give a bundled alias (see `scs scope list`), a bundled uuid, or a scope YAML file"
        ) from None


def parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"invalid date {value!r}", "use the form YYYY-MM-DD, e.g. 2026-06-01") from None


DATE_OPTION = typer.Option(None, "--date", help="Reference date YYYY-MM-DD (default: today).", show_default=False)


@app.command("list")
def list_scopes(output: OutputFormat = FORMAT_OPTION) -> None:
    """List the bundled scopes with the state of their versions today."""
    from .. import standards

    today = dt.date.today()
    records: list[dict[str, Any]] = []
    for alias, scope in zip(standards.BUNDLED_SCOPES, standards.bundled_scopes(), strict=False):
        records.append(
            {
                "alias": alias,
                "name": scope.name,
                "uuid": scope.uuid,
                "versions": {s.version: s.state.value for s in scope.statuses(today) if s.listed},
            }
        )

    def table() -> Table:
        grid = Table("alias", "name", "uuid", f"versions on {today}", header_style="bold")
        for record in records:
            states = ", ".join(f"{v} ({s})" for v, s in record["versions"].items())
            grid.add_row(record["alias"], escape(record["name"]), record["uuid"], states)
        return grid

    emit(records, output, table)


@app.command()
def show(
    scope_ref: str = typer.Argument(..., metavar="SCOPE", help="Bundled alias, uuid, or path to a scope YAML file."),
    date: Optional[str] = DATE_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Show a scope's versions with their state on a date and the testcases each requires and recommends."""
    scope = load(scope_ref)
    on = parse_date(date)
    record = scope_record(scope, on)

    def table() -> Table:
        grid = Table(
            "version",
            "state",
            "stabilized",
            "modules",
            "required testcases",
            "recommended",
            title=f"{escape(scope.name)} ({scope.uuid}) on {on}",
            header_style="bold",
            show_lines=True,
        )
        for version in record["versions"]:
            style = _STATE_STYLE[version["state"]]
            state = version["state"] + ("" if version["listed"] else " (not listed)")
            grid.add_row(
                version["version"],
                f"[{style}]{state}[/]",
                version["stabilized_at"] or "-",
                "\n".join(escape(m) for m in version["modules"]),
                "\n".join(version["required"]) or "-",
                "\n".join(version["recommended"]) or "-",
            )
        return grid

    emit(record, output, table)


def scope_record(scope: standards.Scope, on: dt.date) -> dict[str, Any]:
    statuses = {s.version: s for s in scope.statuses(on)}
    versions = []
    for version in scope.versions:
        status = statuses[version.name]
        versions.append(
            {
                "version": version.name,
                "state": status.state.value,
                "listed": status.listed,
                "certifiable": status.listed and status.state.certifiable,
                "stabilized_at": version.stabilized_at.isoformat() if version.stabilized_at else None,
                "modules": [inc.module.id for inc in version.includes],
                "required": list(version.required),
                "recommended": list(version.recommended),
            }
        )
    return {
        "name": scope.name,
        "uuid": scope.uuid,
        "url": scope.url,
        "date": on.isoformat(),
        "versions": versions,
        "testcases": {
            tc.id: {"description": tc.description, "lifetime": tc.lifetime, "manual": tc.manual, "url": tc.url}
            for tc in scope.testcases.values()
        },
    }


@app.command("k8s-data")
def k8s_data(
    update: Optional[str] = typer.Option(
        None,
        "--update",
        metavar="FILE|URL",
        help="Refresh the Kubernetes version data (scs-0210) from a file or an http(s) URL in the bundled format.",
    ),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """The Kubernetes version data the version-policy check judges by: how old it is, its branches; --update refreshes it.

    A check run with data older than the policy window (31 days) cannot pass and says so. The refreshed copy
    is kept in the toolkit's data folder; the newer of it and the bundled data is used.
    """
    from .._time import utcnow
    from ..checks.kaas import _versions

    if update is not None:
        text = _read_source(update)
        try:
            _versions.refresh(text, update)
        except _versions.VersionDataError as error:
            raise fail(str(error), "the file must have the bundled k8s-version-data.yaml format") from None
        except OSError as error:
            raise fail(f"cannot store the data in {_versions.refreshed_path()}: {error.strerror}") from None
    data = _versions.current_data()
    now = utcnow()
    branches: list[dict[str, Any]] = [
        {
            "branch": str(b.branch),
            "released": b.released.isoformat() if b.released else None,
            "end_of_life": b.end_of_life.isoformat(),
            "supported": b.supported(now),
            "newest_patch": max((r.version for r in data.releases if r.version.branch == b.branch), default=None),
            "source": b.source,
        }
        for b in sorted(data.branches, key=lambda b: b.branch, reverse=True)
    ]
    for branch in branches:
        branch["newest_patch"] = str(branch["newest_patch"]) if branch["newest_patch"] else None
    record: dict[str, Any] = {
        "origin": data.origin,
        "as_of": data.as_of.isoformat(),
        "age_days": round(data.age(now).total_seconds() / 86400, 1),
        "fresh_for_patch_window": data.age(now).days <= 31,
        "branches": branches,
        "critical_cves": [c.id for c in data.cves if c.score >= 8],
    }

    def table() -> Table:
        view = Table(
            "branch",
            "released",
            "end of life",
            "supported",
            "newest patch",
            title=f"Kubernetes version data as of {data.as_of.date()} ({record['age_days']} days old; {escape(data.origin)})",
        )
        for b in branches:
            view.add_row(
                b["branch"],
                b["released"] or "-",
                b["end_of_life"],
                "yes" if b["supported"] else "no",
                b["newest_patch"] or "-",
            )
        return view

    emit(record, output, table)


def _read_source(source: str) -> str:
    """The text of a file or an http(s) URL; exit 2 with the reason when it cannot be read."""
    from pathlib import Path

    if source.startswith(("http://", "https://")):
        import httpx

        try:
            reply = httpx.get(source, timeout=30, follow_redirects=True)
            reply.raise_for_status()
        except httpx.HTTPError as error:
            raise fail(f"cannot fetch {source}: {error}", "check the URL and the network") from None
        if len(reply.content) > 5 * 1024 * 1024:
            raise fail(f"{source} is larger than 5 MiB: not version data")
        return reply.text
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(
            f"cannot read {source}: {error}", "give the path of a k8s-version-data.yaml file or an URL"
        ) from None
