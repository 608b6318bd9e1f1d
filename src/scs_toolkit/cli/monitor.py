"""`scs monitor`: run the compliance monitor and manage its database.

Every subcommand finds the database the same way (see scs_toolkit.monitor.settings): `--db`, then
SCS_MONITOR_DB, then the config file, then SQLite in the tool's data folder.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

if TYPE_CHECKING:
    from ..monitor.db import Database
    from ..monitor.settings import MonitorSettings

app = typer.Typer(help="The compliance monitor: signed reports in, certification status out.", no_args_is_help=True)

DB_OPTION = typer.Option(
    None,
    "--db",
    help="SQLAlchemy URL of the monitor's database (SQLite file or postgresql+psycopg://...). "
    "Default: $SCS_MONITOR_DB, else `db` of the config file, else $XDG_DATA_HOME/scs-toolkit/monitor.db.",
    show_default=False,
)
CONFIG_OPTION = typer.Option(
    None,
    "--config",
    help="Config file (YAML: db, db_password_file, accounts, host, port). "
    "Default: $SCS_MONITOR_CONFIG, else $XDG_CONFIG_HOME/scs-toolkit/monitor.yaml if it exists.",
    show_default=False,
)


def _settings(db: str | None, config: Path | None) -> MonitorSettings:
    from ..monitor.settings import SettingsError, resolve

    try:
        return resolve(db, config)
    except SettingsError as error:
        raise fail(str(error), "see `scs monitor config --help`") from None


def _database(settings: MonitorSettings, quiet: bool = False) -> Database:
    """Migrate and open the database, saying which one it is (password masked) and warning when a
    new, empty SQLite file is about to be created (a mistyped path would otherwise go unnoticed)."""
    from ..monitor.db import Database, migrate
    from ..monitor.settings import sqlite_file

    path = sqlite_file(settings.db_url)
    if not quiet:
        stderr.print(
            f"database: {escape(settings.shown_db)} (from {escape(settings.db_source)})",
            highlight=False,
            soft_wrap=True,
        )
    if path is not None and not path.exists():
        if settings.db_source == "default":
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise fail(
                f"cannot create the database {path}: the folder {path.parent} does not exist",
                f"check the database URL (from {settings.db_source})",
            )
        stderr.print(
            f"[yellow]warning:[/] creating a new, empty monitor database {escape(str(path))}; "
            f"if you meant an existing one, check --db, SCS_MONITOR_DB or the config file",
            highlight=False,
            soft_wrap=True,
        )
    try:
        migrate(settings.db_url)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise fail(
            f"cannot prepare the database {settings.shown_db}: {reason}",
            f"check the database URL (from {settings.db_source}), e.g. --db sqlite:///monitor.db",
        ) from None
    return Database(settings.db_url)


@app.command()
def serve(
    db: Optional[str] = DB_OPTION,
    host: Optional[str] = typer.Option(
        None, help="Address to listen on (default 127.0.0.1; 0.0.0.0 only inside a container).", show_default=False
    ),
    port: Optional[int] = typer.Option(None, help="Port to listen on (default 8080).", show_default=False),
    accounts: Optional[Path] = typer.Option(
        None,
        "--accounts",
        help="Accounts file (SCS bootstrap format, see docs/monitor-accounts.md); when given it is "
        "authoritative: accounts not in it are removed. Default: `accounts` of the config file.",
        show_default=False,
    ),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Migrate the database, load the accounts, serve until Ctrl-C."""
    from .._serving import BackgroundServer, freeze_startup_heap, stop_on_signals
    from ..monitor.accounts import AccountsError, load_accounts, sync_accounts
    from ..monitor.app import create_app

    settings = _settings(db, config)
    host = host or settings.host or "127.0.0.1"
    port = port if port is not None else settings.port if settings.port is not None else 8080
    accounts = accounts or settings.accounts
    specs = None
    if accounts is not None:
        try:
            specs = load_accounts(accounts)
        except AccountsError as error:
            raise fail(str(error), "the format: docs/monitor-accounts.md") from None
    database = _database(settings, quiet=True)
    if specs is not None:
        with database.session() as session:
            sync_accounts(session, specs)
    with stop_on_signals(threading.Event()) as stopped:  # a SIGTERM right after the URL line still stops cleanly
        try:
            server = BackgroundServer(create_app(database), host, port).start()
            freeze_startup_heap()
        except OSError as error:
            raise fail(f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port") from None
        stdout.print(
            f"compliance monitor listening on [bold]{escape(server.url)}[/] "
            f"(database {escape(settings.shown_db)}, from {escape(settings.db_source)})",
            highlight=False,
            soft_wrap=True,  # one line, whatever the terminal: scripts read the URL from it
        )
        stopped.wait()
    server.stop()
    database.close()


@app.command()
def migrate(db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION) -> None:
    """Bring the database schema up to date.

    `serve` does this too; run it once before rolling out several replicas of a new version.
    """
    from sqlalchemy import text

    database = _database(_settings(db, config))
    with database.session() as session:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    database.close()
    stderr.print(f"schema at revision {escape(str(revision))} (the newest)")


@app.command("config")
def show_config(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Show which database, accounts file, address and port the monitor would use, and why.

    Passwords are masked; nothing is changed or created.
    """
    settings = _settings(db, config)
    summary = settings.summary()

    def table() -> Table:
        view = Table("setting", "value")
        for key, value in summary.items():
            view.add_row(key, escape("" if value is None else str(value)))
        return view

    emit(summary, output, table)


account_app = typer.Typer(help="Manage accounts (subjects, uploaders, admins) in the database.", no_args_is_help=True)
certificate_app = typer.Typer(help="List and revoke certificates.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(certificate_app, name="certificate")


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
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
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
    database = _database(_settings(db, config))
    try:
        with database.session() as session:
            add_account(session, subject, role, meta)
    except AccountsError as error:
        raise fail(str(error)) from None
    stderr.print(f"account {escape(subject)} saved")


@account_app.command("list")
def account_list(
    db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Accounts with roles and key counts (never secrets or hashes)."""
    from sqlalchemy import select

    from ..monitor.accounts import account_summary
    from ..monitor.db import Account

    with _database(_settings(db, config)).session() as session:
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
def account_remove(
    subject: str = typer.Argument(...), db: Optional[str] = DB_OPTION, config: Optional[Path] = CONFIG_OPTION
) -> None:
    """Remove an account with its keys (its reports stay: they are history)."""
    from ..monitor.accounts import AccountNotFound, remove_account

    try:
        with _database(_settings(db, config)).session() as session:
            remove_account(session, subject)
    except AccountNotFound as error:
        raise fail(str(error), "see `scs monitor account list`") from None
    stderr.print(f"account {escape(subject)} removed")


@account_app.command("add-key")
def account_add_key(
    subject: str = typer.Argument(...),
    public_key: Path = typer.Argument(..., help="ed25519 public key file (OpenSSH .pub)."),
    name: Optional[str] = typer.Option(None, help="Key name (default: the file name)."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Add a public key that may sign the account's uploads."""
    from ..monitor.accounts import AccountNotFound, AccountsError, add_public_key

    try:
        line = public_key.read_text().strip()
    except OSError as error:
        raise fail(f"cannot read {public_key}: {error.strerror}") from None
    try:
        with _database(_settings(db, config)).session() as session:
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
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Create a random API key; only its argon2 hash is stored, the secret is shown once."""
    from ..monitor.accounts import AccountNotFound, add_api_key

    try:
        with _database(_settings(db, config)).session() as session:
            secret = add_api_key(session, subject)
    except AccountNotFound as error:
        raise fail(str(error), "add the account first: scs monitor account add SUBJECT") from None
    if token_file is not None:
        _write_token(token_file, subject, secret)
        stderr.print(f"API key written to {escape(str(token_file))} (use it with --token-file)")
    else:
        sys.stdout.write(f"{subject}:{secret}\n")
        stderr.print("this secret is shown only once; keep it (e.g. in a --token-file)")


@account_app.command("hash-apikey")
def account_hash_apikey(
    subject: str = typer.Argument(..., help="The account the key is for."),
    token_file: Path = typer.Option(..., "--token-file", help="Write `subject:secret` here (mode 0600)."),
) -> None:
    """Make an API key for the accounts file: the secret goes to --token-file, its argon2 hash to stdout.

    Needs no database: paste the hash under the account's `api_keys` (docs/monitor-accounts.md).
    """
    from ..monitor import names
    from ..monitor.accounts import hash_api_key, new_api_key

    try:
        names.require_subject(subject)
    except names.InvalidName as error:
        raise fail(str(error)) from None
    if token_file.exists():
        raise fail(f"{token_file} exists; not overwriting a key", "choose another --token-file or remove it")
    secret = new_api_key()
    _write_token(token_file, subject, secret)
    sys.stdout.write(hash_api_key(secret) + "\n")
    stderr.print(f"secret written to {escape(str(token_file))}; the hash above goes into the accounts file")


def _write_token(path: Path, subject: str, secret: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(f"{subject}:{secret}\n")


@certificate_app.command("list")
def certificate_list(
    subject: Optional[str] = typer.Option(None, help="Only this subject."),
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Certificates with their state (valid, expired, revoked)."""
    from ..monitor.schemas import certificate_info
    from ..monitor.services import certificates
    from ..monitor.services.status import utcnow

    now = utcnow()
    with _database(_settings(db, config)).session() as session:
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
    db: Optional[str] = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Revoke a certificate; it appears on the public revocation list at once."""
    from ..monitor.services import certificates
    from ..monitor.services.status import utcnow

    try:
        with _database(_settings(db, config)).session() as session:
            certificates.revoke(session, serial, reason, utcnow())
    except certificates.CertificateError as error:
        raise fail(str(error), "see `scs monitor certificate list`") from None
    stderr.print(f"certificate {escape(serial)} revoked")
