"""Scoped API tokens: `NAME.SECRET`, of which only an argon2 hash of the secret is stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..._time import naive, utcnow
from ...monitor import names
from ...monitor.accounts import hash_api_key, new_api_key
from ..db import Token
from ..model import SCOPES, Actor, StatusPageError, bad, missing
from . import audit

#: Sources a machine token may give its incidents (the `source` of sp_incident).
SOURCE_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"


def create(db: Session, actor: Actor, name: str, scope: str, source: str | None = None) -> str:
    """A new token; returns `NAME.SECRET` (shown once: only the hash is kept)."""
    try:
        names.require_subject(name, "token name")
    except names.InvalidName as error:
        raise bad(str(error)) from None
    if scope not in SCOPES:
        raise bad(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")
    if source is not None and scope != "machine":
        raise bad("only machine tokens have a source")
    source = source or ("healthmon" if scope == "machine" else "human")
    try:
        names.require(source, SOURCE_PATTERN, "source")
    except names.InvalidName:
        raise bad("source: lower-case letters, digits and '-', at most 32, e.g. healthmon") from None
    if db.scalar(select(Token).where(Token.name == name)) is not None:
        raise StatusPageError(409, f"a token named {name!r} exists; remove it first or choose another name")
    secret = new_api_key()
    db.add(Token(name=name, scope=scope, source=source, hash=hash_api_key(secret), created_at=naive(utcnow())))
    audit.record(db, actor, "create", "token", name, after={"name": name, "scope": scope, "source": source})
    return f"{name}.{secret}"


def listing(db: Session) -> list[Token]:
    return list(db.scalars(select(Token).order_by(Token.name)))


def remove(db: Session, actor: Actor, name: str) -> None:
    token = db.scalar(select(Token).where(Token.name == name))
    if token is None:
        raise missing(f"no token {name!r}")
    audit.record(db, actor, "delete", "token", name, {"name": name, "scope": token.scope, "source": token.source})
    db.delete(token)


def split(value: str) -> tuple[str, str] | None:
    """`NAME.SECRET` -> (NAME, SECRET); names may contain dots, secrets never do."""
    name, dot, secret = value.strip().rpartition(".")
    return (name, secret) if dot and name and secret else None
