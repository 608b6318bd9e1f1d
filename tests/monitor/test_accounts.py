"""Accounts file: validation with clear errors, and idempotent synchronisation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.monitor.accounts import AccountsError, hash_api_key, load_accounts, sync_accounts, verify_api_key
from scs_toolkit.monitor.db import Account, Database, Delegation, migrate

EXAMPLE = Path(__file__).parents[2] / "contrib" / "monitor-accounts.example.yaml"
EXAMPLE_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIKKgYG1dQDAg1lisjUWhyHba9FkQc990BTBYjWZRjT/x"


def test_sync_is_idempotent_and_removes_vanished_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    database = Database(url)
    path = tmp_path / "accounts.yaml"
    entries = [
        {
            "subject": "zuul",
            "roles": ["append_any", "read_any"],
            "api_keys": [hash_api_key("s")],
            "keys": [{"public_key": EXAMPLE_KEY, "public_key_type": "ssh-ed25519", "public_key_name": "k"}],
        },
        {"subject": "cloud", "delegates": ["zuul"], "display_name": "My Cloud", "operator": "ACME"},
    ]
    path.write_text(yaml.safe_dump({"accounts": entries}))
    for _ in range(2):
        with database.session() as session:
            sync_accounts(session, load_accounts(path))
    with database.session() as session:
        zuul = session.query(Account).filter_by(subject="zuul").one()
        assert zuul.roles == 3 and len(zuul.public_keys) == 1 and len(zuul.api_keys) == 1
        assert session.query(Delegation).count() == 1
        assert session.query(Account).filter_by(subject="cloud").one().operator == "ACME"
    path.write_text(yaml.safe_dump({"accounts": entries[:1]}))
    with database.session() as session:
        sync_accounts(session, load_accounts(path))
        assert [a.subject for a in session.query(Account)] == ["zuul"]
        assert session.query(Delegation).count() == 0


def key_entry(**changes: str) -> dict[str, str]:
    return {"public_key": EXAMPLE_KEY, "public_key_type": "ssh-ed25519", "public_key_name": "k", **changes}


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"roles": []}, "`subject` (a string) is required"),
        ({"subject": "x", "roles": ["god"]}, "unknown role(s) god"),
        ({"subject": "x", "roles": "admin"}, "roles must be a list of strings"),
        ({"subject": "x", "api_keys": ["plain-password"]}, "only argon2 hashes"),
        ({"subject": "x", "keys": [{"public_key": "AAAA"}]}, "public_key_type"),
        ({"subject": "x", "keys": [key_entry(public_key="AAAA")]}, "keys[k]: not an OpenSSH public key"),
        ({"subject": "x", "keys": [key_entry(public_key_name="my key")]}, "public_key_name 'my key' is not allowed"),
        ({"subject": "x", "display-name": "X"}, "unknown key(s) display-name; known: subject, roles"),
        ({"subject": "x", "delegates": ["ghost"]}, "x.delegates: ghost is not an account in this file"),
        ({"subject": "bad name"}, "subject 'bad name' is not allowed: use letters, digits"),
        ({"subject": "s" * 129}, "is not allowed"),
        ({"subject": "x\u0000"}, "is not allowed"),
        ({"subject": "x", "group": "a/b"}, "group 'a/b' is not allowed"),
        ({"subject": "x", "display_name": "d" * 257}, "display_name is longer than 256 characters"),
        ({"subject": "x", "operator": "line\nbreak"}, "operator contains control characters"),
        ({"subject": "x", "description": "nul\u0000"}, "description contains control characters"),
        ({"subject": "x", "layer": 5}, "layer must be a string"),
    ],
)
def test_bad_accounts_files(tmp_path: Path, entry: dict[str, object], says: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump({"accounts": [entry]}))
    with pytest.raises(AccountsError, match=re.escape(says)):
        load_accounts(path)


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"acounts": []}, "expected a mapping with `accounts`"),
        ({"accounts": {"subject": "x"}}, "`accounts` must be a list"),
        ({"accounts": [{"subject": "x"}, {"subject": "x"}]}, "account x is listed twice"),
    ],
)
def test_bad_accounts_file_structure(tmp_path: Path, document: object, says: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(AccountsError, match=re.escape(says)):
        load_accounts(path)


def test_the_documented_example_file_loads_and_syncs(tmp_path: Path) -> None:
    """contrib/monitor-accounts.example.yaml, shown in docs/monitor-accounts.md, is a valid file."""
    specs = load_accounts(EXAMPLE)
    assert [s.subject for s in specs] == [
        "admin",
        "zuul-ci",
        "example-cloud-region1",
        "example-cloud-region2",
        "selfhosted-iaas",
    ]
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    database = Database(url)
    with database.session() as session:
        sync_accounts(session, specs)
    with database.session() as session:
        region = session.query(Account).filter_by(subject="example-cloud-region1").one()
        assert region.group == "example-cloud" and region.layer == "IaaS"
        assert session.query(Delegation).count() == 2
        assert session.query(Account).filter_by(subject="zuul-ci").one().roles == 2
    database.close()
    docs = (Path(__file__).parents[2] / "docs" / "monitor-accounts.md").read_text()
    assert "contrib/monitor-accounts.example.yaml" in docs


def test_hash_apikey_makes_a_token_and_the_hash_for_the_accounts_file(tmp_path: Path) -> None:
    token = tmp_path / "cloud.token"
    result = CliRunner().invoke(app, ["monitor", "account", "hash-apikey", "cloud", "--token-file", str(token)])
    assert result.exit_code == 0, result.stderr
    hashed = result.stdout.strip()
    subject, secret = token.read_text().strip().split(":", 1)
    assert subject == "cloud" and token.stat().st_mode & 0o777 == 0o600
    assert hashed.startswith("$argon2id$") and secret not in hashed and verify_api_key(secret, [hashed])
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump({"accounts": [{"subject": "cloud", "api_keys": [hashed]}]}))
    assert load_accounts(path)[0].api_keys == (hashed,)
    again = CliRunner().invoke(app, ["monitor", "account", "hash-apikey", "cloud", "--token-file", str(token)])
    assert again.exit_code == 2 and "not overwriting" in again.stderr and token.read_text().startswith("cloud:")


def test_api_key_hashes() -> None:
    hashed = hash_api_key("secret")
    assert hashed.startswith("$argon2id$") and "secret" not in hashed
    assert verify_api_key("secret", ["$2b$12$notargon", hashed])
    assert not verify_api_key("wrong", [hashed])
    assert not verify_api_key("secret", [])
