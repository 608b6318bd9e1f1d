"""What identifiers and stored text may look like, one set of rules for every way in: uploads,
query and path parameters, the accounts file and the CLI.

The database columns are bounded (`String(128)` ...). PostgreSQL refuses longer values and NUL
bytes with an error, SQLite silently stores them; validating before any query makes both behave
the same: a clear 4xx (or a usage error) and nothing stored.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import StringConstraints

#: Subjects and groups: the official onboarding helper allows [a-zA-Z0-9_-]; real subjects also
#: carry dots (`noris-1.34`). 128 is the column width.
SUBJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
#: Testcase ids (`scs-0100-syntax-check`), the same alphabet and width.
TESTCASE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
#: Run uuids (uuid4 from both runners) and certificate serials; 64 is the column width.
UUID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Names of signing keys (default: the key file's stem, such as `id_ed25519`).
KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"
SCOPE_REFERENCE_MAX = 64  # an alias or a uuid
#: Control characters other than tab and line breaks; NUL among them (PostgreSQL cannot store it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

SubjectName = Annotated[str, StringConstraints(pattern=SUBJECT_PATTERN)]
TestcaseId = Annotated[str, StringConstraints(pattern=TESTCASE_PATTERN)]
RunUuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]

_SUBJECT_HELP = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128"
SubjectPath = Annotated[str, Path(pattern=SUBJECT_PATTERN, description=f"Subject or `group-NAME`: {_SUBJECT_HELP}")]
SubjectQuery = Annotated[
    str | None, Query(pattern=SUBJECT_PATTERN, description=f"Subject or `group-NAME`: {_SUBJECT_HELP}")
]
ReportUuidPath = Annotated[str, Path(pattern=UUID_PATTERN, description="The report's run uuid")]
SerialPath = Annotated[str, Path(pattern=UUID_PATTERN, description="The certificate's serial")]


class InvalidName(ValueError):
    """A name or text that must not be stored; the message says what is allowed."""


def is_subject(value: str) -> bool:
    return re.fullmatch(SUBJECT_PATTERN, value) is not None


def require(value: object, pattern: str, what: str) -> str:
    """`value` if it is a string matching `pattern`, else InvalidName naming `what`."""
    if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
        shown = repr(value)[:80]
        raise InvalidName(f"{what} {shown} is not allowed: use {_allowed(pattern)}")
    return value


def require_subject(value: object, what: str = "subject") -> str:
    return require(value, SUBJECT_PATTERN, what)


def require_text(value: object, what: str, max_length: int, *, multiline: bool = False) -> str:
    """Free text for display (names, descriptions, reasons): bounded, no control characters."""
    if not isinstance(value, str):
        raise InvalidName(f"{what} must be a string")
    if len(value) > max_length:
        raise InvalidName(f"{what} is longer than {max_length} characters")
    if _CONTROL.search(value) or _SURROGATE.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise InvalidName(f"{what} contains control characters")
    return value


def storable(value: str) -> bool:
    """Whether both databases can store `value` as text: no NUL, no lone surrogates."""
    return "\x00" not in value and _SURROGATE.search(value) is None


def _allowed(pattern: str) -> str:
    if pattern == UUID_PATTERN:
        return "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64"
    if pattern == KEY_NAME_PATTERN:
        return "letters, digits, '.', '_', '@', '+' and '-', starting with a letter or digit, at most 128"
    return _SUBJECT_HELP
