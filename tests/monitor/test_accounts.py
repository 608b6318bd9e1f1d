"""Accounts file: validation with clear errors, and idempotent synchronisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scs_toolkit.monitor.accounts import AccountsError, hash_api_key, load_accounts, sync_accounts, verify_api_key
from scs_toolkit.monitor.db import Account, Database, Delegation, migrate


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
            "keys": [{"public_key": "AAAA", "public_key_type": "ssh-ed25519", "public_key_name": "k"}],
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


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"roles": []}, "`subject` (a string) is required"),
        ({"subject": "x", "roles": ["god"]}, "unknown role(s) god"),
        ({"subject": "x", "api_keys": ["plain-password"]}, "only argon2 hashes"),
        ({"subject": "x", "keys": [{"public_key": "AAAA"}]}, "public_key_type"),
    ],
)
def test_bad_accounts_files(tmp_path: Path, entry: dict[str, object], says: str) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump({"accounts": [entry]}))
    with pytest.raises(AccountsError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_accounts(path)


def test_api_key_hashes() -> None:
    hashed = hash_api_key("secret")
    assert hashed.startswith("$argon2id$") and "secret" not in hashed
    assert verify_api_key("secret", ["$2b$12$notargon", hashed])
    assert not verify_api_key("wrong", [hashed])
    assert not verify_api_key("secret", [])
