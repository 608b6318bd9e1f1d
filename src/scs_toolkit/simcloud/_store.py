"""The simulated cloud's state: plain records per resource kind, deterministic ids, optional file.

All request handlers run on one asyncio event loop, so the store needs no locks; persistence
writes a whole snapshot atomically (temp file + rename) after each change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class NotFound(KeyError):
    """No record of that kind with that id."""


class StateError(ValueError):
    """A state file that cannot be used: unreadable, or written by an incompatible version."""


#: Version of the state file layout; records gained fields (boot volumes, embedded flavors) in 2.
STATE_VERSION = 2


class Store:
    """Records by kind (e.g. 'flavor', 'server') and id; ids come from a seeded generator."""

    def __init__(self, seed: int | None = None, path: Path | None = None) -> None:
        self._tables: dict[str, dict[str, Record]] = {}
        self._random = random.Random(seed)
        self.path = path
        self.dirty = False

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def add(self, kind: str, record: Record) -> Record:
        record.setdefault("id", self.new_id())
        self._tables.setdefault(kind, {})[record["id"]] = record
        self.dirty = True
        return record

    def get(self, kind: str, record_id: str) -> Record:
        try:
            return self._tables[kind][record_id]
        except KeyError:
            raise NotFound(f"{kind} {record_id} could not be found") from None

    def find(self, kind: str, **match: Any) -> Record | None:
        return next(self.select(kind, **match), None)

    def select(self, kind: str, **match: Any) -> Iterator[Record]:
        for record in list(self._tables.get(kind, {}).values()):
            if all(record.get(key) == value for key, value in match.items()):
                yield record

    def all(self, kind: str) -> list[Record]:
        return list(self._tables.get(kind, {}).values())

    def delete(self, kind: str, record_id: str) -> Record:
        try:
            record = self._tables[kind].pop(record_id)
        except KeyError:
            raise NotFound(f"{kind} {record_id} could not be found") from None
        self.dirty = True
        return record

    def touch(self) -> None:
        self.dirty = True

    def count(self, kind: str) -> int:
        return len(self._tables.get(kind, {}))

    # -- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        document = {"version": STATE_VERSION, "tables": self._tables}
        tmp.write_text(json.dumps(document, default=_json_default), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty = False

    def load(self) -> bool:
        """Load the state file if it exists; returns whether it did."""
        if self.path is None or not self.path.exists():
            return False
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise StateError(f"{self.path}: not a readable state file: {error}") from None
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            found = document.get("version") if isinstance(document, dict) else None
            raise StateError(
                f"{self.path}: state file version {found}, this simulated cloud keeps version {STATE_VERSION}; "
                "delete the file to start afresh"
            )
        self._tables = document["tables"]
        self.dirty = False
        return True


def _json_default(value: object) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def now() -> dt.datetime:
    """The current moment with its sub-seconds: a 0.2 s transition must take 0.2 s, not up to 1 s."""
    return dt.datetime.now(dt.UTC)


def timestamp(moment: dt.datetime | None = None) -> str:
    """OpenStack's usual timestamp spelling: 2026-11-23T14:47:24Z."""
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")
