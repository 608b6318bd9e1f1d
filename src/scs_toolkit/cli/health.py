"""`scs health`: black-box probing of a cloud's API (iterations, metrics, dashboard, alerts, clean-up)."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Any, Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from ..health import CloudSchedule, HealthStore, IterationResult

app = typer.Typer(
    help="Health monitor: build, use and tear down real resources; measure every API call.", no_args_is_help=True
)

CLOUDS = typer.Option(..., "--cloud", "-c", help="Cloud name from clouds.yaml (repeat for several, run side by side).")
DB = typer.Option("sqlite:///scs-health.db", "--db", help="Time-series database (SQLAlchemy URL).")
VMS = typer.Option(1, "--vms", min=0, max=20, help="Servers behind the jump host.")
WITH_LB = typer.Option(False, "--with-lb", help="Also a load balancer with the servers as members.")
WITH_VOLUMES = typer.Option(False, "--with-volumes", help="Also one volume per server.")
TIMEOUT = typer.Option(30.0, "--timeout", min=1, help="Seconds before an API request counts as hanging and is cut.")
WEBHOOK = typer.Option(None, "--webhook", help="POST alerts as JSON to this URL.")


def _require_clouds(clouds: list[str]) -> None:
    """Exit 2 with a hint unless every name is an entry of clouds.yaml."""
    import openstack.config
    from openstack import exceptions

    config = openstack.config.OpenStackConfig()
    for cloud in clouds:
        try:
            config.get_one(cloud=cloud)
        except exceptions.ConfigException as error:
            raise fail(f"cloud {cloud!r}: {error}", "name a cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE)") from None


def _schedules(
    clouds: list[str],
    iterations: int | None,
    interval: float,
    vms: int,
    with_lb: bool,
    with_volumes: bool,
    timeout: float,
) -> list[CloudSchedule]:
    from ..health import CloudSchedule, ScenarioOptions

    _require_clouds(clouds)
    options = ScenarioOptions(vms=vms, with_lb=with_lb, with_volumes=with_volumes, api_timeout_s=timeout)
    return [CloudSchedule(c, options, interval, iterations) for c in dict.fromkeys(clouds)]


def _monitor(db: str, webhook: str | None) -> tuple[Any, HealthStore]:
    from ..health import Alerter, HealthMetrics, HealthMonitor, HealthStore

    try:
        store = HealthStore(db)
    except Exception as error:
        raise fail(f"cannot open the database {db}: {error}", "check --db (e.g. sqlite:///health.db)") from None
    return HealthMonitor(store, HealthMetrics(), Alerter(store, webhook=webhook)), store


def _line(result: IterationResult) -> str:
    state = "[green]ok[/]" if result.ok else "[bold red]FAILED[/]"
    errors = ", ".join(f"{s} {n}" for s, n in sorted(result.errors_by_service().items())) or "none"
    text = (
        f"{escape(result.cloud)} #{result.iteration}: {state} in {result.duration_s:.1f} s, "
        f"{len(result.calls)} API calls, errors: {escape(errors)}"
    )
    for failure in result.failures:
        text += f"\n    {escape(failure)}"
    if result.leftovers:
        text += f"\n    [bold red]left behind:[/] {escape(', '.join(result.leftovers))}"
    return text


@app.command()
def run(
    clouds: list[str] = CLOUDS,
    iterations: int = typer.Option(1, "--iterations", "-n", min=1, help="Iterations per cloud."),
    forever: bool = typer.Option(False, "--forever", help="Iterate until Ctrl-C (instead of --iterations)."),
    interval: float = typer.Option(60.0, "--interval", min=0, help="Seconds between the start of iterations."),
    vms: int = VMS,
    with_lb: bool = WITH_LB,
    with_volumes: bool = WITH_VOLUMES,
    timeout: float = TIMEOUT,
    db: str = DB,
    webhook: Optional[str] = WEBHOOK,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Run iterations and print one summary per iteration. Exit 0 if all passed, 1 if any failed, 130 on Ctrl-C."""
    from .._serving import stop_on_signals

    schedules = _schedules(clouds, None if forever else iterations, interval, vms, with_lb, with_volumes, timeout)
    monitor, store = _monitor(db, webhook)
    lock = threading.Lock()

    def show(result: IterationResult) -> None:
        with lock:
            if output is OutputFormat.json:
                sys.stdout.write(json.dumps(result.summary()) + "\n")
            elif output is OutputFormat.yaml:
                sys.stdout.write(yaml.safe_dump(result.summary(), sort_keys=False, explicit_start=True))
            else:
                stdout.print(_line(result), highlight=False)
            sys.stdout.flush()

    stop = threading.Event()
    if output is OutputFormat.table:
        stderr.print(
            f"health iterations on {escape(', '.join(s.cloud for s in schedules))} (Ctrl-C stops and cleans up)"
        )
    with stop_on_signals(stop):
        results = monitor.run(schedules, stop, show)
    store.close()
    if stop.is_set():
        stderr.print("interrupted: the running iterations removed what they had created")
        raise typer.Exit(130)
    raise typer.Exit(0 if results and all(r.ok for r in results) else 1)


@app.command()
def serve(
    clouds: list[str] = CLOUDS,
    interval: float = typer.Option(300.0, "--interval", min=1, help="Seconds between the start of iterations."),
    vms: int = VMS,
    with_lb: bool = WITH_LB,
    with_volumes: bool = WITH_VOLUMES,
    timeout: float = TIMEOUT,
    db: str = DB,
    webhook: Optional[str] = WEBHOOK,
    host: str = typer.Option("127.0.0.1", help="Address for the dashboard and /metrics."),
    port: int = typer.Option(8090, help="Port for the dashboard and /metrics."),
) -> None:
    """Iterate on every cloud until Ctrl-C, serving the dashboard, JSON summaries and /metrics."""
    from .._serving import BackgroundServer, stop_on_signals
    from ..health import create_health_app

    schedules = _schedules(clouds, None, interval, vms, with_lb, with_volumes, timeout)
    monitor, store = _monitor(db, webhook)
    try:
        server = BackgroundServer(create_health_app(store, monitor.metrics), host, port).start()
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port") from None
    stdout.print(f"health monitor dashboard on [bold]{escape(server.url)}[/] (Ctrl-C stops and cleans up)")
    stop = threading.Event()
    with stop_on_signals(stop):
        monitor.run(schedules, stop, lambda result: stderr.print(_line(result), highlight=False))
    server.stop()
    store.close()


@app.command()
def cleanup(
    cloud: str = typer.Option(..., "--cloud", "-c", help="Cloud name from clouds.yaml."),
    prefix: str = typer.Option(
        "scs-health-", help="Only resources whose name starts with this (must start with scs-health-)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Remove what crashed runs left behind; never anything the health monitor did not create."""
    from ..health import PREFIX
    from ..health import cleanup as remove

    if not prefix.startswith(PREFIX):
        raise fail(f"--prefix must start with {PREFIX!r}", "only the health monitor's own resources may be removed")
    _require_clouds([cloud])
    from ..health import connect

    try:
        found = remove(connect(cloud, 60), prefix, dry_run=dry_run)
    except Exception as error:
        raise fail(
            f"clean-up on {cloud} failed: {type(error).__name__}: {error}", "run it again; it is idempotent"
        ) from None
    rows = [{"kind": kind, "name": name} for kind, name in found]

    def table() -> Table | str:
        if not rows:
            return "nothing to clean up"
        view = Table("kind", "name", title="would delete" if dry_run else "deleted")
        for row in rows:
            view.add_row(row["kind"], escape(row["name"]))
        return view

    emit(rows, output, table)
