"""`scs status` as operators use it: components, incidents, maintenance, RCAs and tokens on the
compliance monitor's database (found as `scs monitor` finds it), JSON output, and clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.cli import app
from scs_toolkit.monitor.db import Database
from scs_toolkit.statuspage.app import create_standalone_app

runner = CliRunner()


def scs(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["status", *args])
    assert result.exit_code == code, (args, result.output)
    return json.loads(result.stdout) if "--format" in args and code == 0 else result


@pytest.fixture
def db(database: Database, monkeypatch: pytest.MonkeyPatch) -> str:
    """The monitor's database, named the way `scs monitor` takes it: SCS_MONITOR_DB."""
    monkeypatch.setenv("SCS_MONITOR_DB", database.url)
    return database.url


def test_components_incidents_and_their_timeline(db: str) -> None:
    component = scs("component", "create", "Demo IaaS", "--label", "cloud=demo", "--format", "json")
    assert component["labels"] == {"cloud": "demo"}
    incident = scs(
        "incident", "create", "API errors", "-C", "cloud=demo:80", "-m", "Looking into it", "--format", "json"
    )
    assert incident["affects"][0]["reference"] == component["id"] and incident["affects"][0]["severity"] == 80
    assert incident["phaseName"] == "Investigation ongoing"
    [listed] = scs("component", "list", "--format", "json")
    assert listed["activelyAffectedBy"] == 1
    scs("incident", "update", incident["id"], "--phase", "Working on it", "-m", "A fix is rolling out")
    scs("incident", "resolve", incident["id"], "-m", "Fixed")
    shown = scs("incident", "show", incident["id"], "--format", "json")
    assert shown["phaseName"] == "Done" and "endedAt" in shown
    assert [u["displayName"] for u in shown["timeline"]] == ["Update", "Working on it", "Resolved"]
    assert [u["description"] for u in shown["timeline"]][-1] == "Fixed"
    assert [i["id"] for i in scs("incident", "list", "--format", "json")] == [incident["id"]]
    again = scs("incident", "resolve", incident["id"], code=2)
    assert "already ended" in again.output
    trail = scs("audit", "--format", "json")
    assert {row["actor"].split(" ")[0] for row in trail} == {f"cli:{os.environ.get('USER') or _user()}"}


def _user() -> str:
    import getpass

    return getpass.getuser()


def test_maintenance_windows_need_an_end_and_rca_drafts_stay_private(db: str, database: Database) -> None:
    scs("component", "create", "Storage", "--label", "cloud=demo")
    window = scs(
        "maintenance",
        "create",
        "Storage upgrade",
        "-C",
        "Storage",
        "--start",
        "2999-01-01T22:00:00Z",
        "--end",
        "2999-01-02T02:00:00Z",
        "--format",
        "json",
    )
    assert window["affects"][0]["severity"] == 0 and window["phaseName"] == "Scheduled"
    assert [w["id"] for w in scs("maintenance", "list", "--format", "json")] == [window["id"]]
    missing_end = runner.invoke(
        app, ["status", "maintenance", "create", "x", "-C", "Storage", "--start", "2999-01-01T00:00:00Z"]
    )
    assert missing_end.exit_code == 2 and "--end" in missing_end.output
    backwards = scs(
        "maintenance",
        "create",
        "x",
        "-C",
        "Storage",
        "--start",
        "2999-01-02T00:00:00Z",
        "--end",
        "2999-01-01T00:00:00Z",
        code=2,
    )
    assert "before" in backwards.output
    scs("maintenance", "resolve", window["id"], "-m", "Called off")
    ended = scs("incident", "show", window["id"], "--format", "json")
    assert ended["beganAt"] == ended["endedAt"]  # called off before it began: an empty window

    incident = scs("incident", "create", "Outage", "-C", "Storage", "--format", "json")["id"]
    scs("rca", "set", incident, "--summary", "Disk firmware", "--root-cause", "A firmware bug")
    with BackgroundServer(create_standalone_app(database)) as server:
        assert httpx.get(f"{server.url}/incidents/{incident}/rca").status_code == 404  # a draft
        scs("rca", "set", incident, "--preventive-actions", "Canary the firmware", "--publish")
        published = httpx.get(f"{server.url}/incidents/{incident}/rca").json()
    assert published["summary"] == "Disk firmware" and published["preventiveActions"] == "Canary the firmware"
    assert published["published"] is True and published["author"].startswith("cli:")
    assert scs("rca", "show", incident, "--format", "json")["rootCause"] == "A firmware bug"


def test_tokens_are_written_once_and_only_their_hash_is_kept(db: str, database: Database, tmp_path: Path) -> None:
    token_file = tmp_path / "writer.token"
    scs("token", "add", "oncall", "--scope", "writer", "--token-file", str(token_file))
    token = token_file.read_text().strip()
    assert token.startswith("oncall.") and oct(token_file.stat().st_mode & 0o777) == "0o600"
    listed = scs("token", "list", "--format", "json")
    assert listed[0]["name"] == "oncall" and token.split(".")[1] not in json.dumps(listed)
    assert (
        "already"
        not in scs("token", "add", "oncall", "--scope", "writer", "--token-file", str(tmp_path / "b"), code=2).output
    )
    scs("token", "add", "x", "--scope", "writer", "--token-file", str(token_file), code=2)  # never overwrites
    scs("token", "add", "bad name!", "--scope", "writer", "--token-file", str(tmp_path / "c"), code=2)
    scs("token", "add", "y", "--scope", "root", "--token-file", str(tmp_path / "d"), code=2)
    with BackgroundServer(create_standalone_app(database)) as server:
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{server.url}/incidents", json={"displayName": "x"}, headers=headers).status_code == 201
        scs("token", "remove", "oncall")
        assert httpx.post(f"{server.url}/incidents", json={"displayName": "x"}, headers=headers).status_code == 401


def test_errors_say_what_to_do(db: str) -> None:
    assert "not an incident id" in scs("incident", "show", "nope", code=2).output
    assert "no incident" in scs("incident", "show", "00000000-0000-4000-8000-000000000000", code=1).output
    assert "KEY=VALUE" in scs("component", "create", "x", "--label", "novalue", code=2).output
    assert "no component" in scs("incident", "create", "x", "-C", "ghost", code=1).output
    scs("component", "create", "Twin")
    scs("component", "create", "Twin")
    assert "give the id" in scs("incident", "create", "x", "-C", "Twin", code=2).output
    assert "severity" in scs("incident", "create", "x", "-C", "Twin:high", code=2).output
    assert "no phase" in scs("incident", "create", "x", "--phase", "Panic", code=2).output
    assert (
        "RFC 3339" in scs("incident", "resolve", "00000000-0000-4000-8000-000000000000", "--at", "noon", code=2).output
    )
    assert (
        "nothing to change"
        in scs("incident", "update", scs("incident", "create", "y", "--format", "json")["id"], code=2).output
    )


def test_the_database_is_the_monitors_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    """--db beats SCS_MONITOR_DB beats the config file, as for `scs monitor`."""
    config = tmp_path / "monitor.yaml"
    config.write_text(f"db: {database.url}\n")
    monkeypatch.setenv("SCS_MONITOR_CONFIG", str(config))
    scs("component", "create", "From config")
    assert [c["displayName"] for c in scs("component", "list", "--format", "json")] == ["From config"]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("SCS_MONITOR_DB", other)
    assert scs("component", "list", "--format", "json") == []
    assert [c["displayName"] for c in scs("component", "list", "--db", database.url, "--format", "json")] == [
        "From config"
    ]
