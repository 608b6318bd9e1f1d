"""The journal: append-only, readable after a crash, refused when it is not ours or belongs to another cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scs_toolkit.fix import (
    Action,
    Change,
    Header,
    Journal,
    JournalError,
    latest_journal,
    new_journal_path,
    read_journal,
)
from scs_toolkit.fix._model import frozen

HEADER = Header("mycloud", "https://keystone.example/v3", "project-1", "2026-06-01T00:00:00+00:00")


def change(name: str = "SCS-2V-8") -> Change:
    return Change(
        Action.CREATE_FLAVOR,
        "scs-0103",
        name,
        None,
        ("scs-0103-flavor-2v-8",),
        f"create flavor {name}",
        frozen({}),
        frozen({"name": name, "vcpus": 2, "ram": 8192, "disk": 0, "is_public": True, "extra_specs": {"a": "b"}}),
    )


def test_round_trip_with_progress_results_and_undo(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, HEADER)
    first = journal.begin(change())
    journal.progress(first, "flavor-1")
    journal.finish(first, "failed", {}, None, "extra specs refused")
    second = journal.begin(change("SCS-1L-1"))
    journal.finish(second, "done", {"x": None}, "flavor-2", "created")
    journal.undone(second, "reverted", "deleted")
    header, entries = read_journal(path)
    assert header == HEADER
    assert [(e.seq, e.status, e.created_id, e.undo) for e in entries] == [
        (1, "failed", "flavor-1", None),  # the id made before the failure survives: undo can remove it
        (2, "done", "flavor-2", "reverted"),
    ]
    assert entries[1].change == change("SCS-1L-1") and dict(entries[1].before) == {"x": None}
    assert path.stat().st_mode & 0o777 == 0o600
    again = Journal(path, HEADER)  # continuing the same journal numbers on
    assert again.begin(change("SCS-1V-2")) == 3


def test_a_line_cut_short_by_a_crash_is_ignored_but_garbage_is_not(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, HEADER)
    journal.finish(journal.begin(change()), "done", {}, "flavor-1")
    with path.open("a") as handle:
        handle.write('{"type": "change", "seq": 2, "chan')
    _, entries = read_journal(path)
    assert [e.seq for e in entries] == [1]
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "not json", *lines[1:]]) + "\n")
    with pytest.raises(JournalError, match="line 2: not a journal record"):
        read_journal(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not a journal"),
        ('{"type": "journal", "format": 99}\n', "is not a journal"),
        ('{"type": "journal", "format": 1, "cloud": "c", "auth_url": "u"}\n{"type": "result", "seq": 7}\n', "record 2"),
        (b"\xff\xfe", "not text"),
    ],
)
def test_what_is_not_a_journal(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(JournalError, match=message):
        read_journal(path)
    with pytest.raises(JournalError, match="cannot read"):
        read_journal(tmp_path / "missing.jsonl")


def test_another_clouds_journal_is_not_continued(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    Journal(path, HEADER).begin(change())
    other = Header("othercloud", "https://other.example/v3", "project-9", "2026-06-02T00:00:00+00:00")
    with pytest.raises(JournalError, match="is the journal of cloud mycloud"):
        Journal(path, other)
    assert json.loads(path.read_text().splitlines()[0])["cloud"] == "mycloud"  # untouched


def test_default_place_is_the_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert latest_journal("my cloud") is None
    older = new_journal_path("my cloud")
    newer = new_journal_path("my cloud")
    assert older.parent == tmp_path / "state" / "scs-toolkit" / "fix" and older.name.startswith("my_cloud-")
    for path in (older, newer):
        Journal(path, HEADER).begin(change())
    assert latest_journal("my cloud") == max(older, newer)
    assert latest_journal("my") is None  # a prefix of another cloud's name is not that cloud
