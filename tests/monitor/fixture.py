"""The `monitor` fixture: a monitor over real HTTP with accounts for every role, on SQLite and on
the PostgreSQL that CI starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.accounts import hash_api_key, load_accounts, sync_accounts
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Certificate, Database, LatestResult, Report, Result, SubjectGeneration, migrate

from .helpers import DATABASES, database_url, keypair


@pytest.fixture(params=DATABASES)
def monitor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = database_url(request.param, tmp_path)
    migrate(url)
    database = Database(url)
    key_a, pub_a = keypair(tmp_path, "a")
    key_z, pub_z = keypair(tmp_path, "z")
    key_b, pub_b = keypair(tmp_path, "b")
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "subject": "zuul",
                        "roles": ["append_any"],
                        "api_keys": [hash_api_key("zuul-secret")],
                        "keys": [
                            {
                                "public_key": pub_z.split()[1],
                                "public_key_type": pub_z.split()[0],
                                "public_key_name": "z",
                            }
                        ],
                    },
                    {
                        "subject": "cloud-a",
                        "group": "acme",
                        "api_keys": [hash_api_key("a-secret")],
                        "delegates": ["zuul"],
                        "keys": [
                            {
                                "public_key": pub_a.split()[1],
                                "public_key_type": pub_a.split()[0],
                                "public_key_name": "a",
                            }
                        ],
                    },
                    {
                        "subject": "cloud-b",
                        "group": "acme",
                        "api_keys": [hash_api_key("b-secret")],
                        "keys": [
                            {"public_key": pub_b.split()[1], "public_key_type": "ssh-ed25519", "public_key_name": "b"}
                        ],
                    },
                    {"subject": "auditor", "roles": ["read_any"], "api_keys": [hash_api_key("auditor-secret")]},
                    {"subject": "admin", "roles": ["admin"], "api_keys": [hash_api_key("admin-secret")]},
                ]
            }
        )
    )
    with database.session() as session:
        sync_accounts(session, load_accounts(accounts))
    app = create_app(database)
    with BackgroundServer(app) as server:
        yield {
            "url": server.url,
            "app": app,
            "database": database,
            "keys": {"cloud-a": key_a, "cloud-b": key_b, "zuul": key_z},
        }
    with database.session() as session:  # leave a shared PostgreSQL clean for the next test
        for table in (Result, Report, LatestResult, Certificate, SubjectGeneration):
            session.query(table).delete()
    database.close()
