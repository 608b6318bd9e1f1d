"""Tokens and who may do what: the simulated cloud's Keystone-style authorization."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from ._errors import ApiError
from ._store import Record, Store, now

TOKEN_LIFETIME = dt.timedelta(hours=12)
#: Roles a domain manager may hand out (scs-0302: `is_domain_managed_role`, never `admin`).
DOMAIN_MANAGED_ROLES = frozenset({"member", "reader", "load-balancer_member", "creator"})


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash; the cloud never keeps passwords or credential secrets in clear."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**12, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    expected = hash_secret(secret, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(expected, digest_hex)


@dataclass(frozen=True)
class Token:
    """An issued token: who, scoped to what, with which role names."""

    id: str
    user_id: str
    methods: tuple[str, ...]
    expires_at: dt.datetime
    issued_at: dt.datetime
    project_id: str | None = None
    domain_id: str | None = None
    roles: tuple[str, ...] = ()
    audit_id: str = ""
    application_credential_id: str | None = None
    system: bool = False
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_domain_manager(self) -> bool:
        return self.domain_id is not None and "manager" in self.roles

    #: A deployment whose domain-manager policy is broken (profile `identity.domain_manager_scope: any`):
    #: a manager administers every domain, the defect scs-0302's check exists to find.
    manager_of_any_domain: bool = False

    def can_manage_domain(self, domain_id: str | None) -> bool:
        if self.is_domain_manager and self.manager_of_any_domain:
            return True
        return self.is_admin or (self.is_domain_manager and domain_id == self.domain_id)

    def owns(self, record: Record) -> bool:
        """Whether a project-owned resource belongs to the token's project (admins own everything)."""
        return self.is_admin or record.get("project_id") == self.project_id


def roles_of(store: Store, user_id: str, project_id: str | None, domain_id: str | None) -> tuple[str, ...]:
    """Effective role names of a user on a project or domain, directly and through groups."""
    actors = {user_id} | {m["group_id"] for m in store.select("group_membership", user_id=user_id)}
    target = project_id or domain_id
    names = set()
    for assignment in store.all("role_assignment"):
        if assignment["actor_id"] in actors and assignment["target_id"] == target:
            names.add(store.get("role", assignment["role_id"])["name"])
    # implied roles, as in Keystone's defaults: admin > member > reader, manager > member
    if "admin" in names or "manager" in names:
        names.add("member")
    if "member" in names:
        names.add("reader")
    return tuple(sorted(names))


def require(condition: bool, message: str = "You are not authorized to perform the requested action.") -> None:
    """403 unless `condition` holds (the caller is authenticated but lacks permission)."""
    if not condition:
        raise ApiError(403, message)


def expired(token: Token) -> bool:
    return token.expires_at <= now()
