"""The `scs` command: one Typer app, one module per command group."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from . import _help, check, cluster, demo, fix, flavor, health, iam, monitor, report, scope, simcloud, simk8s, status

_help.install()

app = typer.Typer(
    name="scs",
    help="Sovereign Cloud Stack certification and transparency toolkit.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(flavor.app, name="flavor")
app.add_typer(scope.app, name="scope")
app.add_typer(simcloud.app, name="simcloud")
app.add_typer(simk8s.app, name="simk8s")
app.add_typer(report.app, name="report")
app.add_typer(iam.app, name="iam")
app.add_typer(monitor.app, name="monitor")
app.add_typer(health.app, name="health")
app.add_typer(status.app, name="status")
app.command("demo")(demo.demo)
app.add_typer(check.app, name="check")
app.add_typer(cluster.app, name="cluster")
app.add_typer(fix.app, name="fix")


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"scs-toolkit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Optional[bool] = typer.Option(
        None, "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Sovereign Cloud Stack certification and transparency toolkit."""


def run() -> None:
    """The console script: a Ctrl-C before a command took over its signals ends quietly with 130."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
