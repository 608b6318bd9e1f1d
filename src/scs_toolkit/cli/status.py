"""`scs status`: the status page (SCS Status Page API 1.1.2 + incidents, maintenance, RCAs) for operators.

Every subcommand works on the compliance monitor's database, found as `scs monitor` finds it (--db,
SCS_MONITOR_DB, the config file, the default), so `scs status` and `scs monitor serve` see the same
status page. Writes are made as `cli:<user>` with the admin scope and land in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import getpass
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..monitor.db import Database
    from ..statuspage.db import Incident
    from ..statuspage.model import Actor

app = typer.Typer(
    help="The status page: components, incidents, maintenance, RCAs, tokens (SCS Status Page API 1.1.2).",
    no_args_is_help=True,
)
component_app = typer.Typer(help="Components: what incidents affect (label cloud=NAME ties one to a cloud).")
incident_app = typer.Typer(help="Incidents: open, update, resolve; confirm or dismiss the health monitor's proposals.")
maintenance_app = typer.Typer(help="Maintenance windows (impacts of severity 0, with a start and an end).")
rca_app = typer.Typer(help="Root-cause analyses of incidents (drafts until published).")
token_app = typer.Typer(help="API tokens: admin, writer, machine (only a hash is stored).")
webhook_app = typer.Typer(help="Outgoing webhooks on incident create/update/resolve, signed with HMAC-SHA256.")
for sub, name in (
    (component_app, "component"),
    (incident_app, "incident"),
    (maintenance_app, "maintenance"),
    (rca_app, "rca"),
    (token_app, "token"),
    (webhook_app, "webhook"),
):
    app.add_typer(sub, name=name, no_args_is_help=True)

DB_OPTION = typer.Option(
    None,
    "--db",
    help="The compliance monitor's database (SQLAlchemy URL). Default: $SCS_MONITOR_DB, else `db` of the config "
    "file, else $XDG_DATA_HOME/scs-toolkit/monitor.db (the same one `scs monitor` uses).",
    show_default=False,
)
CONFIG_OPTION = typer.Option(
    None, "--config", help="The monitor's config file (see `scs monitor config --help`).", show_default=False
)
T = TypeVar("T")
#: The end of every "and everything planned" window (moments are bounded to the years 2000..2999).
FAR_FUTURE = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


def _actor() -> Actor:
    from ..statuspage.model import Actor

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}"[:128], "admin")


def _open(db: str | None, config: Path | None) -> Database:
    from .monitor import _database, _settings

    return _database(_settings(db, config), quiet=True)


@contextmanager
def _session(db: str | None, config: Path | None) -> Iterator[Session]:
    """A transaction on the status page; errors of the rules exit 2 (404: 1) with their message; incident
    events of what was committed go to the webhooks before the command ends."""
    from ..statuspage.model import StatusPageError
    from ..statuspage.services import events
    from ..statuspage.services.webhooks import WebhookSender

    database = _open(db, config)
    happened: list[tuple[str, uuid.UUID]] = []
    try:
        with database.session() as session:
            yield session
            session.flush()
            happened = events.take(session)
    except StatusPageError as error:
        raise fail(error.message, code=1 if error.status_code == 404 else 2) from None
    if happened:
        sender = WebhookSender(database, retries=(1.0,))
        sender.send(happened)
        if not sender.flush(30):
            stderr.print("[yellow]warning:[/] some webhooks did not answer in time")
        sender.close()
    database.close()


def _moment(value: str | None, option: str) -> dt.datetime | None:
    from ..statuspage.dependencies import parse_moment
    from ..statuspage.model import StatusPageError

    try:
        return parse_moment(value, option)
    except StatusPageError as error:
        raise fail(error.message, "e.g. 2026-05-01T22:00:00Z (UTC) or 2026-05-01T22:00:00+02:00") from None


def _request(kind: type[T], **fields: Any) -> T:
    """A request model from CLI values, checked by the same rules as the API (exit 2 with the reason)."""
    from pydantic import BaseModel, ValidationError

    from ..statuspage.dependencies import problems

    assert issubclass(kind, BaseModel)
    try:
        return kind.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise fail(problems(error)) from None


def _uuid(value: str, what: str = "incident") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{value!r} is not an {what} id (a UUID)", f"scs status {what} list shows them") from None


def _labels(values: list[str]) -> dict[str, str]:
    labels = {}
    for value in values:
        key, equals, item = value.partition("=")
        if not equals or not key:
            raise fail(f"--label {value!r}: expected KEY=VALUE", "e.g. --label cloud=mycloud")
        labels[key] = item
    return labels


# ---- serve -------------------------------------------------------------------------------------


@app.command()
def serve(
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3000, help="Port (the reference server's 3000; 0 picks a free one)."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="Base URL for feed and webhook links."),
    cors_origin: list[str] = typer.Option([], "--cors-origin", help="Allow a web UI on this origin (repeatable)."),
) -> None:
    """Serve the status page alone, the 1.1.2 paths at the root (/components, /incidents, ...) as the
    reference server does, with the pages at / and /pages/..., until Ctrl-C."""
    from .._serving import BackgroundServer, freeze_startup_heap, stop_on_signals
    from ..statuspage.app import PageSettings, create_standalone_app

    database = _open(db, config)
    settings = PageSettings(monitor_pages=False, public_url=public_url)
    with stop_on_signals(threading.Event()) as stopped:  # a SIGTERM right after the URL line still stops cleanly
        try:
            app = create_standalone_app(database, settings, tuple(cors_origin))
            server = BackgroundServer(app, host, port).start()
            freeze_startup_heap()
        except OSError as error:
            raise fail(f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port") from None
        stdout.print(f"status page listening on [bold]{escape(server.url)}[/]", highlight=False, soft_wrap=True)
        stopped.wait()
    server.stop()
    database.close()


# ---- components --------------------------------------------------------------------------------


def _component_row(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "name": row.display_name, "labels": dict(row.labels)}


@component_app.command("create")
def component_create(
    name: str = typer.Argument(..., help="Display name."),
    label: list[str] = typer.Option([], "--label", "-l", help="KEY=VALUE (repeatable); cloud=NAME ties it to a cloud."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create a component; prints its id."""
    from ..statuspage import schemas
    from ..statuspage.db import Component
    from ..statuspage.services import components

    request = _request(schemas.ComponentRequest, displayName=name, labels=_labels(label))
    with _session(db, config) as session:
        row = session.get(Component, components.create(session, _actor(), request))
        assert row is not None
        data = _component_row(row)
    emit(data, output, lambda: data["id"])


@component_app.command("update")
def component_update(
    component: str = typer.Argument(..., help="Id, name, or a label such as cloud=NAME."),
    name: Optional[str] = typer.Option(None, "--name", help="New display name."),
    label: list[str] = typer.Option([], "--label", "-l", help="Set KEY=VALUE (repeatable)."),
    remove_label: list[str] = typer.Option([], "--remove-label", help="Remove KEY (repeatable)."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Rename a component or change its labels."""
    from ..statuspage import schemas
    from ..statuspage.services import components

    with _session(db, config) as session:
        row = components.find(session, component)
        labels = {k: v for k, v in {**row.labels, **_labels(label)}.items() if k not in remove_label}
        request = _request(schemas.ComponentRequest, displayName=name or row.display_name, labels=labels)
        components.update(session, _actor(), row.id, request)
    stderr.print(f"updated {escape(component)}")


@component_app.command("delete")
def component_delete(
    component: str = typer.Argument(..., help="Id, name, or a label such as cloud=NAME."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Delete a component and its impacts (its incidents stay)."""
    from ..statuspage.services import components

    with _session(db, config) as session:
        components.delete(session, _actor(), components.find(session, component).id)
    stderr.print(f"deleted {escape(component)}")


@component_app.command("list")
def component_list(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Every component with what affects it now."""
    from ..statuspage.model import Actor
    from ..statuspage.services import components

    with _session(db, config) as session:
        rows = [
            {**c.model_dump(mode="json", by_alias=True), "activelyAffectedBy": len(c.actively_affected_by)}
            for c in components.listing(session, Actor("cli", "admin"))
        ]

    def table() -> Table:
        view = Table("id", "name", "labels", "active impacts")
        for row in rows:
            labels = ", ".join(f"{k}={v}" for k, v in row["labels"].items())
            view.add_row(row["id"], escape(row["displayName"]), escape(labels), str(row["activelyAffectedBy"]))
        return view

    emit(rows, output, table)


# ---- incidents ---------------------------------------------------------------------------------


def _affects(session: Session, values: list[str], default_severity: int, default_type: str) -> list[dict[str, Any]]:
    """COMPONENT[:SEVERITY[:IMPACT TYPE]] -> impacts (component by id, name or label)."""
    from ..statuspage.services import catalog, components

    affects = []
    for value in values:
        reference, _, rest = value.partition(":")
        severity_text, _, type_name = rest.partition(":")
        if severity_text and not severity_text.isdigit():
            raise fail(f"--component {value!r}: the severity must be a number from 0 to 100", "e.g. mycloud:70")
        kind = catalog.impact_type_named(session, type_name or default_type)
        if kind is None:
            known = ", ".join(t.display_name for t in catalog.impact_types(session))
            raise fail(f"no impact type {type_name or default_type!r}; known: {known}")
        affects.append(
            {
                "reference": str(components.find(session, reference).id),
                "type": str(kind.id),
                "severity": int(severity_text) if severity_text else default_severity,
            }
        )
    return affects


def _phase(session: Session, name: str | None) -> dict[str, int] | None:
    from ..statuspage.services import catalog

    if name is None:
        return None
    found = catalog.phase_named(session, name)
    if found is None:
        known = ", ".join(catalog.phase_list(session).phases)
        raise fail(f"no phase {name!r} in the newest phase list; known: {known}")
    return {"generation": found[0], "order": found[1]}


def _incident_row(session: Session, incident: Incident) -> dict[str, Any]:
    from ..statuspage.services import catalog, incidents

    data = incidents.out(incident).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["phaseName"] = catalog.phase_name(session, incident.phase_generation, incident.phase_order)
    data["proposed"] = incident.proposed
    data["source"] = incident.source
    return data


def _incident_table(rows: list[dict[str, Any]]) -> Callable[[], Table]:
    def table() -> Table:
        view = Table("id", "name", "began", "ended", "phase", "worst severity", "updates")
        for row in rows:
            worst = max((i["severity"] for i in row["affects"]), default=None)
            view.add_row(
                row["id"],
                escape(row["displayName"]),
                row.get("beganAt", "–"),
                row.get("endedAt", "ongoing"),
                escape(row.get("phaseName") or "–"),
                "–" if worst is None else str(worst),
                str(len(row["updates"])),
            )
        return view

    return table


COMPONENT_OPTION = typer.Option(
    [],
    "--component",
    "-C",
    help="COMPONENT[:SEVERITY[:IMPACT TYPE]] (repeatable); component by id, name or cloud=NAME.",
)


@incident_app.command("create")
def incident_create(
    title: str = typer.Argument(..., help="What users see, e.g. 'Volumes cannot be created'."),
    component: list[str] = COMPONENT_OPTION,
    severity: int = typer.Option(70, min=1, max=100, help="Severity of impacts that name none (1..100)."),
    impact_type: str = typer.Option("Unknown", "--impact-type", help="Impact type of impacts that name none."),
    description: Optional[str] = typer.Option(None, "--description", "-d"),
    began: Optional[str] = typer.Option(None, "--began", help="RFC 3339; default now."),
    phase: Optional[str] = typer.Option(
        None, "--phase", help="A phase of the newest list (default: Investigation ongoing, if the list has it)."
    ),
    message: Optional[str] = typer.Option(None, "--message", "-m", help="A first update."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Open an incident; prints its id."""
    from ..statuspage import schemas
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        request = _request(
            schemas.IncidentRequest,
            displayName=title,
            description=description,
            beganAt=began,
            phase=_phase(
                session, phase or ("Investigation ongoing" if _has_phase(session, "Investigation ongoing") else None)
            ),
            affects=_affects(session, component, severity, impact_type),
        )
        incident = incidents.create(session, _actor(), request)
        if message:
            incidents.add_update(
                session,
                _actor(),
                incident,
                _request(schemas.IncidentUpdateRequest, displayName="Update", description=message),
            )
        data = _incident_row(session, incident)
    emit(data, output, lambda: data["id"])


@incident_app.command("update")
def incident_update(
    incident: str = typer.Argument(..., help="The incident's id."),
    message: Optional[str] = typer.Option(None, "--message", "-m", help="Add an update with this text."),
    title: Optional[str] = typer.Option(None, "--title", help="New title."),
    description: Optional[str] = typer.Option(None, "--description", "-d"),
    phase: Optional[str] = typer.Option(None, "--phase", help="Move to this phase of the newest list."),
    component: list[str] = COMPONENT_OPTION,
    severity: int = typer.Option(70, min=0, max=100, help="Severity of --component impacts that name none."),
    impact_type: str = typer.Option("Unknown", "--impact-type"),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Change an incident (--component replaces the affected set) and/or add an update to its timeline."""
    from ..statuspage import schemas
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        row = incidents.get(session, _actor(), _uuid(incident))
        fields: dict[str, Any] = {"displayName": title, "description": description, "phase": _phase(session, phase)}
        if component:
            fields["affects"] = _affects(session, component, severity, impact_type)
        request = _request(schemas.IncidentRequest, **fields)
        if request.model_fields_set:
            incidents.patch(session, _actor(), row, request)
        if message:
            update = _request(schemas.IncidentUpdateRequest, displayName=phase or "Update", description=message)
            incidents.add_update(session, _actor(), row, update)
        if not request.model_fields_set and not message:
            raise fail("nothing to change", "give --message, --title, --description, --phase or --component")
    stderr.print(f"updated incident {escape(incident)}")


@incident_app.command("resolve")
def incident_resolve(
    incident: str = typer.Argument(..., help="The incident's id."),
    message: Optional[str] = typer.Option(None, "--message", "-m", help="The final update."),
    at: Optional[str] = typer.Option(None, "--at", help="When it ended (RFC 3339); default now."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """End an incident: endedAt, phase Done, a final update."""
    from ..statuspage.services import incidents

    ended = _moment(at, "--at")
    incident_id = _uuid(incident)
    with _session(db, config) as session:
        row = incidents.get(session, _actor(), incident_id, proposals=True)
        incidents.resolve(session, _actor(), row, ended, message)
    stderr.print(f"resolved incident {escape(incident)}")


@incident_app.command("list")
def incident_list(
    days: int = typer.Option(30, min=1, max=3660, help="Incidents of the last DAYS days (and open ones)."),
    proposals: bool = typer.Option(False, "--proposals", help="The health monitor's proposals instead."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Incidents (and maintenance) of the last days, newest first; or the proposals waiting for a person."""
    from .._time import utcnow
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        now = utcnow()
        found = (
            incidents.proposals(session)
            if proposals
            else incidents.window(session, _actor(), now - dt.timedelta(days=days), FAR_FUTURE)
        )
        rows = [_incident_row(session, i) for i in found]
    emit(rows, output, _incident_table(rows))


@incident_app.command("show")
def incident_show(
    incident: str = typer.Argument(..., help="The incident's id."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """An incident with its timeline."""
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        row = incidents.get(session, _actor(), _uuid(incident), proposals=True)
        data = _incident_row(session, row)
        data["timeline"] = [incidents.update_out(u).model_dump(mode="json", by_alias=True) for u in row.updates]

    def table() -> Table:
        view = Table("order", "at", "title", "text", title=escape(data["displayName"]))
        for update in data["timeline"]:
            view.add_row(
                str(update["order"]), update["createdAt"], escape(update["displayName"]), escape(update["description"])
            )
        return view

    emit(data, output, table)


@incident_app.command("confirm")
def incident_confirm(
    incident: str = typer.Argument(..., help="The proposal's id (scs status incident list --proposals)."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Publish a proposal of the health monitor as an incident."""
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        incidents.confirm(session, _actor(), _uuid(incident))
    stderr.print(f"confirmed incident {escape(incident)}")


@incident_app.command("dismiss")
def incident_dismiss(
    incident: str = typer.Argument(..., help="The proposal's id."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Not an incident: hide the proposal (its symptom proposes nothing new until it has cleared)."""
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        incidents.dismiss(session, _actor(), _uuid(incident))
    stderr.print(f"dismissed proposal {escape(incident)}")


# ---- maintenance -------------------------------------------------------------------------------


@maintenance_app.command("create")
def maintenance_create(
    title: str = typer.Argument(..., help="e.g. 'Storage upgrade'."),
    component: list[str] = typer.Option(
        ..., "--component", "-C", help="Component by id, name or cloud=NAME (repeatable)."
    ),
    start: str = typer.Option(..., "--start", help="RFC 3339, e.g. 2026-05-01T22:00:00Z."),
    end: str = typer.Option(..., "--end", help="RFC 3339; maintenance always has an end."),
    description: Optional[str] = typer.Option(None, "--description", "-d"),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Schedule a maintenance window (impacts of severity 0, type Maintenance, phase Scheduled)."""
    from ..statuspage import schemas
    from ..statuspage.services import incidents

    begins, ends = _moment(start, "--start"), _moment(end, "--end")
    with _session(db, config) as session:
        request = _request(
            schemas.IncidentRequest,
            displayName=title,
            description=description,
            beganAt=begins,
            endedAt=ends,
            phase=_phase(session, "Scheduled") if _has_phase(session, "Scheduled") else None,
            affects=[
                {**a, "severity": 0} for a in _affects(session, [c.split(":")[0] for c in component], 0, "Maintenance")
            ],
        )
        data = _incident_row(session, incidents.create(session, _actor(), request))
    emit(data, output, lambda: data["id"])


def _has_phase(session: Session, name: str) -> bool:
    from ..statuspage.services import catalog

    return catalog.phase_named(session, name) is not None


@maintenance_app.command("update")
def maintenance_update(
    window: str = typer.Argument(..., help="The maintenance window's id."),
    start: Optional[str] = typer.Option(None, "--start"),
    end: Optional[str] = typer.Option(None, "--end"),
    title: Optional[str] = typer.Option(None, "--title"),
    message: Optional[str] = typer.Option(None, "--message", "-m", help="Add an update."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Move or rename a maintenance window, or add an update to it."""
    from ..statuspage import schemas
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        row = incidents.get(session, _actor(), _uuid(window, "maintenance"))
        request = _request(
            schemas.IncidentRequest, displayName=title, beganAt=_moment(start, "--start"), endedAt=_moment(end, "--end")
        )
        if request.model_fields_set:
            incidents.patch(session, _actor(), row, request)
        if message:
            incidents.add_update(
                session,
                _actor(),
                row,
                _request(schemas.IncidentUpdateRequest, displayName="Update", description=message),
            )
    stderr.print(f"updated maintenance {escape(window)}")


@maintenance_app.command("resolve")
def maintenance_resolve(
    window: str = typer.Argument(..., help="The maintenance window's id."),
    message: Optional[str] = typer.Option(None, "--message", "-m"),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """End a maintenance window now (earlier than planned), with a final update."""
    from .._time import aware, utcnow
    from ..statuspage import schemas
    from ..statuspage.services import catalog, incidents

    with _session(db, config) as session:
        row = incidents.get(session, _actor(), _uuid(window, "maintenance"))
        now = utcnow()
        if row.ended_at is not None and aware(row.ended_at) <= now:
            raise fail(f"maintenance {window} has already ended")
        done = catalog.phase_named(session, "Done")
        fields: dict[str, Any] = {"endedAt": now}
        if done is not None:
            fields["phase"] = {"generation": done[0], "order": done[1]}
        if row.began_at is not None and aware(row.began_at) > now:
            fields["beganAt"] = now  # called off before it began
        incidents.patch(session, _actor(), row, _request(schemas.IncidentRequest, **fields))
        text = message or "The maintenance has ended."
        incidents.add_update(
            session, _actor(), row, _request(schemas.IncidentUpdateRequest, displayName="Done", description=text)
        )
    stderr.print(f"ended maintenance {escape(window)}")


@maintenance_app.command("list")
def maintenance_list(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Planned, running and last month's maintenance windows."""
    from .._time import utcnow
    from ..statuspage.services import incidents

    with _session(db, config) as session:
        now = utcnow()
        found = incidents.window(session, _actor(), now - dt.timedelta(days=30), FAR_FUTURE)
        rows = [_incident_row(session, i) for i in found if i.impacts and all(x.severity == 0 for x in i.impacts)]
    emit(rows, output, _incident_table(rows))


# ---- RCA ---------------------------------------------------------------------------------------

RCA_HELP = "Markdown text; or give every field in --file (YAML or JSON with the API's field names)."


@rca_app.command("set")
def rca_set(
    incident: str = typer.Argument(..., help="The incident's id."),
    file: Optional[Path] = typer.Option(None, "--file", help="YAML/JSON: summary, customerImpact, detection, ..."),
    summary: Optional[str] = typer.Option(None, "--summary", help=RCA_HELP),
    customer_impact: Optional[str] = typer.Option(None, "--customer-impact"),
    detection: Optional[str] = typer.Option(None, "--detection"),
    timeline: Optional[str] = typer.Option(None, "--timeline"),
    root_cause: Optional[str] = typer.Option(None, "--root-cause"),
    corrective_actions: Optional[str] = typer.Option(None, "--corrective-actions"),
    preventive_actions: Optional[str] = typer.Option(None, "--preventive-actions"),
    publish: bool = typer.Option(False, "--publish", help="Make it public now (otherwise a draft)."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Write (or replace) an incident's RCA; fields not given keep their current text."""
    import yaml

    from ..statuspage import schemas
    from ..statuspage.services import rca

    given: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise fail(f"cannot read {file}: {error}") from None
        if not isinstance(loaded, dict):
            raise fail(f"{file}: expected a mapping of RCA fields")
        given.update(loaded)
    options = {
        "summary": summary,
        "customerImpact": customer_impact,
        "detection": detection,
        "timeline": timeline,
        "rootCause": root_cause,
        "correctiveActions": corrective_actions,
        "preventiveActions": preventive_actions,
    }
    given.update({k: v for k, v in options.items() if v is not None})
    with _session(db, config) as session:
        incident_id = _uuid(incident)
        from ..statuspage.services import incidents

        current = incidents.get(session, _actor(), incident_id).rca
        base = (
            rca.out(current).model_dump(by_alias=True, include=set(schemas.RCA_FIELDS) | {"published"})
            if current
            else {}
        )
        merged = {**base, **given, "published": publish or bool(base.get("published"))}
        rca.put(session, _actor(), incident_id, _request(schemas.RcaRequest, **merged))
    stderr.print(f"RCA of {escape(incident)} {'published' if merged['published'] else 'saved as a draft'}")


@rca_app.command("publish")
def rca_publish(
    incident: str = typer.Argument(..., help="The incident's id."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Make an incident's RCA public."""
    from ..statuspage import schemas
    from ..statuspage.services import rca

    with _session(db, config) as session:
        row = rca.get(session, _actor(), _uuid(incident))
        fields = rca.out(row).model_dump(include=set(schemas.RCA_FIELDS))
        rca.put(session, _actor(), row.incident_id, schemas.RcaRequest(**fields, published=True))
    stderr.print(f"RCA of {escape(incident)} published")


@rca_app.command("show")
def rca_show(
    incident: str = typer.Argument(..., help="The incident's id."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """An incident's RCA (drafts too)."""
    from ..statuspage.services import rca

    with _session(db, config) as session:
        data = rca.out(rca.get(session, _actor(), _uuid(incident))).model_dump(mode="json", by_alias=True)

    def table() -> Table:
        view = Table("field", "text", title="published" if data["published"] else "draft")
        for key, value in data.items():
            view.add_row(key, escape(str(value)))
        return view

    emit(data, output, table)


# ---- tokens ------------------------------------------------------------------------------------


@token_app.command("add")
def token_add(
    name: str = typer.Argument(..., help="e.g. healthmon, oncall-alice."),
    scope: str = typer.Option(..., "--scope", help="admin, writer or machine."),
    source: Optional[str] = typer.Option(None, "--source", help="Machine tokens: their incidents' source (healthmon)."),
    token_file: Path = typer.Option(..., "--token-file", help="Where the token goes (created with mode 600)."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Create a token; it is written to --token-file once (only its hash is kept)."""
    from ..statuspage.services import tokens

    if token_file.exists():
        raise fail(f"{token_file} exists; not overwriting it", "choose another --token-file or remove it")
    with _session(db, config) as session:
        secret = tokens.create(session, _actor(), name, scope, source)
        try:
            token_file.touch(mode=0o600)
            token_file.write_text(secret + "\n", encoding="utf-8")
        except OSError as error:
            raise fail(f"cannot write {token_file}: {error.strerror}") from None
    stderr.print(
        f"token {escape(name)} ({scope}) written to {escape(str(token_file))}; send it as Authorization: Bearer"
    )


@token_app.command("list")
def token_list(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Token names and scopes (never secrets or hashes)."""
    from ..statuspage.services import tokens

    with _session(db, config) as session:
        rows = [
            {"name": t.name, "scope": t.scope, "source": t.source, "created_at": t.created_at.isoformat() + "Z"}
            for t in tokens.listing(session)
        ]

    def table() -> Table:
        view = Table("name", "scope", "source", "created")
        for row in rows:
            view.add_row(escape(row["name"]), row["scope"], row["source"], row["created_at"])
        return view

    emit(rows, output, table)


@token_app.command("remove")
def token_remove(
    name: str = typer.Argument(...), db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION
) -> None:
    """Revoke a token at once."""
    from ..statuspage.services import tokens

    with _session(db, config) as session:
        tokens.remove(session, _actor(), name)
    stderr.print(f"token {escape(name)} removed")


# ---- webhooks ----------------------------------------------------------------------------------


@webhook_app.command("add")
def webhook_add(
    url: str = typer.Argument(..., help="Where to POST incident events."),
    secret_file: Path = typer.Option(..., "--secret-file", help="The HMAC key (16 to 256 characters) in a file."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Add an outgoing webhook (signed: X-SCS-Signature: sha256=HMAC(secret, timestamp.body))."""
    from ..statuspage.services import webhooks

    try:
        secret = secret_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise fail(f"cannot read {secret_file}: {error.strerror}") from None
    with _session(db, config) as session:
        hook = webhooks.add(session, _actor(), url, secret)
        hook_id = hook.id
    stderr.print(f"webhook {hook_id} added")


@webhook_app.command("list")
def webhook_list(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    from ..statuspage.services import webhooks

    with _session(db, config) as session:
        rows = [{"id": h.id, "url": h.url} for h in webhooks.listing(session)]

    def table() -> Table:
        view = Table("id", "url")
        for row in rows:
            view.add_row(str(row["id"]), escape(str(row["url"])))
        return view

    emit(rows, output, table)


@webhook_app.command("remove")
def webhook_remove(
    hook: int = typer.Argument(...), db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION
) -> None:
    from ..statuspage.services import webhooks

    with _session(db, config) as session:
        webhooks.remove(session, _actor(), hook)
    stderr.print(f"webhook {hook} removed")


# ---- audit -------------------------------------------------------------------------------------


@app.command()
def audit(
    limit: int = typer.Option(50, min=1, max=10000),
    entity: Optional[str] = typer.Option(None, help="incident, update, component, rca, token, ..."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Every write, newest first: who, what, before and after."""
    from ..statuspage.services import audit as trail

    with _session(db, config) as session:
        rows = [trail.document(e) for e in trail.listing(session, limit, entity)]
    for row in rows:
        row["at"] = row["at"].isoformat() + "Z"

    def table() -> Table:
        view = Table("at", "actor", "action", "entity", "id")
        for row in rows:
            view.add_row(row["at"], escape(row["actor"]), row["action"], row["entity"], escape(row["entity_id"]))
        return view

    emit(rows, output, table)
