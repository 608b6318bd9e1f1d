"""`scs health`: black-box probing of a cloud's API (iterations, metrics, dashboard, alerts, clean-up)."""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from .._paths import state_dir
from ._cloud import CACERT, CLOUD, CLOUDS, INSECURE, cloud_specs, connect_or_fail
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..health import CloudSchedule, HealthStore, IterationResult, ScenarioOptions

app = typer.Typer(
    help="Health monitor: build, use and tear down real resources; measure every API call.", no_args_is_help=True
)


class RunFormat(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    yaml = "yaml"


def _default_db() -> str:
    return f"sqlite:///{state_dir() / 'health.db'}"


DB = typer.Option(
    None,
    "--db",
    envvar="SCS_HEALTH_DB",
    help="Time-series database (SQLAlchemy URL; SCS_HEALTH_DB). Default: health.db in the state folder "
    "($XDG_STATE_HOME/scs-toolkit, ~/.local/state/scs-toolkit).",
    show_default=False,
)
VMS = typer.Option(1, "--vms", min=0, max=20, help="Servers behind the jump host.")
WITH_LB = typer.Option(False, "--with-lb", help="Also a load balancer with the servers as members.")
WITH_VOLUMES = typer.Option(False, "--with-volumes", help="Also one volume per server.")
TIMEOUT = typer.Option(30.0, "--timeout", min=1, help="Seconds before an API request counts as hanging and is cut.")
SSH_TIMEOUT = typer.Option(120.0, "--ssh-timeout", min=1, help="Seconds the jump host may take to accept SSH.")
WEBHOOK = typer.Option(None, "--webhook", help="POST alerts as JSON to this URL.")
STATUS_PAGE = typer.Option(
    None,
    "--status-page",
    metavar="URL",
    help="Report every iteration and its alerts to this status page (e.g. http://monitor:8080/status): "
    "alerts open incidents on the cloud's component (label cloud=NAME), clean iterations resolve them.",
)
STATUS_TOKEN_FILE = typer.Option(
    None,
    "--status-token-file",
    metavar="FILE",
    help="File with the status page's machine token (scs status token add NAME --scope machine --token-file FILE).",
)
STATUS_PROPOSE = typer.Option(
    False, "--status-propose", help="Only propose incidents; a person confirms them (scs status incident confirm)."
)
STATUS_RESOLVE_AFTER = typer.Option(
    3, "--status-resolve-after", min=1, help="Clean iterations after which the status page resolves an incident."
)


def _schedules(
    clouds: list[str],
    insecure: bool,
    cacert: str | None,
    iterations: int | None,
    interval: float,
    options: ScenarioOptions,
) -> list[CloudSchedule]:
    from ..health import CloudSchedule

    return [CloudSchedule(spec.label, options, interval, iterations) for spec in cloud_specs(clouds, insecure, cacert)]


def _options(vms: int, with_lb: bool, with_volumes: bool, timeout: float, ssh_timeout: float) -> ScenarioOptions:
    from ..health import ScenarioOptions

    return ScenarioOptions(
        vms=vms, with_lb=with_lb, with_volumes=with_volumes, api_timeout_s=timeout, ssh_timeout_s=ssh_timeout
    )


def _monitor(db: str | None, webhook: str | None, insecure: bool, cacert: str | None) -> tuple[Any, HealthStore]:
    from ..health import Alerter, HealthMetrics, HealthMonitor, HealthStore, connect

    url = db or _default_db()
    if db is None:
        state_dir().mkdir(parents=True, exist_ok=True)
    try:
        store = HealthStore(url)
    except Exception as error:
        raise fail(
            f"cannot open the database {_masked(url)}: {type(error).__name__}: {error}",
            "check --db (e.g. sqlite:///health.db)",
        ) from None
    monitor = HealthMonitor(
        store,
        HealthMetrics(),
        Alerter(store, webhook=webhook),
        connector=lambda cloud, timeout: connect(cloud, timeout, insecure, cacert),
    )
    return monitor, store


def _bridge(
    url: str | None, token_file: Path | None, propose: bool, resolve_after: int, dashboard_url: str | None
) -> Any:
    """The status page bridge for --status-page, or None; exit 2 when the token cannot be read."""
    from ..health._incidents import BridgeSettings, StatusPageBridge

    if url is None:
        if token_file is not None:
            raise fail("--status-token-file needs --status-page URL")
        return None
    if not url.startswith(("http://", "https://")):
        raise fail(
            f"--status-page must be an http(s) URL, not {url!r}", "e.g. --status-page http://monitor:8080/status"
        )
    if token_file is None:
        raise fail(
            "--status-page needs --status-token-file FILE",
            "scs status token add NAME --scope machine --token-file FILE",
        )
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise fail(f"cannot read the status page token file {token_file}: {error.strerror}") from None
    if "." not in token:
        raise fail(f"{token_file} does not hold a status page token (NAME.SECRET)", "scs status token add --help")
    settings = BridgeSettings(url, token, dashboard_url, "propose" if propose else "open", resolve_after)
    return StatusPageBridge(settings)


def _masked(url: str) -> str:
    """A database URL fit to print: never with its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the given URL"


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


def _progress(schedules: list[CloudSchedule]) -> tuple[Progress, Callable[[str, int, str], None]]:
    """A live line per cloud on stderr (iteration and step), when stderr is a terminal."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    tasks = {s.cloud: progress.add_task(f"{escape(s.cloud)}: starting", total=None) for s in schedules}
    lock = threading.Lock()

    def on_step(cloud: str, iteration: int, step: str) -> None:
        with lock:
            progress.update(tasks[cloud], description=f"{escape(cloud)} #{iteration}: {escape(step)}")

    return progress, on_step


@app.command()
def run(
    clouds: list[str] = CLOUDS,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    iterations: int = typer.Option(1, "--iterations", "-n", min=1, help="Iterations per cloud."),
    forever: bool = typer.Option(False, "--forever", help="Iterate until Ctrl-C (instead of --iterations)."),
    interval: float = typer.Option(60.0, "--interval", min=0, help="Seconds between the start of iterations."),
    vms: int = VMS,
    with_lb: bool = WITH_LB,
    with_volumes: bool = WITH_VOLUMES,
    timeout: float = TIMEOUT,
    ssh_timeout: float = SSH_TIMEOUT,
    db: Optional[str] = DB,
    webhook: Optional[str] = WEBHOOK,
    status_page: Optional[str] = STATUS_PAGE,
    status_token_file: Optional[Path] = STATUS_TOKEN_FILE,
    status_propose: bool = STATUS_PROPOSE,
    status_resolve_after: int = STATUS_RESOLVE_AFTER,
    output: RunFormat = typer.Option(
        RunFormat.table,
        "--format",
        "-f",
        help="table (a line per iteration), json (one document at the end), jsonl (a line per iteration, as it "
        "ends) or yaml.",
    ),
) -> None:
    """Run iterations and report each. Exit 0 if all passed, 1 if any failed, 130 on Ctrl-C."""
    from .._serving import stop_on_signals

    options = _options(vms, with_lb, with_volumes, timeout, ssh_timeout)
    schedules = _schedules(clouds, insecure, cacert, None if forever else iterations, interval, options)
    bridge = _bridge(status_page, status_token_file, status_propose, status_resolve_after, None)
    monitor, store = _monitor(db, webhook, insecure, cacert)
    monitor.after_evaluation = bridge
    lock = threading.Lock()
    progress, on_step = _progress(schedules)

    def show(result: IterationResult) -> None:
        with lock:
            if output is RunFormat.jsonl:
                sys.stdout.write(json.dumps(result.summary()) + "\n")
            elif output is RunFormat.yaml:
                sys.stdout.write(yaml.safe_dump(result.summary(), sort_keys=False, explicit_start=True))
            elif output is RunFormat.table:
                stdout.print(_line(result), highlight=False)  # above the live progress lines, which own stderr
            sys.stdout.flush()

    stop = threading.Event()
    stderr.print(f"health iterations on {escape(', '.join(s.cloud for s in schedules))} (Ctrl-C stops and cleans up)")
    with stop_on_signals(stop), progress:
        results = monitor.run(schedules, stop, show, on_step=on_step)
    store.close()
    if bridge is not None:
        bridge.close()
    if output is RunFormat.json:
        sys.stdout.write(json.dumps([r.summary() for r in results], indent=2) + "\n")
    if stop.is_set():
        stderr.print("interrupted: the running iterations removed what they had created")
        raise typer.Exit(130)
    raise typer.Exit(0 if results and all(r.ok for r in results) else 1)


@app.command()
def serve(
    clouds: list[str] = CLOUDS,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    interval: float = typer.Option(300.0, "--interval", min=1, help="Seconds between the start of iterations."),
    vms: int = VMS,
    with_lb: bool = WITH_LB,
    with_volumes: bool = WITH_VOLUMES,
    timeout: float = TIMEOUT,
    ssh_timeout: float = SSH_TIMEOUT,
    db: Optional[str] = DB,
    webhook: Optional[str] = WEBHOOK,
    status_page: Optional[str] = STATUS_PAGE,
    status_token_file: Optional[Path] = STATUS_TOKEN_FILE,
    status_propose: bool = STATUS_PROPOSE,
    status_resolve_after: int = STATUS_RESOLVE_AFTER,
    host: str = typer.Option("127.0.0.1", help="Address for the dashboard and /metrics."),
    port: int = typer.Option(8090, help="Port for the dashboard and /metrics."),
) -> None:
    """Iterate on every cloud until Ctrl-C, serving the dashboard, JSON summaries and /metrics.

    A cloud that cannot log in or be reached stays on the dashboard: each iteration records the cause."""
    from .._serving import BackgroundServer, freeze_startup_heap, stop_on_signals
    from ..health import create_health_app

    options = _options(vms, with_lb, with_volumes, timeout, ssh_timeout)
    schedules = _schedules(clouds, insecure, cacert, None, interval, options)
    monitor, store = _monitor(db, webhook, insecure, cacert)
    monitor.after_evaluation = bridge = _bridge(
        status_page, status_token_file, status_propose, status_resolve_after, None
    )
    try:
        server = BackgroundServer(create_health_app(store, monitor.metrics), host, port).start()
        freeze_startup_heap()
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port") from None
    stdout.print(f"health monitor dashboard on [bold]{escape(server.url)}[/] (Ctrl-C stops and cleans up)")
    if bridge is not None:  # the evidence links of its updates point at this dashboard
        bridge.settings = dataclasses.replace(bridge.settings, dashboard_url=server.url)
    stop = threading.Event()
    with stop_on_signals(stop):
        monitor.run(schedules, stop, lambda result: stderr.print(_line(result), highlight=False))
    server.stop()
    store.close()
    if bridge is not None:
        bridge.close()


@app.command()
def cleanup(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
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
    [spec] = cloud_specs([cloud] if cloud else None, insecure, cacert)
    conn = connect_or_fail(spec, api_timeout=60)
    try:
        found = remove(conn, prefix, dry_run=dry_run)
    except Exception as error:
        raise fail(
            f"clean-up on {cloud} failed: {type(error).__name__}: {error}", "run it again; it is idempotent"
        ) from None
    rows = [{"kind": item.kind, "name": item.name, "id": item.id, "problem": item.problem} for item in found]

    def table() -> Table | str:
        if not rows:
            return "nothing to clean up"
        view = Table("kind", "name", "problem", title="would delete" if dry_run else "deleted")
        for row in rows:
            view.add_row(str(row["kind"]), escape(str(row["name"])), escape(str(row["problem"] or "")))
        return view

    emit(rows, output, table)
    raise typer.Exit(1 if any(item.problem for item in found) else 0)
