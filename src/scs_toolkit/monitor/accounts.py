"""Accounts from a YAML file in the SCS bootstrap format, synchronized into the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .db import Account, ApiKey, Delegation, PublicKey

ROLES = {"read_any": 1, "append_any": 2, "admin": 4, "approve": 8}
_HASHER = PasswordHasher()


class AccountsError(ValueError):
    """The accounts file is malformed; the message names the entry and key."""


@dataclass(frozen=True)
class AccountSpec:
    subject: str
    roles: int = 0
    group: str | None = None
    delegates: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()  # argon2 hashes, never plain secrets
    keys: tuple[tuple[str, str, str], ...] = ()  # (name, type, key)
    meta: dict[str, Any] = field(default_factory=dict)


def hash_api_key(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_api_key(secret: str, hashes: list[str]) -> bool:
    """True if `secret` matches any hash."""
    return matching_hash(secret, hashes) is not None


def matching_hash(secret: str, hashes: list[str]) -> str | None:
    """The stored hash `secret` matches; checks every hash (no early exit) to give away less timing."""
    matched = None
    for stored in hashes:
        try:
            if _HASHER.verify(stored, secret):
                matched = stored
        except Exception:  # wrong secret or a hash format we cannot read
            continue
    return matched


class VerifiedKeys:
    """Remembers which stored hash a secret matched, so that a client uploading often pays for argon2
    once, not per request (argon2 costs ~150 ms of CPU by design).

    Secrets are kept only as HMACs under a key that lives in this process. An entry counts only while
    its hash is still among the account's keys, so removing an API key takes effect at once.
    """

    def __init__(self, size: int = 4096) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).digest()

    def verify(self, subject: str, secret: str, hashes: list[str]) -> bool:
        entry = (subject, self._digest(secret))
        with self._lock:
            known = self._entries.get(entry)
        if known is not None and known in hashes:
            return True
        matched = matching_hash(secret, hashes)
        if matched is None:
            return False
        with self._lock:
            self._entries[entry] = matched
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return True


def load_accounts(path: Path) -> list[AccountSpec]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise AccountsError(f"{path}: cannot read accounts: {error}") from None
    specs = []
    for index, entry in enumerate(document.get("accounts") or []):
        where = f"{path}: accounts[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("subject"), str):
            raise AccountsError(f"{where}: `subject` (a string) is required")
        unknown = set(entry.get("roles") or []) - set(ROLES)
        if unknown:
            raise AccountsError(
                f"{where}.roles: unknown role(s) {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}"
            )
        keys = []
        for key in entry.get("keys") or []:
            if not {"public_key", "public_key_type", "public_key_name"} <= set(key):
                raise AccountsError(f"{where}.keys: need public_key, public_key_type and public_key_name")
            keys.append((str(key["public_key_name"]), str(key["public_key_type"]), str(key["public_key"])))
        for api_key in entry.get("api_keys") or []:
            if not str(api_key).startswith("$argon2"):
                raise AccountsError(f"{where}.api_keys: only argon2 hashes are accepted, never plain keys")
        meta = {k: entry.get(k) for k in ("display_name", "description", "operator", "layer", "healthmon_url")}
        specs.append(
            AccountSpec(
                entry["subject"],
                sum(ROLES[r] for r in entry.get("roles") or []),
                entry.get("group"),
                tuple(entry.get("delegates") or []),
                tuple(entry.get("api_keys") or []),
                tuple(keys),
                meta,
            )
        )
    return specs


def sync_accounts(session: Session, specs: list[AccountSpec]) -> None:
    """Make the accounts table equal to `specs` (reports and results stay; they are keyed by subject)."""
    if not specs:
        return
    by_subject = {a.subject: a for a in session.scalars(select(Account))}
    for spec in specs:
        account = by_subject.get(spec.subject) or Account(subject=spec.subject)
        account.roles, account.group = spec.roles, spec.group
        for key, value in spec.meta.items():
            setattr(account, key, value)
        if account.id is not None:  # replacing keys: remove the old rows first (unique per account)
            account.api_keys.clear()
            account.public_keys.clear()
            session.flush()
        account.api_keys = [ApiKey(hash=h) for h in spec.api_keys]
        account.public_keys = [PublicKey(name=n, key_type=t, key=k) for n, t, k in spec.keys]
        session.add(account)
        by_subject[spec.subject] = account
    session.flush()
    wanted = {s.subject for s in specs}
    for subject, account in list(by_subject.items()):
        if subject not in wanted:
            session.delete(account)
    session.execute(delete(Delegation))
    for spec in specs:
        for delegate in spec.delegates:
            if delegate in by_subject and delegate in wanted:
                session.add(Delegation(principal_id=by_subject[spec.subject].id, delegate_id=by_subject[delegate].id))


class AccountNotFound(LookupError):
    pass


def account_summary(account: Account) -> dict[str, Any]:
    """What `scs monitor account list` shows: never a hash or secret, only counts."""
    return {
        "subject": account.subject,
        "roles": [name for name, bit in ROLES.items() if account.roles & bit],
        "group": account.group,
        "display_name": account.display_name,
        "layer": account.layer,
        "api_keys": len(account.api_keys),
        "public_keys": [k.name for k in account.public_keys],
    }


def find_account(session: Session, subject: str) -> Account:
    account = session.scalar(select(Account).where(Account.subject == subject))
    if account is None:
        raise AccountNotFound(f"no account {subject!r}")
    return account


def add_account(session: Session, subject: str, roles: list[str], meta: dict[str, Any]) -> Account:
    """Create an account, or update roles and metadata of an existing one (keys stay)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountsError(f"unknown role(s) {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}")
    account = session.scalar(select(Account).where(Account.subject == subject)) or Account(subject=subject)
    account.roles = sum(ROLES[r] for r in set(roles))
    for key, value in meta.items():
        if value is not None:
            setattr(account, key, value)
    session.add(account)
    session.flush()
    return account


def add_public_key(session: Session, subject: str, name: str, line: str) -> None:
    from ..reports import SignatureError, load_public_key

    try:
        load_public_key(line)
    except SignatureError as error:
        raise AccountsError(f"{error} (expected one line like 'ssh-ed25519 AAAA... comment')") from None
    account = find_account(session, subject)
    if any(k.name == name for k in account.public_keys):
        raise AccountsError(f"{subject} already has a key named {name!r}; choose another --name")
    key_type, key = line.split()[:2]
    account.public_keys.append(PublicKey(name=name, key_type=key_type, key=key))


def add_api_key(session: Session, subject: str) -> str:
    """A new random API key for `subject`; only its hash is stored, the secret is returned once."""
    secret = secrets.token_urlsafe(32)
    account = find_account(session, subject)  # keep a reference: the session holds objects weakly
    account.api_keys.append(ApiKey(hash=hash_api_key(secret)))
    return secret


def remove_account(session: Session, subject: str) -> None:
    session.delete(find_account(session, subject))
