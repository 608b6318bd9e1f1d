"""Where every `scs monitor` command finds its database (and `serve` its accounts file, address
and port): one resolution for all of them, so the server and the management commands cannot
silently use two different databases.

Precedence: the command-line option, then the environment (`SCS_MONITOR_DB`), then the config
file (`--config`, else `SCS_MONITOR_CONFIG`, else $XDG_CONFIG_HOME/scs-toolkit/monitor.yaml when it
exists), then the default: SQLite in the tool's data folder ($XDG_DATA_HOME/scs-toolkit/monitor.db).
A database password can come from a file (`db_password_file` / `SCS_MONITOR_DB_PASSWORD_FILE`), so
that it need not be part of a URL in the environment or a config file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .._paths import config_dir, data_dir

ENV_DB = "SCS_MONITOR_DB"
ENV_CONFIG = "SCS_MONITOR_CONFIG"
ENV_DB_PASSWORD_FILE = "SCS_MONITOR_DB_PASSWORD_FILE"
CONFIG_KEYS = ("db", "db_password_file", "accounts", "host", "port")


class SettingsError(ValueError):
    """A configuration that cannot be used; the message names the file or variable."""


@dataclass(frozen=True)
class MonitorSettings:
    db_url: str  # may hold a password: print `shown_db` instead
    db_source: str  # where the URL came from: "--db", "SCS_MONITOR_DB", a config file, "default"
    config_file: Path | None = None
    accounts: Path | None = None
    host: str | None = None
    port: int | None = None

    @property
    def shown_db(self) -> str:
        return masked(self.db_url)

    def summary(self) -> dict[str, Any]:
        """What `scs monitor config` shows: never the password."""
        return {
            "db": self.shown_db,
            "db_source": self.db_source,
            "sqlite_file": str(sqlite_file(self.db_url)) if sqlite_file(self.db_url) else None,
            "config_file": str(self.config_file) if self.config_file else None,
            "accounts": str(self.accounts) if self.accounts else None,
            "host": self.host,
            "port": self.port,
        }


def resolve(
    db: str | None = None, config: Path | None = None, environ: Mapping[str, str] | None = None
) -> MonitorSettings:
    """The settings for the options given on the command line (None: not given)."""
    env = os.environ if environ is None else environ
    config_file = _config_path(config, env)
    values = _read_config(config_file) if config_file else {}
    if db:
        url, source = db, "--db"
    elif env.get(ENV_DB):
        url, source = env[ENV_DB], ENV_DB
    elif values.get("db"):
        url, source = str(values["db"]), str(config_file)
    else:
        url, source = default_db_url(env), "default"
    password_file = env.get(ENV_DB_PASSWORD_FILE) or values.get("db_password_file")
    if password_file:
        url = _with_password(url, Path(password_file))
    _check_url(url, source)
    return MonitorSettings(
        db_url=url,
        db_source=source,
        config_file=config_file,
        accounts=Path(values["accounts"]) if values.get("accounts") else None,
        host=values.get("host"),
        port=values.get("port"),
    )


def default_db_url(environ: Mapping[str, str]) -> str:
    return f"sqlite:///{data_dir(environ) / 'monitor.db'}"


def masked(url: str) -> str:
    """The URL with its password replaced by ***, fit to print or log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def sqlite_file(url: str) -> Path | None:
    """The absolute path of a file-based SQLite database, None for anything else (incl. in-memory)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser().absolute()


def _config_path(option: Path | None, env: Mapping[str, str]) -> Path | None:
    """The config file to read: a named one must exist; the default one is optional."""
    named = option or (Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else None)
    if named is not None:
        if not named.is_file():
            origin = "--config" if option else ENV_CONFIG
            raise SettingsError(f"config file {named} (from {origin}) does not exist")
        return named.absolute()
    default = config_dir(env) / "monitor.yaml"
    return default if default.is_file() else None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(f"cannot read config file {path}: {error}") from None
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: expected a mapping of {', '.join(CONFIG_KEYS)}")
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise SettingsError(
            f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(CONFIG_KEYS)}"
        )
    for key in ("db", "db_password_file", "accounts", "host"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise SettingsError(f"{path}: `{key}` must be a string")
    port = values.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535):
        raise SettingsError(f"{path}: `port` must be a number from 0 to 65535")
    for key in ("accounts", "db_password_file"):  # relative to the config file, not to where one stands
        if values.get(key):
            values[key] = str((path.parent / Path(values[key]).expanduser()).absolute())
    return values


def _with_password(url: str, password_file: Path) -> str:
    try:
        password = password_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"cannot read the database password file {password_file}: {error.strerror}") from None
    try:
        return make_url(url).set(password=password).render_as_string(hide_password=False)
    except ArgumentError:
        return url  # reported by _check_url


def _check_url(url: str, source: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(
            f"the database URL from {source} is not a URL (expected e.g. sqlite:////var/lib/scs/monitor.db "
            "or postgresql+psycopg://user@host/monitor)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(
            f"the database URL from {source} names {parsed.get_backend_name()}: use SQLite or PostgreSQL"
        )
