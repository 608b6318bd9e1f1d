"""Who acts and what can go wrong: shared by the API, the CLI and the health bridge's server side."""

from __future__ import annotations

from dataclasses import dataclass

#: Token scopes: admin (components, impact types, severities, phases, webhooks, everything a writer may),
#: writer (incidents, updates, maintenance, RCAs, proposals), machine (its own incidents and the ingest API).
SCOPES = ("admin", "writer", "machine")
#: The label that hides a component (and what only affects it) from anonymous readers.
VISIBILITY_LABEL, INTERNAL = "visibility", "internal"
#: The label that ties a component to a cloud (a compliance monitor subject, a health monitor cloud).
CLOUD_LABEL = "cloud"


@dataclass(frozen=True)
class Actor:
    """Whoever makes a request: a token (name, scope, source), a CLI user, or nobody (anonymous)."""

    name: str
    scope: str | None  # None: anonymous
    source: str = "human"

    @property
    def anonymous(self) -> bool:
        return self.scope is None

    @property
    def writer(self) -> bool:
        return self.scope in ("admin", "writer")

    @property
    def admin(self) -> bool:
        return self.scope == "admin"

    @property
    def machine(self) -> bool:
        return self.scope == "machine"


ANONYMOUS = Actor("anonymous", None)


class StatusPageError(Exception):
    """A request the rules refuse; `status_code` is what the API answers (the CLI exits 2 or 1)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def bad(message: str) -> StatusPageError:
    return StatusPageError(400, message)


def missing(message: str) -> StatusPageError:
    return StatusPageError(404, message)


def forbidden(message: str) -> StatusPageError:
    return StatusPageError(403, message)
