"""Reports from both kinds of clients are accepted: the official tool's format (hand-written fixture)
and our own runner's signed upload (`scs check --sign --upload`) against simulated clouds."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.cli import app
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, migrate
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

from .helpers import keypair, post

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "official-reports.yaml"


def test_official_format_with_legacy_versions_is_accepted(monitor: dict[str, Any]) -> None:
    checked = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    text = FIXTURE.read_text()
    for placeholder, value in (("SUBJECT", "cloud-a"), ("RUN1", str(uuid.uuid4())), ("RUN2", str(uuid.uuid4()))):
        text = text.replace(placeholder, value)
    reply = post(monitor, text.replace("CHECKED", checked).encode())
    assert reply.status_code == 201, reply.text
    assert len(reply.json()["reports"]) == 2
    testcases = httpx.get(f"{monitor['url']}/status", params={"subject": "cloud-a"}).json()["subjects"]["cloud-a"]
    results = {k: v["result"] for k, v in testcases["versions"]["v5.1"]["testcases"].items()}
    assert results["scs-0100-syntax-check"] == "PASS"
    assert results["scs-0100-semantics-check"] == "FAIL"
    assert results["scs-0102-prop-architecture"] == "ABORT"


def scs(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize("profile", ["compliant", "bad-flavor-names"])
def test_signed_upload_from_our_runner(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]
) -> None:
    clouds = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    write_clouds_yaml(clouds, simcloud_factory(profile=profile, seed=7).clouds_yaml("acme"))
    db = f"sqlite:///{tmp_path / 'monitor.db'}"
    key, _ = keypair(tmp_path, "signing")
    token = tmp_path / "token"
    for command in (
        ("monitor", "account", "add", "acme", "--display-name", "ACME Cloud", "--layer", "IaaS"),
        ("monitor", "account", "add-key", "acme", f"{key}.pub"),
        ("monitor", "account", "add-apikey", "acme", "--token-file", str(token)),
    ):
        assert scs(*command, "--db", db)[0] == 0
    migrate(db)
    database = Database(db)
    with BackgroundServer(create_app(database)) as server:
        report = tmp_path / "report.yaml"
        code, err = scs(
            "check", "--cloud", "acme", "-o", str(report), "--sign", str(key),
            "--upload", f"{server.url}/reports", "--token-file", str(token),
        )  # fmt: skip
        assert "report uploaded" in err, err
        status = httpx.get(f"{server.url}/api/subjects/acme").json()
        certificates = httpx.get(f"{server.url}/api/certificates", params={"subject": "acme"}).json()
    database.close()
    iaas = status["scopes"]["50393e6f-2ae1-4c5c-a62c-3b75f2abef3f"]
    if profile == "compliant":
        assert code == 0 and iaas["summary"] == "PASS" and "v5.1" in iaas["certified"]
        assert [c["version"] for c in certificates] == ["v5.1"]
    else:
        assert code == 1 and iaas["summary"] == "FAIL" and certificates == []
        failed = iaas["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]
        assert failed["result"] == "FAIL" and failed["reason"]
