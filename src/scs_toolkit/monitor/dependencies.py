"""Request dependencies shared by the routers: database session, callers, scope and moment parameters.

The database lives on `app.state`, so nothing here is module state and several apps (tests,
replicas) can run side by side.
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .. import standards
from . import names
from .accounts import ROLES
from .authentication import AuthenticationError, Authenticator
from .db import Account, Database, Report
from .services import reports, status, subjects
from .services.current import CurrentState
from .services.ingestion import bundled_scope

REALM = "Compliance monitor"
CHALLENGE = {"WWW-Authenticate": f'Basic realm="{REALM}"'}
_basic = HTTPBasic(auto_error=False, realm=REALM)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; endpoints commit explicitly, anything uncommitted is rolled back.

    Async, so that FastAPI does not hop to a worker thread twice per request to open and close it:
    opening does no I/O (a connection is taken on first use), and closing goes to a thread only when
    there is a transaction to roll back (a page served from the snapshot never has one)."""
    database: Database = request.app.state.database
    db = database.new_session()
    try:
        yield db
    finally:
        if db.in_transaction():
            await anyio.to_thread.run_sync(db.close)
        else:
            db.close()


DbSession = Annotated[Session, Depends(get_session)]
#: The account with its keys in one query (an upload needs the API keys to log in and the public
#: keys to verify the signature: loading them lazily took a round trip each).
_LOGIN = select(Account).options(joinedload(Account.api_keys), joinedload(Account.public_keys))


async def optional_caller(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)], db: DbSession
) -> Account | None:
    """The authenticated account, None when no credentials were sent; 401 for wrong ones, 429 after
    too many failures. Async so that waiting for argon2 holds neither the loop nor a request thread."""
    if credentials is None:
        return None

    def lookup(username: str) -> tuple[Account | None, list[str]]:
        account = db.scalars(_LOGIN.where(Account.subject == username)).unique().first()
        return account, [k.hash for k in account.api_keys] if account is not None else []

    authenticator: Authenticator = request.app.state.authenticator
    address = request.client.host if request.client else "unknown"
    try:
        return await authenticator.authenticate(address, credentials.username, credentials.password, lookup)
    except AuthenticationError as error:
        if error.status_code == 429:
            raise HTTPException(429, error.message, headers={"Retry-After": str(error.retry_after)}) from None
        raise HTTPException(401, error.message, headers=CHALLENGE) from None


async def caller(account: Annotated[Account | None, Depends(optional_caller)]) -> Account:
    """401 without an account. This and the other dependencies here that do no I/O are async:
    FastAPI runs a plain `def` dependency in a worker thread, a hop per request for nothing."""
    if account is None:
        raise HTTPException(401, "authentication required", headers=CHALLENGE)
    return account


async def admin(account: Annotated[Account, Depends(caller)]) -> Account:
    if not account.roles & ROLES["admin"]:
        raise HTTPException(403, f"{account.subject} lacks the admin role")
    return account


def scope_or_404(reference: str) -> standards.Scope:
    """A bundled scope by alias or uuid (never a file: the reference comes from the request)."""
    loaded = bundled_scope(reference)
    if loaded is None:
        known = ", ".join(standards.BUNDLED_SCOPES)
        raise HTTPException(404, f"unknown scope {reference!r}; known: {known} (or their uuids)")
    return loaded


async def scope_param(
    scope: Annotated[
        str, Query(max_length=names.SCOPE_REFERENCE_MAX, description="alias or uuid")
    ] = "scs-compatible-iaas",
) -> standards.Scope:
    return scope_or_404(scope)


async def moment_param(
    at: Annotated[str | None, Query(max_length=64, description="ISO date or date-time (naive: UTC)")] = None,
) -> dt.datetime | None:
    """`at` as naive UTC; None means now. Only moments the monitor can reason about (2000-2999)."""
    if at is None:
        return None
    try:
        moment = status.naive_utc(dt.datetime.fromisoformat(at))
    except ValueError:
        raise HTTPException(422, f"`at` must be an ISO date or date-time, not {at!r}") from None
    if not status.EARLIEST <= moment <= status.LATEST:
        raise HTTPException(422, f"`at` must lie between {status.EARLIEST:%Y-%m-%d} and {status.LATEST:%Y-%m-%d}")
    return moment


async def get_current(request: Request) -> CurrentState:
    """The app's snapshot of "now" (validated against the database's change counter per request)."""
    current: CurrentState = request.app.state.current
    return current


def known_subject(db: Session, subject: str, current: CurrentState | None = None) -> None:
    try:
        subjects.require(db, subject, current)
    except subjects.UnknownSubject as error:
        raise HTTPException(404, str(error)) from None


def readable_report(
    db: Session, report_uuid: str, account: Account | None, full: bool
) -> tuple[Report, dict[str, Any]]:
    try:
        return reports.readable(db, report_uuid, account, full)
    except reports.ReportAccessError as error:
        headers = CHALLENGE if error.status_code == 401 else None
        raise HTTPException(error.status_code, str(error), headers=headers) from None


Caller = Annotated[Account, Depends(caller)]
OptionalCaller = Annotated[Account | None, Depends(optional_caller)]
Admin = Annotated[Account, Depends(admin)]
ScopeParam = Annotated[standards.Scope, Depends(scope_param)]
Moment = Annotated[dt.datetime | None, Depends(moment_param)]
Current = Annotated[CurrentState, Depends(get_current)]
