"""One configuration for every `scs monitor` command (issue 12, item 4): --db > SCS_MONITOR_DB >
config file > the data folder; a warning before a new SQLite file is created; passwords never shown.
The README quick-start (no --db anywhere) works end to end: serve and the account commands share
one database, so the documented upload is accepted."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.monitor.db import Database, migrate
from scs_toolkit.monitor.services import certificates, status
from scs_toolkit.monitor.services.evaluation import StoredResult, evaluate_scope
from scs_toolkit.reports import load_private_key, sign
from scs_toolkit.standards import load_scope

from .helpers import keypair, report
from .test_api import all_required

runner = CliRunner()


def scs(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def config(*args: str) -> dict[str, Any]:
    code, out, err = scs("monitor", "config", "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def write_config(path: Path, **values: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(values))
    return path


def test_precedence_option_environment_config_file_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = config()
    assert default["db_source"] == "default"
    assert default["sqlite_file"] == str(tmp_path / "data" / "scs-toolkit" / "monitor.db")
    standard = write_config(tmp_path / "config" / "scs-toolkit" / "monitor.yaml", db="sqlite:////srv/from-file.db")
    assert (config()["db"], config()["db_source"]) == ("sqlite:////srv/from-file.db", str(standard))
    monkeypatch.setenv("SCS_MONITOR_DB", "sqlite:////srv/from-env.db")
    assert (config()["db"], config()["db_source"]) == ("sqlite:////srv/from-env.db", "SCS_MONITOR_DB")
    chosen = config("--db", "sqlite:////srv/from-option.db")
    assert (chosen["db"], chosen["db_source"]) == ("sqlite:////srv/from-option.db", "--db")
    monkeypatch.delenv("SCS_MONITOR_DB")
    other = write_config(tmp_path / "elsewhere.yaml", db="sqlite:////srv/other.db", port=9000)
    monkeypatch.setenv("SCS_MONITOR_CONFIG", str(other))
    assert (config()["db"], config()["config_file"], config()["port"]) == ("sqlite:////srv/other.db", str(other), 9000)
    third = write_config(tmp_path / "third.yaml", db="sqlite:////srv/third.db")
    assert config("--config", str(third))["db"] == "sqlite:////srv/third.db"  # --config beats SCS_MONITOR_CONFIG


def test_relative_paths_in_a_config_file_are_relative_to_it(tmp_path: Path) -> None:
    path = write_config(tmp_path / "etc" / "monitor.yaml", accounts="accounts.yaml", host="127.0.0.2")
    shown = config("--config", str(path))
    assert shown["accounts"] == str(tmp_path / "etc" / "accounts.yaml") and shown["host"] == "127.0.0.2"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"database": "sqlite://"}, "unknown key(s) database; known: db, db_password_file, accounts, host, port"),
        ({"port": "eighty"}, "`port` must be a number"),
        ({"port": 70000}, "`port` must be a number"),
        ({"db": 5}, "`db` must be a string"),
        ({"db": "not a url"}, "is not a URL"),
        ({"db": "mysql://u@h/db"}, "names mysql: use SQLite or PostgreSQL"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_bad_config_files_are_usage_errors(tmp_path: Path, content: Any, says: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(content))
    for command in (("config",), ("account", "list"), ("serve",)):
        code, _, err = scs("monitor", *command, "--config", str(path))
        assert code == 2 and says in " ".join(err.split()), (command, err)


def test_a_named_config_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = scs("monitor", "account", "list", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "does not exist" in err and "--config" in err
    monkeypatch.setenv("SCS_MONITOR_CONFIG", str(tmp_path / "gone.yaml"))
    code, _, err = scs("monitor", "config")
    assert code == 2 and "SCS_MONITOR_CONFIG" in err


def test_passwords_are_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCS_MONITOR_DB", "postgresql+psycopg://scs:s3cret-pw@127.0.0.1:1/monitor")
    code, out, err = scs("monitor", "account", "list")
    assert code == 2 and "cannot prepare the database" in err
    assert "s3cret-pw" not in out + err and "scs:***@127.0.0.1:1/monitor" in err
    shown = config()
    assert shown["db"] == "postgresql+psycopg://scs:***@127.0.0.1:1/monitor"
    monkeypatch.delenv("SCS_MONITOR_DB")
    secret = tmp_path / "db-password"
    secret.write_text("from-a-file\n")
    path = write_config(
        tmp_path / "monitor.yaml", db="postgresql+psycopg://scs@127.0.0.1:1/monitor", db_password_file=str(secret)
    )
    code, out, err = scs("monitor", "config", "--config", str(path))
    assert code == 0 and "from-a-file" not in out + err and "scs:***@" in out
    code, out, err = scs("monitor", "account", "list", "--config", str(path))
    assert code == 2 and "from-a-file" not in out + err
    monkeypatch.setenv("SCS_MONITOR_DB_PASSWORD_FILE", str(tmp_path / "missing"))
    code, _, err = scs("monitor", "config", "--config", str(path))
    assert code == 2 and "cannot read the database password file" in err


def test_a_new_sqlite_file_is_announced_and_a_missing_folder_refused(tmp_path: Path) -> None:
    target = tmp_path / "monitro.db"  # a typo of an existing monitor.db
    code, _, err = scs("monitor", "account", "list", "--db", f"sqlite:///{target}")
    flat = " ".join(err.split())
    assert code == 0 and "warning: creating a new, empty monitor database" in flat and str(target) in flat
    assert f"database: sqlite:///{target} (from --db)" in flat
    code, _, err = scs("monitor", "account", "list", "--db", f"sqlite:///{target}")
    assert code == 0 and "warning" not in err  # it exists now
    missing = tmp_path / "no-such-folder" / "monitor.db"
    code, _, err = scs("monitor", "account", "add", "x", "--db", f"sqlite:///{missing}")
    assert code == 2 and "does not exist" in " ".join(err.split()) and not missing.parent.exists()


def test_migrate_reports_the_revision(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from scs_toolkit.monitor.db import migrations

    head = ScriptDirectory(str(Path(migrations.__file__).parent)).get_current_head()
    code, _, err = scs("monitor", "migrate", "--db", f"sqlite:///{tmp_path / 'm.db'}")
    assert code == 0 and f"schema at revision {head} (the newest)" in err


def test_the_readme_quick_start_uses_one_database(tmp_path: Path) -> None:
    """`scs monitor serve` and `scs monitor account ...`, none with --db: the upload is accepted
    (it got 401 when serve and the account commands used two different default files)."""
    key, _ = keypair(tmp_path, "signing")
    token = tmp_path / "token"
    for command in (
        ("account", "add", "mycloud", "--display-name", "My Cloud", "--layer", "IaaS"),
        ("account", "add-key", "mycloud", f"{key}.pub"),
        ("account", "add-apikey", "mycloud", "--token-file", str(token)),
    ):
        code, _, err = scs("monitor", *command)
        assert code == 0, err
    default = tmp_path / "data" / "scs-toolkit" / "monitor.db"
    assert default.exists()
    scs_command = Path(sys.executable).with_name("scs")
    server = subprocess.Popen(
        [str(scs_command), "monitor", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        assert "from default" in line and "warning" not in line
        document = report("mycloud")
        payload = yaml.safe_dump(document, explicit_start=True).encode()
        signature = sign(payload, load_private_key(key.read_bytes()))
        credentials = base64.b64encode(token.read_text().strip().encode()).decode()
        reply = httpx.post(
            f"{match.group(0)}/reports",
            content=signature.encode() + b"&" + payload,
            headers={"Content-Type": "application/x-signed-yaml", "Authorization": f"Basic {credentials}"},
        )
        assert reply.status_code == 201, reply.text
        listed = httpx.get(f"{match.group(0)}/api/subjects").json()
        assert [s["display_name"] for s in listed] == ["My Cloud"]
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "warning" not in err


def test_certificate_list_and_revocation_from_the_cli(tmp_path: Path) -> None:
    """CLI JSON carries timezone-aware UTC timestamps; a revocation needs a reason."""
    db = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(db)
    database = Database(db)
    scope = load_scope("scs-compatible-iaas")
    with database.session() as session:
        now = status.utcnow()
        results = [StoredResult(tc, 1, now, str(uuid.uuid4())) for tc in all_required(dt.date.today())]
        certificates.issue_due(session, "cloud-x", scope, evaluate_scope(scope, results, now), now)
    database.close()
    code, out, _ = scs("monitor", "certificate", "list", "--format", "json", "--db", db)
    listed = json.loads(out)
    assert code == 0 and listed
    issued = dt.datetime.fromisoformat(listed[0]["issued_at"])
    assert issued.utcoffset() == dt.timedelta(0)
    serial = listed[0]["serial"]
    code, _, err = scs("monitor", "certificate", "revoke", serial, "--reason", "  ", "--db", db)
    assert code == 2 and "must not be empty" in err
    code, _, err = scs("monitor", "certificate", "revoke", serial, "--reason", "manual check failed", "--db", db)
    assert code == 0, err
    code, _, err = scs("monitor", "certificate", "revoke", serial, "--reason", "again", "--db", db)
    assert code == 2 and "already revoked" in err
