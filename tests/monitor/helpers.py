"""Shared helpers of the monitor tests: databases, keys, reports in the official format, signed posts."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

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


def signed(monitor: dict[str, Any], payload: bytes, signer: str = "cloud-a") -> bytes:
    """The upload body: the armored signature of `payload`, '&', then `payload`."""
    return sign(payload, load_private_key(monitor["keys"][signer].read_bytes())).encode() + b"&" + payload


def basic(user: str, secret: str | None = None) -> str:
    secret = secret or f"{user.split('-')[-1]}-secret"
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def fingerprint(database: Any) -> dict[str, int]:
    """Rows per table: equal before and after means a request changed nothing."""
    from sqlalchemy import func, select

    from scs_toolkit.monitor.db import Base

    with database.session() as session:
        return {name: session.scalar(select(func.count()).select_from(t)) for name, t in Base.metadata.tables.items()}


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
