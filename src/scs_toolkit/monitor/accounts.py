"""Accounts from a YAML file in the SCS bootstrap format, synchronized into the database."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..reports import SignatureError, load_public_key
from . import names
from .db import Account, ApiKey, Delegation, PublicKey
from .services import changes

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


@functools.cache
def dummy_hash() -> str:
    """A hash no secret matches (its own is thrown away): what an unknown account is checked against."""
    return _HASHER.hash(secrets.token_urlsafe(32))


#: Display fields of an account: (maximum length, may span lines); widths are the column widths.
META_FIELDS = {
    "display_name": (256, False),
    "description": (2000, True),
    "operator": (256, False),
    "layer": (16, False),
    "healthmon_url": (512, False),
}
_ENTRY_KEYS = ("subject", "roles", "group", "delegates", "api_keys", "keys", *META_FIELDS)
_KEY_KEYS = ("public_key", "public_key_type", "public_key_name")


def load_accounts(path: Path) -> list[AccountSpec]:
    """Accounts from the file (format: docs/monitor-accounts.md); AccountsError names entry and key."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise AccountsError(f"{path}: cannot read accounts: {error}") from None
    if not isinstance(document, dict) or not set(document) <= {"accounts", "subjects"}:
        raise AccountsError(f"{path}: expected a mapping with `accounts` (a list), see docs/monitor-accounts.md")
    entries = document.get("accounts") or []
    if not isinstance(entries, list):
        raise AccountsError(f"{path}: `accounts` must be a list")
    specs = [_account_spec(entry, f"{path}: accounts[{index}]") for index, entry in enumerate(entries)]
    subjects = [spec.subject for spec in specs]
    for spec in specs:
        if subjects.count(spec.subject) > 1:
            raise AccountsError(f"{path}: account {spec.subject} is listed twice")
        for delegate in spec.delegates:
            if delegate not in subjects:
                raise AccountsError(f"{path}: {spec.subject}.delegates: {delegate} is not an account in this file")
    return specs


def _account_spec(entry: Any, where: str) -> AccountSpec:
    if not isinstance(entry, dict) or not isinstance(entry.get("subject"), str):
        raise AccountsError(f"{where}: `subject` (a string) is required")
    unknown_keys = set(entry) - set(_ENTRY_KEYS)
    if unknown_keys:
        raise AccountsError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown_keys)))}; known: {', '.join(_ENTRY_KEYS)}"
        )
    try:
        subject = names.require_subject(entry["subject"])
        roles = _strings(entry, "roles")
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise AccountsError(
                f"{where}.roles: unknown role(s) {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}"
            )
        group = entry.get("group")
        if group is not None:
            names.require_subject(group, "group")
        delegates = [names.require_subject(d, "delegate") for d in _strings(entry, "delegates")]
        api_keys = _strings(entry, "api_keys")
        for api_key in api_keys:
            if not api_key.startswith("$argon2") or len(api_key) > 256:
                raise AccountsError(f"{where}.api_keys: only argon2 hashes are accepted, never plain keys")
        keys = []
        for key in entry.get("keys") or []:
            if not isinstance(key, dict) or not set(_KEY_KEYS) <= set(key):
                raise AccountsError(f"{where}.keys: need public_key, public_key_type and public_key_name")
            name = names.require(key["public_key_name"], names.KEY_NAME_PATTERN, "public_key_name")
            key_type = names.require_text(key["public_key_type"], "public_key_type", 64)
            blob = names.require_text(key["public_key"], "public_key", 16384)
            try:
                load_public_key(f"{key_type} {blob}")
            except SignatureError as error:
                raise AccountsError(f"{where}.keys[{name}]: {error}") from None
            keys.append((name, key_type, blob))
        meta = _meta(entry)
    except names.InvalidName as error:
        raise AccountsError(f"{where}: {error}") from None
    return AccountSpec(
        subject, sum(ROLES[r] for r in roles), group, tuple(delegates), tuple(api_keys), tuple(keys), meta
    )


def _strings(entry: dict[str, Any], key: str) -> list[str]:
    values = entry.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise names.InvalidName(f"{key} must be a list of strings")
    return values


def _meta(entry: dict[str, Any]) -> dict[str, Any]:
    """The display fields, each bounded and free of control characters; absent ones are None."""
    meta = {}
    for key, (max_length, multiline) in META_FIELDS.items():
        value = entry.get(key)
        meta[key] = None if value is None else names.require_text(value, key, max_length, multiline=multiline)
    return meta


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
    changes.record(session)  # names, layers and groups on the pages: every replica re-reads them


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
    try:
        names.require_subject(subject)
        if meta.get("group") is not None:
            names.require_subject(meta["group"], "group")
        for key, (max_length, multiline) in META_FIELDS.items():
            if meta.get(key) is not None:
                names.require_text(meta[key], key.replace("_", "-"), max_length, multiline=multiline)
    except names.InvalidName as error:
        raise AccountsError(str(error)) from None
    account = session.scalar(select(Account).where(Account.subject == subject)) or Account(subject=subject)
    account.roles = sum(ROLES[r] for r in set(roles))
    for key, value in meta.items():
        if value is not None:
            setattr(account, key, value)
    session.add(account)
    session.flush()
    changes.record(session)
    return account


def add_public_key(session: Session, subject: str, name: str, line: str) -> None:
    try:
        load_public_key(line)
    except SignatureError as error:
        raise AccountsError(f"{error} (expected one line like 'ssh-ed25519 AAAA... comment')") from None
    try:
        names.require(name, names.KEY_NAME_PATTERN, "key name")
    except names.InvalidName as error:
        raise AccountsError(f"{error} (choose one with --name)") from None
    account = find_account(session, subject)
    if any(k.name == name for k in account.public_keys):
        raise AccountsError(f"{subject} already has a key named {name!r}; choose another --name")
    key_type, key = line.split()[:2]
    account.public_keys.append(PublicKey(name=name, key_type=key_type, key=key))


def new_api_key() -> str:
    """A random API key (256 bits): guessing it is hopeless, so only its hash need be kept."""
    return secrets.token_urlsafe(32)


def add_api_key(session: Session, subject: str) -> str:
    """A new random API key for `subject`; only its hash is stored, the secret is returned once."""
    secret = new_api_key()
    account = find_account(session, subject)  # keep a reference: the session holds objects weakly
    account.api_keys.append(ApiKey(hash=hash_api_key(secret)))
    return secret


def remove_account(session: Session, subject: str) -> None:
    session.delete(find_account(session, subject))
    changes.record(session)
