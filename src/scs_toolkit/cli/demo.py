"""`scs demo`: the whole system on one machine with one command (see scs_toolkit.demo)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from ..demo import RoundSummary


def demo(
    once: bool = typer.Option(False, "--once", help="One full round, then exit 0 if everything worked as designed."),
    reset: bool = typer.Option(False, "--reset", help="Start from an empty data directory (history is lost)."),
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", help="Where databases, keys and reports live (default: ~/.local/share/scs-toolkit/demo)."
    ),
    port: int = typer.Option(8080, help="Port of the compliance monitor (0 picks a free one)."),
    health_port: int = typer.Option(0, "--health-port", help="Port of the health dashboard (0 picks a free one)."),
    check_interval: float = typer.Option(600.0, "--check-interval", min=10, help="Seconds between check rounds."),
    health_interval: float = typer.Option(60.0, "--health-interval", min=5, help="Seconds between health iterations."),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Simulated clouds as subjects, the compliance monitor, signed check uploads and the health monitor,
    all on loopback. Runs until Ctrl-C (or one round with --once)."""
    from .._serving import stop_on_signals
    from ..demo import Demo, DemoError, default_data_dir, prepare_data_dir

    def say(message: str) -> None:
        stderr.print(f"[dim]demo:[/] {escape(message)}", highlight=False)

    started = time.monotonic()
    try:
        directory = prepare_data_dir(data_dir or default_data_dir(), reset)
        say(f"data directory {directory}")
        running = Demo(directory, port, health_port, say)
    except DemoError as error:
        raise fail(str(error)) from None
    stop = running.stopping
    try:
        with stop_on_signals(stop):
            summary = running.round()
            _show(summary, output, running.monitor_url, time.monotonic() - started)
            if once:
                if not summary.ok:
                    raise typer.Exit(1)
                return
            running.start_health_schedule(health_interval)
            say(
                f"running: health iterations every {health_interval:.0f} s, checks every {check_interval:.0f} s; Ctrl-C stops"
            )
            while not stop.wait(check_interval):
                summary = running.round()
                _show(summary, output, running.monitor_url, None)
    finally:
        if stop.is_set() and not once:
            say("stopping: the running health iterations clean up, then the servers and clouds stop")
        running.stop()
        if not once:
            say("stopped")


def _show(summary: RoundSummary, output: OutputFormat, url: str, seconds: float | None) -> None:
    rows = summary.rows()

    def table() -> Table:
        view = Table("subject", "profile", "check verdicts", "monitor", "certified", "health", title="SCS demo round")
        for row in rows:
            verdicts = ", ".join(f"{v} {r}" for v, r in row["verdicts"].items()) or "–"
            health = row["health"] or "–"
            if row["health_api_errors"]:
                health += " (" + ", ".join(f"{s} {n} errors" for s, n in row["health_api_errors"].items()) + ")"
            view.add_row(
                row["subject"],
                row["profile"],
                verdicts,
                row["monitor"],
                ", ".join(row["certified"]) or "–",
                escape(health),
            )
        return view

    emit({"ok": summary.ok, "monitor": url, "subjects": rows}, output, table)
    for row in rows:
        for problem in row["problems"]:
            stderr.print(f"[bold red]problem:[/] {escape(row['subject'])}: {escape(problem)}")
    if output is OutputFormat.table:
        timing = f" (first round complete after {seconds:.0f} s)" if seconds is not None else ""
        stdout.print(f"overview: [bold]{escape(url)}/[/]{timing}")
