"""Who is asking: scoped tokens checked by the compliance monitor's authenticator (equal-cost argon2
off the event loop, a verified-key cache, failure limits per token name and per client address).

Tokens are sent as `Authorization: Bearer NAME.SECRET` (what the SCS web UI and API clients send) or,
like monitor uploads, as HTTP Basic `NAME:SECRET`. Reads need none: anonymous readers see the public
part (no proposals, no components labelled visibility=internal).
"""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

import base64
import binascii
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select

from ..monitor.authentication import AuthenticationError, Authenticator
from ..monitor.dependencies import DbSession
from .db import Token
from .model import ANONYMOUS, Actor
from .services import tokens

REALM = "SCS status page"
CHALLENGE = {"WWW-Authenticate": f'Bearer realm="{REALM}", Basic realm="{REALM}"'}


def credentials(header: str) -> tuple[str, str] | None:
    """(name, secret) from a Bearer or Basic Authorization header; None when there is none."""
    kind, _, value = header.strip().partition(" ")
    if not kind:
        return None
    if kind.lower() == "bearer":
        parsed = tokens.split(value)
    elif kind.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            parsed = None
        else:
            name, colon, secret = decoded.partition(":")
            parsed = (name, secret) if colon else None
    else:
        parsed = None
    if parsed is None:
        raise HTTPException(401, "send `Authorization: Bearer NAME.SECRET` (or Basic NAME:SECRET)", headers=CHALLENGE)
    return parsed


async def optional_actor(request: Request, db: DbSession) -> Actor:
    """The token's actor, ANONYMOUS without credentials; 401 for wrong ones, 429 after too many."""
    given = credentials(request.headers.get("authorization", ""))
    if given is None:
        return ANONYMOUS
    name, secret = given

    def lookup(username: str) -> tuple[Token | None, list[str]]:
        token = db.scalar(select(Token).where(Token.name == username))
        return token, [token.hash] if token is not None else []

    authenticator: Authenticator = request.app.state.authenticator
    address = request.client.host if request.client else "unknown"
    try:
        token = await authenticator.authenticate(address, name, secret, lookup)
    except AuthenticationError as error:
        if error.status_code == 429:
            raise HTTPException(429, error.message, headers={"Retry-After": str(error.retry_after)}) from None
        raise HTTPException(401, "incorrect token", headers=CHALLENGE) from None
    return Actor(token.name, token.scope, token.source)


async def actor(who: Annotated[Actor, Depends(optional_actor)]) -> Actor:
    """Any valid token (401 without). This and the role checks below are async because they do no
    I/O: FastAPI runs a plain `def` dependency in a worker thread, a hop per request for nothing."""
    if who.anonymous:
        raise HTTPException(401, "this needs a token: Authorization: Bearer NAME.SECRET", headers=CHALLENGE)
    return who


async def writer(who: Annotated[Actor, Depends(actor)]) -> Actor:
    if not who.writer:
        raise HTTPException(403, f"{who.name} lacks the writer scope")
    return who


async def incident_writer(who: Annotated[Actor, Depends(actor)]) -> Actor:
    """Writers, and machine tokens (limited to their own incidents by the service)."""
    if not (who.writer or who.machine):
        raise HTTPException(403, f"{who.name} may not write incidents")
    return who


async def machine(who: Annotated[Actor, Depends(actor)]) -> Actor:
    if not (who.machine or who.admin):
        raise HTTPException(403, f"{who.name} is not a machine token (scope machine)")
    return who


async def admin(who: Annotated[Actor, Depends(actor)]) -> Actor:
    if not who.admin:
        raise HTTPException(403, f"{who.name} lacks the admin scope")
    return who


Reader = Annotated[Actor, Depends(optional_actor)]
Writer = Annotated[Actor, Depends(writer)]
IncidentWriter = Annotated[Actor, Depends(incident_writer)]
Machine = Annotated[Actor, Depends(machine)]
Admin = Annotated[Actor, Depends(admin)]
