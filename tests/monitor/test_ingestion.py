"""POST /reports over real HTTP: authentication, signatures, validation, permissions, transactions."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.accounts import hash_api_key, load_accounts, sync_accounts
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, Report, Result, migrate
from scs_toolkit.reports import load_private_key, sign

IAAS = "50393e6f-2ae1-4c5c-a62c-3b75f2abef3f"


DATABASES = ["sqlite", *(["postgresql"] if os.environ.get("SCS_TEST_DATABASE_URL") else [])]


def database_url(kind: str, tmp_path: Path) -> str:
    """A fresh SQLite file, or the PostgreSQL that CI starts (SCS_TEST_DATABASE_URL)."""
    return os.environ["SCS_TEST_DATABASE_URL"] if kind == "postgresql" else f"sqlite:///{tmp_path / 'monitor.db'}"


def keypair(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key, key.with_suffix(".pub").read_text()


@pytest.fixture(params=DATABASES)
def monitor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = database_url(request.param, tmp_path)
    migrate(url)
    database = Database(url)
    key_a, pub_a = keypair(tmp_path, "a")
    key_z, pub_z = keypair(tmp_path, "z")
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
                    {"subject": "cloud-b", "api_keys": [hash_api_key("b-secret")]},
                ]
            }
        )
    )
    with database.session() as session:
        sync_accounts(session, load_accounts(accounts))
    with BackgroundServer(create_app(database)) as server:
        yield {"url": server.url, "database": database, "keys": {"cloud-a": key_a, "zuul": key_z}}
    with database.session() as session:  # leave a shared PostgreSQL clean for the next test
        session.query(Result).delete()
        session.query(Report).delete()
    database.close()


def report(subject: str = "cloud-a", checked_at: dt.datetime | None = None, **results: int) -> dict[str, Any]:
    return {
        "spec": {"uuid": IAAS, "name": "SCS-compatible IaaS", "url": "https://example.org/scope.yaml"},
        "checked_at": (checked_at or dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)).isoformat(
            sep=" "
        ),
        "reference_date": "2026-11-23",
        "subject": subject,
        "run": {
            "uuid": str(uuid.uuid4()),
            "argv": [],
            "assignment": {},
            "sections": None,
            "forced_version": None,
            "forced_tests": None,
            "invocations": {
                "i": {
                    "id": "i",
                    "cmd": "x",
                    "results": results or {"scs-0100-syntax-check": 1},
                    "rc": 0,
                    "stdout": [],
                    "stderr": [],
                    "info": 0,
                    "warning": 0,
                    "error": 0,
                    "critical": 0,
                }
            },
        },
    }


def post(
    monitor: dict[str, Any],
    documents: list[dict[str, Any]] | bytes,
    user: str = "cloud-a",
    password: str | None = None,
    signer: str | None = None,
    content_type: str = "application/x-signed-yaml",
) -> httpx.Response:
    payload = (
        documents
        if isinstance(documents, bytes)
        else "".join(yaml.safe_dump(d, explicit_start=True) for d in documents).encode()
    )
    signature = sign(payload, load_private_key(monitor["keys"][signer or user].read_bytes()))
    secret = password or f"{user.split('-')[-1]}-secret"
    auth = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return httpx.post(
        f"{monitor['url']}/reports",
        content=signature.encode() + b"&" + payload,
        headers={"Content-Type": content_type, "Authorization": f"Basic {auth}"},
    )


def stored(monitor: dict[str, Any]) -> int:
    with monitor["database"].session() as session:
        return session.query(Report).count()


def test_signed_report_is_stored_and_evaluated(monitor: dict[str, Any]) -> None:
    reply = post(monitor, [report(**{"scs-0100-syntax-check": 1, "scs-0100-semantics-check": -1})])
    assert reply.status_code == 201, reply.text
    status = httpx.get(f"{monitor['url']}/status", params={"subject": "cloud-a"}).json()
    testcases = status["subjects"]["cloud-a"]["versions"]["v5.1"]["testcases"]
    assert testcases["scs-0100-syntax-check"]["result"] == "PASS"
    assert testcases["scs-0100-semantics-check"]["result"] == "FAIL"
    assert status["subjects"]["cloud-a"]["summary"] == "FAIL"


def test_delegate_with_append_any_may_upload_for_its_principals(monitor: dict[str, Any]) -> None:
    assert post(monitor, [report("cloud-a")], user="zuul", password="zuul-secret").status_code == 201
    refused = post(monitor, [report("cloud-b")], user="zuul", password="zuul-secret")
    assert refused.status_code == 403 and "may not upload reports for cloud-b" in refused.text


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"password": "wrong"}, 401, "incorrect username or password"),
        ({"user": "nobody", "password": "x", "signer": "cloud-a"}, 401, "incorrect"),
        ({"content_type": "application/yaml"}, 415, "Content-Type"),
        ({"signer": "zuul"}, 403, "signature not accepted"),
    ],
)
def test_refusals(monitor: dict[str, Any], change: dict[str, str], status: int, says: str) -> None:
    reply = post(monitor, [report()], **change)  # type: ignore[arg-type]
    assert reply.status_code == status and says in reply.text
    assert stored(monitor) == 0


def test_missing_credentials_and_signature(monitor: dict[str, Any]) -> None:
    anonymous = httpx.post(
        f"{monitor['url']}/reports", content=b"x", headers={"Content-Type": "application/x-signed-yaml"}
    )
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Basic realm="Compliance monitor"'
    auth = base64.b64encode(b"cloud-a:a-secret").decode()
    unsigned = httpx.post(
        f"{monitor['url']}/reports",
        content=b"---\nsubject: x\n",
        headers={"Content-Type": "application/x-signed-yaml", "Authorization": f"Basic {auth}"},
    )
    assert unsigned.status_code == 400 and "missing signature" in unsigned.text


@pytest.mark.parametrize(
    ("documents", "says"),
    [
        (b"spec: [unclosed", "not valid YAML"),
        (b"", "no report"),
        ([{**report(), "subject": None}], "subject"),
        ([report(checked_at=dt.datetime(2099, 1, 1))], "in the future"),
        ([{**report(), "spec": {"uuid": "00000000-0000-0000-0000-000000000000"}}], "unknown scope"),
        ([report(**{"scs-0100-syntax-check": 5})], "must be -1, 0 or 1"),
    ],
)
def test_bad_documents_get_422_and_change_nothing(monitor: dict[str, Any], documents: Any, says: str) -> None:
    reply = post(monitor, documents)
    assert reply.status_code == 422 and says in reply.text
    assert stored(monitor) == 0


def test_duplicates_and_all_or_nothing(monitor: dict[str, Any]) -> None:
    first = report()
    assert post(monitor, [first]).status_code == 201
    assert post(monitor, [first]).status_code == 409
    batch = [report(), report(checked_at=dt.datetime(2099, 1, 1))]
    assert post(monitor, batch).status_code == 422
    assert stored(monitor) == 1  # the valid first document of the failed batch was rolled back


def test_body_size_limit(monitor: dict[str, Any]) -> None:
    big = report()
    big["run"]["log"] = ["x" * 1000] * 5000
    reply = post(monitor, [big])
    assert reply.status_code == 413
