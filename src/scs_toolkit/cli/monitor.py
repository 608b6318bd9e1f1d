"""`scs monitor`: run the compliance monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from ._output import fail, stdout

app = typer.Typer(help="The compliance monitor: signed reports in, certification status out.", no_args_is_help=True)


@app.command()
def serve(
    db: str = typer.Option("sqlite:///scs-monitor.db", "--db", help="SQLAlchemy URL (SQLite file or PostgreSQL)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    accounts: Optional[Path] = typer.Option(None, "--accounts", help="Accounts file (SCS bootstrap format) to load."),
) -> None:
    """Migrate the database, load the accounts, serve until Ctrl-C."""
    from .._serving import BackgroundServer, wait_for_stop_signal
    from ..monitor.accounts import AccountsError, load_accounts, sync_accounts
    from ..monitor.app import create_app
    from ..monitor.db import Database, migrate

    try:
        migrate(db)
    except Exception as error:
        raise fail(f"cannot prepare the database {db}: {error}", "check --db (e.g. sqlite:///monitor.db)") from None
    database = Database(db)
    if accounts is not None:
        try:
            specs = load_accounts(accounts)
        except AccountsError as error:
            raise fail(str(error)) from None
        with database.session() as session:
            sync_accounts(session, specs)
    try:
        server = BackgroundServer(create_app(database), host, port).start()
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port") from None
    stdout.print(f"compliance monitor listening on [bold]{escape(server.url)}[/] (database {escape(db)})")
    wait_for_stop_signal()
    server.stop()
    database.close()
