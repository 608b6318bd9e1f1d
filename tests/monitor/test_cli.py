"""`scs monitor account|certificate`: manage the database the server reads; secrets shown once,
only hashes stored, clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.monitor.accounts import verify_api_key
from scs_toolkit.monitor.db import Account, Database

runner = CliRunner()


def scs(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_account_lifecycle(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    code, _, err = scs(
        "monitor", "account", "add", "cloud-x", "--display-name", "Cloud X", "--layer", "IaaS", "--db", db
    )
    assert code == 0, err
    assert scs("monitor", "account", "add", "ci", "--role", "append_any", "--db", db)[0] == 0
    code, out, _ = scs("monitor", "account", "add-apikey", "cloud-x", "--db", db)
    subject, secret = out.strip().split(":", 1)
    assert code == 0 and subject == "cloud-x" and len(secret) >= 32
    token = tmp_path / "token"
    assert scs("monitor", "account", "add-apikey", "ci", "--token-file", str(token), "--db", db)[0] == 0
    assert token.stat().st_mode & 0o777 == 0o600 and token.read_text().startswith("ci:")
    key = tmp_path / "signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    assert scs("monitor", "account", "add-key", "cloud-x", str(key.with_suffix(".pub")), "--db", db)[0] == 0
    code, out, _ = scs("monitor", "account", "list", "--format", "json", "--db", db)
    listed = {a["subject"]: a for a in json.loads(out)}
    assert listed["cloud-x"] == {
        "subject": "cloud-x",
        "roles": [],
        "group": None,
        "display_name": "Cloud X",
        "layer": "IaaS",
        "api_keys": 1,
        "public_keys": ["signing"],
    }
    assert listed["ci"]["roles"] == ["append_any"]
    database = Database(db)
    with database.session() as session:
        stored = session.query(Account).filter_by(subject="cloud-x").one()
        hashes = [k.hash for k in stored.api_keys]
        assert secret not in hashes[0] and verify_api_key(secret, hashes)
    database.close()
    assert scs("monitor", "account", "remove", "ci", "--db", db)[0] == 0
    code, out, _ = scs("monitor", "account", "list", "--format", "json", "--db", db)
    assert [a["subject"] for a in json.loads(out)] == ["cloud-x"]


def test_account_errors_say_what_to_do(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    code, _, err = scs("monitor", "account", "add", "x", "--role", "superuser", "--db", db)
    assert code == 2 and "unknown role(s) superuser" in err
    code, _, err = scs("monitor", "account", "add-apikey", "ghost", "--db", db)
    assert code == 2 and "no account 'ghost'" in err and "scs monitor account add" in err
    scs("monitor", "account", "add", "x", "--db", db)
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-rsa AAAAB3NzaC1yc2E= x\n")
    code, _, err = scs("monitor", "account", "add-key", "x", str(bad), "--db", db)
    assert code == 2 and "not an OpenSSH public key" in err and "ssh-ed25519 AAAA" in err
    code, _, err = scs("monitor", "account", "remove", "ghost", "--db", db)
    assert code == 2 and "no account" in err
    code, _, err = scs("monitor", "certificate", "revoke", "nope", "--reason", "x", "--db", db)
    assert code == 2 and "no certificate with serial nope" in err
    code, _, err = scs("monitor", "account", "list", "--db", "postgresql+psycopg://u@127.0.0.1:1/none")
    assert code == 2 and "cannot prepare the database" in err
