"""The simulated cloud as one object: state, tokens, faults, profile; shared by all services."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from ._auth import TOKEN_LIFETIME, Token, expired
from ._errors import ApiError
from ._faults import FaultInjector
from ._store import Store, now

#: URL path prefix of each service below the cloud's base URL.
SERVICE_PATHS = {
    "identity": "identity",
    "compute": "compute",
    "image": "image",
    "volume": "volume",
    "network": "network",
    "load-balancer": "load-balancer",
    "key-manager": "key-manager",
    "object-store": "object-store",
    "placement": "placement",
}


#: Where real clouds differ by deployment policy: what an ordinary member may do beyond the upstream
#: defaults (each False unless a profile's `policy:` says otherwise).
POLICY_SWITCHES = frozenset(
    {
        "list_roles",  # identity:list_roles, identity:get_role
        "list_role_assignments",  # identity:list_role_assignments
        "list_resource_providers",  # placement:resource_providers:list
        "read_type_extra_specs",  # volume_extension:types_extra_specs:read_sensitive
        "read_type_encryption",  # volume_extension:volume_type_encryption
    }
)


@dataclass
class Cloud:
    """Everything one simulated cloud knows. One instance per running app (no module state)."""

    store: Store
    faults: FaultInjector
    profile: dict[str, Any]
    region: str = "RegionOne"
    tokens: dict[str, Token] = field(default_factory=dict)
    requests: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    #: Hook for guest access (SSH servers for floating IPs); set by the server runner.
    guests: Any = None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.profile.get("services", SERVICE_PATHS))

    def has(self, service: str) -> bool:
        return service in self.services

    def member_may(self, switch: str) -> bool:
        """A deployment's policy choice (profile `policy:`); off, the upstream default, unless the profile says so."""
        assert switch in POLICY_SWITCHES, switch
        return bool((self.profile.get("policy") or {}).get(switch, False))

    def token_for(self, request: Request) -> Token:
        """The caller's valid token, or 401."""
        token_id = request.headers.get("x-auth-token")
        if not token_id:
            raise ApiError(401, "The request you have made requires authentication.")
        token = self.tokens.get(token_id)
        if token is None or expired(token):
            raise ApiError(401, "The request you have made requires authentication.")
        return token

    def issue(self, token: Token) -> Token:
        self.tokens[token.id] = token
        # forget expired tokens now and then, so long runs do not grow without bound
        if len(self.tokens) % 256 == 0:
            for key in [k for k, t in self.tokens.items() if expired(t)]:
                del self.tokens[key]
        return token

    def token_expiry(self) -> dt.datetime:
        return now() + TOKEN_LIFETIME


def base_url(request: Request) -> str:
    """The cloud's root URL as the client reached it (so catalogs work behind any loopback address)."""
    return str(request.base_url).rstrip("/")


def service_url(request: Request, service: str) -> str:
    return f"{base_url(request)}/{SERVICE_PATHS[service]}"


def cloud_of(request: Request) -> Cloud:
    cloud: Cloud = request.app.state.cloud
    return cloud
