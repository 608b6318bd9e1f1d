"""The journal: every change `scs fix apply` makes, with the values it found before, so `undo` can revert it.

One JSON object per line, appended and flushed to disk before and after each change: a run that is
killed mid-change leaves a `started` record, which undo treats by looking at the cloud. Lines are
never rewritten; undo appends what it reverted, so running it twice reverts nothing twice. The
default place is the toolkit's state folder (`$XDG_STATE_HOME/scs-toolkit/fix/`), one file per
apply, named after the cloud and the moment; never the current directory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import __version__
from .._paths import state_dir
from .._time import iso, utcnow
from ._model import Change, frozen, plain

JOURNAL_FORMAT = 1
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class JournalError(ValueError):
    """A journal that cannot be read or does not belong here; the message says which line or why."""


@dataclass(frozen=True)
class Header:
    cloud: str
    auth_url: str
    project_id: str | None
    started_at: str


@dataclass(frozen=True)
class Entry:
    seq: int
    change: Change
    #: started (no outcome recorded: the run died mid-change), done, skipped (nothing to do), failed
    status: str
    #: What the cloud held just before the change (for undo), as the applier found it.
    before: Mapping[str, Any] = field(default_factory=frozen)
    created_id: str | None = None
    detail: str = ""
    #: reverted, already (nothing to revert), conflict (changed since), failed; None: not undone yet
    undo: str | None = None
    undo_detail: str = ""


def journal_dir() -> Path:
    return state_dir() / "fix"


def new_journal_path(cloud: str, moment: dt.datetime | None = None) -> Path:
    stamp = (moment or utcnow()).strftime("%Y%m%dT%H%M%S%fZ")
    return journal_dir() / f"{_SAFE.sub('_', cloud)}-{stamp}.jsonl"


def latest_journal(cloud: str) -> Path | None:
    """The newest journal written for `cloud` in the state folder, if any."""
    prefix = f"{_SAFE.sub('_', cloud)}-"
    candidates = sorted(p for p in journal_dir().glob(f"{prefix}*.jsonl") if p.name[len(prefix) :][:1].isdigit())
    return candidates[-1] if candidates else None


class Journal:
    """Append-only writer; opening an existing journal of the same cloud continues it."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        existing = path.exists() and path.stat().st_size > 0
        if existing:
            found, entries = read_journal(path)
            if (found.auth_url, found.project_id) != (header.auth_url, header.project_id):
                raise JournalError(
                    f"{path} is the journal of cloud {found.cloud} ({found.auth_url}), not of {header.cloud}; "
                    "choose another --journal FILE"
                )
            self._seq = max((e.seq for e in entries), default=0)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._seq = 0
        self._write_header = not existing
        self.header = header

    def _append(self, record: dict[str, Any]) -> None:
        records = []
        if self._write_header:
            records.append(
                {
                    "type": "journal",
                    "format": JOURNAL_FORMAT,
                    "cloud": self.header.cloud,
                    "auth_url": self.header.auth_url,
                    "project_id": self.header.project_id,
                    "started_at": self.header.started_at,
                    "tool": f"scs-toolkit {__version__}",
                }
            )
            self._write_header = False
        records.append(record)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            for item in records:
                handle.write(json.dumps(item, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def begin(self, change: Change) -> int:
        self._seq += 1
        self._append({"type": "change", "seq": self._seq, "at": iso(utcnow()), "change": change.to_dict()})
        return self._seq

    def finish(
        self, seq: int, status: str, before: Mapping[str, Any], created_id: str | None = None, detail: str = ""
    ) -> None:
        self._append(
            {
                "type": "result",
                "seq": seq,
                "at": iso(utcnow()),
                "status": status,
                "before": plain(before),
                "created_id": created_id,
                "detail": detail,
            }
        )

    def progress(self, seq: int, created_id: str) -> None:
        """A multi-step change made something (a flavor before its extra specs): undo must know it even if
        the rest fails or the run dies now."""
        self._append({"type": "progress", "seq": seq, "at": iso(utcnow()), "created_id": created_id})

    def undone(self, seq: int, status: str, detail: str = "", recreated_id: str | None = None) -> None:
        self._append(
            {
                "type": "undo",
                "seq": seq,
                "at": iso(utcnow()),
                "status": status,
                "detail": detail,
                "recreated_id": recreated_id,
            }
        )


def read_journal(path: Path) -> tuple[Header, list[Entry]]:
    """The header and the entries in order; JournalError names the line that is wrong.

    A last line cut short (the run was killed while writing it) is ignored: it recorded nothing complete.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise JournalError(f"cannot read the journal {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise JournalError(f"{path} is not a journal of `scs fix apply` (not text)") from None
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):
                break  # cut short by a crash
            raise JournalError(f"{path} line {number}: not a journal record (JSON)") from None
        if not isinstance(record, dict) or "type" not in record:
            raise JournalError(f"{path} line {number}: not a journal record")
        records.append(record)
    if not records or records[0].get("type") != "journal" or records[0].get("format") != JOURNAL_FORMAT:
        raise JournalError(f"{path} is not a journal of `scs fix apply` (format {JOURNAL_FORMAT})")
    first = records[0]
    header = Header(
        str(first.get("cloud")), str(first.get("auth_url")), first.get("project_id"), str(first.get("started_at"))
    )
    entries: dict[int, Entry] = {}
    for index, record in enumerate(records[1:], start=2):
        try:
            seq = int(record["seq"])
            if record["type"] == "change":
                entries[seq] = Entry(seq, Change.from_dict(record["change"]), "started")
            elif record["type"] == "progress":
                entries[seq] = replace(entries[seq], created_id=str(record["created_id"]))
            elif record["type"] == "result":
                entries[seq] = replace(
                    entries[seq],
                    status=str(record["status"]),
                    before=frozen(record.get("before") or {}),
                    created_id=record.get("created_id") or entries[seq].created_id,
                    detail=str(record.get("detail") or ""),
                )
            elif record["type"] == "undo":
                entry = entries[seq]
                recreated = record.get("recreated_id")
                entries[seq] = replace(
                    entry,
                    undo=str(record["status"]),
                    undo_detail=str(record.get("detail") or ""),
                    # a deleted rule that undo re-created lives on under its new id
                    created_id=str(recreated) if recreated else entry.created_id,
                )
        except (KeyError, ValueError, TypeError) as error:
            raise JournalError(f"{path} record {index}: incomplete or unknown ({error})") from None
    return header, [entries[k] for k in sorted(entries)]
