"""Authentication by bearer token and authorization by RBAC, as the API server does them.

Each profile user gets a random token at start-up (only its SHA-256 is compared, in constant
time). A missing or wrong token is 401. Authorization evaluates the RBAC objects in the store
(ClusterRoleBindings, RoleBindings -> ClusterRoles, Roles), so a profile's `viewer` is
read-only because it is bound to `view`, not because of a special case; `system:masters`
bypasses RBAC as in the real server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from ._store import Store

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attributes:
    """What a request does, in RBAC's terms."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # for non-resource requests

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


class Authenticator:
    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.tokens: dict[str, str] = {}
        self._by_digest: dict[bytes, User] = {}
        for name, spec in users.items():
            token = secrets.token_urlsafe(32)
            self.tokens[name] = token
            groups = tuple(spec.get("groups") or ())
            self._by_digest[_digest(token)] = User(name, (*groups, AUTHENTICATED))

    def authenticate(self, header: str | None) -> User | None:
        if not header or not header.lower().startswith("bearer "):
            return None
        digest = _digest(header[7:].strip())
        for known, user in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return user
        return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _matches(values: list[str] | None, wanted: str) -> bool:
    return bool(values) and ("*" in values or wanted in values)  # type: ignore[operator]


def _rule_allows(rule: dict[str, Any], attributes: Attributes) -> bool:
    if not _matches(rule.get("verbs"), attributes.verb):
        return False
    if not attributes.is_resource:
        for url in rule.get("nonResourceURLs") or []:
            if url == attributes.path or (url.endswith("*") and attributes.path.startswith(url[:-1])):
                return True
        return False
    if not _matches(rule.get("apiGroups"), attributes.group):
        return False
    resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
    resources = rule.get("resources") or []
    if not ("*" in resources or resource in resources or f"{attributes.resource}/*" in resources):
        return False
    names = rule.get("resourceNames")
    return not names or attributes.name in names


def _subject_is(subject: dict[str, Any], user: User, namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace') or namespace}:{name}"
    return False


def _role_rules(store: Store, ref: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    if ref.get("kind") == "ClusterRole":
        role = store.get("rbac.authorization.k8s.io/clusterroles", "", ref.get("name", ""))
    else:
        role = store.get("rbac.authorization.k8s.io/roles", namespace, ref.get("name", ""))
    return list((role or {}).get("rules") or [])


def authorize(store: Store, user: User, attributes: Attributes) -> bool:
    if MASTERS in user.groups:
        return True
    for binding in store.list("rbac.authorization.k8s.io/clusterrolebindings"):
        subjects = binding.get("subjects") or []
        if any(_subject_is(s, user, "") for s in subjects) and any(
            _rule_allows(r, attributes) for r in _role_rules(store, binding.get("roleRef") or {}, "")
        ):
            return True
    if attributes.namespace:
        for binding in store.list("rbac.authorization.k8s.io/rolebindings", attributes.namespace):
            if any(_subject_is(s, user, attributes.namespace) for s in binding.get("subjects") or []):
                rules = _role_rules(store, binding.get("roleRef") or {}, attributes.namespace)
                if any(_rule_allows(r, attributes) for r in rules):
                    return True
    return False


def forbidden_message(user: User, attributes: Attributes) -> str:
    """The API server's wording, e.g. `namespaces is forbidden: User "viewer" cannot create ...`."""
    if not attributes.is_resource:
        return f'forbidden: User "{user.name}" cannot {attributes.verb} path "{attributes.path}"'
    qualified = attributes.resource + (f".{attributes.group}" if attributes.group else "")
    subject = f'{qualified} "{attributes.name}"' if attributes.name else qualified
    resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
    scope = f'in the namespace "{attributes.namespace}"' if attributes.namespace else "at the cluster scope"
    return (
        f'{subject} is forbidden: User "{user.name}" cannot {attributes.verb} resource "{resource}" '
        f'in API group "{attributes.group}" {scope}'
    )
