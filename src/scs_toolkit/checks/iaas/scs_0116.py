"""scs-0116 key manager: offered (recommended), and usable by ordinary members (Barbican `creator`)."""

from __future__ import annotations

from typing import Any

from openstack import exceptions

from ...collect import IaasSnapshot
from ...collect._cleanup import describe
from ...collect._retry import with_retries
from .._model import Finding, Outcome, Probe
from .._registry import testcase


def privileged_roles(snapshot: IaasSnapshot) -> Outcome | None:
    """ABORT unless the check runs as a plain member: elevated roles would hide a policy problem."""
    roles = set(snapshot.roles or ())
    elevated = sorted(roles & {"admin", "manager"})
    if elevated:
        return Outcome.aborted(f"the account has role(s) {', '.join(elevated)}; run the checks as an ordinary member")
    if "member" not in roles:
        return Outcome.aborted("the account lacks the member role; run the checks as an ordinary member")
    return None


def _has_key_manager(snapshot: IaasSnapshot) -> bool:
    return any(e.type == "key-manager" for e in snapshot.catalog or ())


@testcase(
    "scs-0116-presence",
    "scs-0116-v1",
    "The key manager API is in the catalog.",
    "Offer Barbican (service type key-manager) in the catalog.",
    needs=["catalog"],
    severity="warning",
)
def presence(snapshot: IaasSnapshot) -> Outcome:
    if _has_key_manager(snapshot):
        return Outcome.passed("catalog has key-manager")
    return Outcome.failed(
        "no key-manager service in the catalog",
        [Finding("key-manager", "not in the catalog")],
        "Offer Barbican (service type key-manager).",
    )


@testcase(
    "scs-0116-permissions",
    "scs-0116-v1",
    "Members may create, read and delete secrets.",
    "Map Keystone `member` to Barbican `creator` in the Barbican policy (or enable secure RBAC).",
    needs=["catalog", "roles"],
    active=True,
)
def permissions(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    refused = privileged_roles(snapshot)
    if refused is not None:
        return refused
    if not _has_key_manager(snapshot):
        return Outcome.passed("no key manager offered: nothing to check")
    conn, name = probe.conn, probe.name("0116-secret")

    def ours() -> list[Any]:
        return [s for s in with_retries(lambda: list(conn.key_manager.secrets(name=name))) if s.name == name]

    def delete(secret: Any) -> None:
        with_retries(lambda: conn.key_manager.delete_secret(_secret_id(secret)))

    leftovers: list[str] = []
    try:
        created = with_retries(
            lambda: conn.key_manager.create_secret(
                name=name, payload="foo", payload_content_type="text/plain", secret_type="opaque"
            )
        )
        try:
            if not ours():
                return Outcome.failed(
                    "a created secret is not listed",
                    [Finding(name, "not listed after creation")],
                    "Check the Barbican policy for listing secrets.",
                )
        finally:
            try:
                delete(created)
            except exceptions.HttpException as error:
                leftovers.append(f"secret {name} ({_secret_id(created)}): cannot delete: {describe(error)}")
    except exceptions.ForbiddenException as error:
        return Outcome.failed(
            "members may not use the key manager",
            [Finding("key-manager", f"HTTP 403: {error.details or error}")],
            "Map Keystone `member` to Barbican `creator` in the policy, or enable secure RBAC.",
        ).left_behind(leftovers)
    return Outcome.passed("a member created, listed and deleted a secret").left_behind(leftovers)


def _secret_id(secret: Any) -> str:
    return str(secret.secret_ref).rstrip("/").rsplit("/", 1)[-1]
