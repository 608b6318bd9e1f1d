"""`scs monitor`: run the compliance monitor."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from ..monitor.db import Database

app = typer.Typer(help="The compliance monitor: signed reports in, certification status out.", no_args_is_help=True)


@app.command()
def serve(
    db: str = typer.Option("sqlite:///scs-monitor.db", "--db", help="SQLAlchemy URL (SQLite file or PostgreSQL)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    accounts: Optional[Path] = typer.Option(
        None,
        "--accounts",
        help="Accounts file (SCS bootstrap format); when given it is authoritative: others are removed.",
    ),
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


DB_OPTION = typer.Option("sqlite:///scs-monitor.db", "--db", help="SQLAlchemy URL of the monitor's database.")
account_app = typer.Typer(help="Manage accounts (subjects, uploaders, admins) in the database.", no_args_is_help=True)
certificate_app = typer.Typer(help="List and revoke certificates.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(certificate_app, name="certificate")


def _database(url: str) -> Database:
    from ..monitor.db import Database, migrate

    try:
        migrate(url)
    except Exception as error:
        raise fail(f"cannot prepare the database {url}: {error}", "check --db (e.g. sqlite:///monitor.db)") from None
    return Database(url)


@account_app.command("add")
def account_add(
    subject: str = typer.Argument(..., help="Subject name (the cloud, or an uploader such as a CI)."),
    role: list[str] = typer.Option([], "--role", help="read_any, append_any, admin (repeatable)."),
    group: Optional[str] = typer.Option(None, help="Group (regions of one cloud, k8s branches)."),
    display_name: Optional[str] = typer.Option(None, "--display-name", help="Name on the overview."),
    description: Optional[str] = typer.Option(None, help="Description on the overview."),
    operator: Optional[str] = typer.Option(None, help="Operator on the overview."),
    layer: Optional[str] = typer.Option(None, help="IaaS or KaaS."),
    healthmon_url: Optional[str] = typer.Option(None, "--healthmon-url", help="Link to its health monitor."),
    db: str = DB_OPTION,
) -> None:
    """Add an account, or update an existing one's roles and metadata."""
    from ..monitor.accounts import AccountsError, add_account

    meta = {
        "group": group,
        "display_name": display_name,
        "description": description,
        "operator": operator,
        "layer": layer,
        "healthmon_url": healthmon_url,
    }
    database = _database(db)
    try:
        with database.session() as session:
            add_account(session, subject, role, meta)
    except AccountsError as error:
        raise fail(str(error)) from None
    stderr.print(f"account {escape(subject)} saved")


@account_app.command("list")
def account_list(db: str = DB_OPTION, output: OutputFormat = FORMAT_OPTION) -> None:
    """Accounts with roles and key counts (never secrets or hashes)."""
    from sqlalchemy import select

    from ..monitor.accounts import account_summary
    from ..monitor.db import Account

    with _database(db).session() as session:
        rows = [account_summary(a) for a in session.scalars(select(Account).order_by(Account.subject))]

    def table() -> Table:
        view = Table("subject", "roles", "group", "layer", "API keys", "public keys")
        for row in rows:
            view.add_row(
                escape(row["subject"]),
                ", ".join(row["roles"]),
                escape(row["group"] or ""),
                escape(row["layer"] or ""),
                str(row["api_keys"]),
                escape(", ".join(row["public_keys"])),
            )
        return view

    emit(rows, output, table)


@account_app.command("remove")
def account_remove(subject: str = typer.Argument(...), db: str = DB_OPTION) -> None:
    """Remove an account with its keys (its reports stay: they are history)."""
    from ..monitor.accounts import AccountNotFound, remove_account

    try:
        with _database(db).session() as session:
            remove_account(session, subject)
    except AccountNotFound as error:
        raise fail(str(error), "see `scs monitor account list`") from None
    stderr.print(f"account {escape(subject)} removed")


@account_app.command("add-key")
def account_add_key(
    subject: str = typer.Argument(...),
    public_key: Path = typer.Argument(..., help="ed25519 public key file (OpenSSH .pub)."),
    name: Optional[str] = typer.Option(None, help="Key name (default: the file name)."),
    db: str = DB_OPTION,
) -> None:
    """Add a public key that may sign the account's uploads."""
    from ..monitor.accounts import AccountNotFound, AccountsError, add_public_key

    try:
        line = public_key.read_text().strip()
    except OSError as error:
        raise fail(f"cannot read {public_key}: {error.strerror}") from None
    try:
        with _database(db).session() as session:
            add_public_key(session, subject, name or public_key.stem, line)
    except (AccountNotFound, AccountsError) as error:
        raise fail(str(error)) from None
    stderr.print(f"key added to {escape(subject)}")


@account_app.command("add-apikey")
def account_add_apikey(
    subject: str = typer.Argument(...),
    token_file: Optional[Path] = typer.Option(
        None, "--token-file", help="Write `subject:secret` here (mode 0600) instead of printing it."
    ),
    db: str = DB_OPTION,
) -> None:
    """Create a random API key; only its argon2 hash is stored, the secret is shown once."""
    from ..monitor.accounts import AccountNotFound, add_api_key

    try:
        with _database(db).session() as session:
            secret = add_api_key(session, subject)
    except AccountNotFound as error:
        raise fail(str(error), "add the account first: scs monitor account add SUBJECT") from None
    if token_file is not None:
        token_file.touch(mode=0o600)
        token_file.chmod(0o600)
        token_file.write_text(f"{subject}:{secret}\n")
        stderr.print(f"API key written to {escape(str(token_file))} (use it with --token-file)")
    else:
        sys.stdout.write(f"{subject}:{secret}\n")
        stderr.print("this secret is shown only once; keep it (e.g. in a --token-file)")


@certificate_app.command("list")
def certificate_list(
    subject: Optional[str] = typer.Option(None, help="Only this subject."),
    db: str = DB_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Certificates with their state (valid, expired, revoked)."""
    from ..monitor.schemas import certificate_info
    from ..monitor.services import certificates
    from ..monitor.services.status import utcnow

    now = utcnow()
    with _database(db).session() as session:
        rows = [certificate_info(c, now).model_dump(mode="json") for c in certificates.listing(session, subject)]

    def table() -> Table:
        view = Table("serial", "subject", "scope", "version", "expires", "state")
        for row in rows:
            view.add_row(
                row["serial"],
                escape(row["subject"]),
                escape(row["scope_name"]),
                escape(row["version"]),
                row["expires_at"][:10],
                row["state"],
            )
        return view

    emit(rows, output, table)


@certificate_app.command("revoke")
def certificate_revoke(
    serial: str = typer.Argument(...),
    reason: str = typer.Option(..., help="Why (published on the revocation list)."),
    db: str = DB_OPTION,
) -> None:
    """Revoke a certificate; it appears on the public revocation list at once."""
    from ..monitor.services import certificates
    from ..monitor.services.status import utcnow

    try:
        with _database(db).session() as session:
            certificates.revoke(session, serial, reason, utcnow())
    except certificates.CertificateError as error:
        raise fail(str(error), "see `scs monitor certificate list`") from None
    stderr.print(f"certificate {escape(serial)} revoked")
