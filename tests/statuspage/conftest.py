"""The status page over real HTTP: alone at the root (`scs status serve`) and mounted in the compliance
monitor at /status, on SQLite and on CI's PostgreSQL, with an admin, a writer and a machine token.

Tests never see the user's files: XDG folders point into tmp_path and the monitor's variables are cleared.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.app import create_app as create_monitor
from scs_toolkit.monitor.db import Base, Database, migrate
from scs_toolkit.statuspage.app import PageSettings, create_standalone_app
from scs_toolkit.statuspage.db import TABLES
from scs_toolkit.statuspage.model import Actor
from scs_toolkit.statuspage.services import tokens
from tests.monitor.helpers import DATABASES, database_url

MIGRATION = Path(__file__).parents[2] / "src/scs_toolkit/monitor/db/migrations/versions/0003_status_page.py"
CLI = Actor("test-setup", "admin")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    for name in ("SCS_MONITOR_DB", "SCS_MONITOR_CONFIG", "SCS_MONITOR_DB_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)


def reset(database: Database, tokens_too: bool = False) -> None:
    """Empty the status page tables and put the migration's defaults back (a shared PostgreSQL keeps
    what earlier tests left, and some tests change the defaults)."""
    spec = importlib.util.spec_from_file_location("status_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    tables = Base.metadata.tables
    with database.engine.begin() as connection:
        for name in TABLES:
            if name != "sp_token" or tokens_too:
                connection.execute(delete(tables[name]))
        connection.execute(
            insert(tables["sp_impact_type"]),
            [{"id": uuid.uuid4(), "display_name": n, "description": d} for n, d in migration.IMPACT_TYPES],
        )
        connection.execute(
            insert(tables["sp_phase"]),
            [{"generation": 1, "position": o, "name": n} for o, n in enumerate(migration.PHASES)],
        )
        connection.execute(
            insert(tables["sp_severity"]), [{"display_name": n, "value": v} for n, v in migration.SEVERITIES]
        )


def _database(kind: str, folder: Path) -> Database:
    url = database_url(kind, folder)
    migrate(url)
    opened = Database(url)
    reset(opened, tokens_too=True)
    return opened


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh status page database (for tests that start their own servers)."""
    opened = _database(request.param, tmp_path)
    yield opened
    reset(opened, tokens_too=True)
    opened.close()


@dataclass
class StatusPage:
    """A running status page: `url` is where the 1.1.2 paths are (the root, or /status in the monitor)."""

    url: str
    database: Database
    tokens: dict[str, str]
    app: Any

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def client(self, who: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.auth(who) if who else {}, timeout=30)

    def seeded(self) -> dict[str, Any]:
        """Ids of the default impact types by name, and the newest phase generation."""
        with self.client() as client:
            types = {t["displayName"]: t["id"] for t in client.get("/impacttypes").json()["data"]}
            generation = client.get("/phases").json()["data"]["generation"]
        return {"types": types, "generation": generation}


def make_tokens(database: Database) -> dict[str, str]:
    with database.session() as db:
        return {
            "admin": tokens.create(db, CLI, "ops-admin", "admin"),
            "writer": tokens.create(db, CLI, "ops-writer", "writer"),
            "machine": tokens.create(db, CLI, "healthmon-1", "machine", "healthmon"),
            "machine2": tokens.create(db, CLI, "healthmon-2", "machine", "healthmon"),
        }


@pytest.fixture(scope="module", params=[(d, m) for d in DATABASES for m in ("standalone", "monitor")], ids=str)
def running_page(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatusPage]:
    """One server per module and way of running (alone at the root, inside the compliance monitor), so
    each token costs argon2 once; `status_page` empties the data between tests."""
    kind, mode = request.param
    database = _database(kind, tmp_path_factory.mktemp("statuspage"))
    secrets = make_tokens(database)
    app: Any = create_standalone_app(database, PageSettings()) if mode == "standalone" else create_monitor(database)
    with BackgroundServer(app) as server:
        yield StatusPage(server.url + ("" if mode == "standalone" else "/status"), database, secrets, app)
    reset(database, tokens_too=True)
    database.close()


@pytest.fixture
def status_page(running_page: StatusPage) -> StatusPage:
    reset(running_page.database)
    return running_page


@pytest.fixture(scope="module", params=DATABASES)
def running_standalone(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StatusPage]:
    """Only the stand-alone server, once per module: for rules that do not depend on where it runs."""
    database = _database(request.param, tmp_path_factory.mktemp("statuspage"))
    secrets = make_tokens(database)
    app = create_standalone_app(database, PageSettings(public_url="http://status.example"))
    with BackgroundServer(app) as server:
        yield StatusPage(server.url, database, secrets, app)
    reset(database, tokens_too=True)
    database.close()


@pytest.fixture
def standalone(running_standalone: StatusPage) -> StatusPage:
    reset(running_standalone.database)
    return running_standalone
