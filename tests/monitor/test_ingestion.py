"""POST /reports over real HTTP: authentication, signatures, validation, permissions, transactions."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import httpx
import pytest

from scs_toolkit.monitor.db import Report

from .helpers import post, report


def stored(monitor: dict[str, Any]) -> int:
    with monitor["database"].session() as session:
        return session.query(Report).count()


def test_signed_report_is_stored_and_evaluated(monitor: dict[str, Any]) -> None:
    reply = post(monitor, [report(**{"scs-0100-syntax-check": 1, "scs-0100-semantics-check": -1})])
    assert reply.status_code == 201, reply.text
    status = httpx.get(f"{monitor['url']}/status", params={"subject": "cloud-a"}).json()
    testcases = status["subjects"]["cloud-a"]["versions"]["v5.1"]["testcases"]
    assert testcases["scs-0100-syntax-check"]["result"] == "PASS"
    assert testcases["scs-0100-semantics-check"]["result"] == "FAIL"
    assert status["subjects"]["cloud-a"]["summary"] == "FAIL"


def test_delegate_with_append_any_may_upload_for_its_principals(monitor: dict[str, Any]) -> None:
    assert post(monitor, [report("cloud-a")], user="zuul", password="zuul-secret").status_code == 201
    refused = post(monitor, [report("cloud-b")], user="zuul", password="zuul-secret")
    assert refused.status_code == 403 and "may not upload reports for cloud-b" in refused.text


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"password": "wrong"}, 401, "incorrect username or password"),
        ({"user": "nobody", "password": "x", "signer": "cloud-a"}, 401, "incorrect"),
        ({"content_type": "application/yaml"}, 415, "Content-Type"),
        ({"signer": "zuul"}, 403, "signature not accepted"),
    ],
)
def test_refusals(monitor: dict[str, Any], change: dict[str, str], status: int, says: str) -> None:
    reply = post(monitor, [report()], **change)  # type: ignore[arg-type]
    assert reply.status_code == status and says in reply.text
    assert stored(monitor) == 0


def test_missing_credentials_and_signature(monitor: dict[str, Any]) -> None:
    anonymous = httpx.post(
        f"{monitor['url']}/reports", content=b"x", headers={"Content-Type": "application/x-signed-yaml"}
    )
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Basic realm="Compliance monitor"'
    auth = base64.b64encode(b"cloud-a:a-secret").decode()
    unsigned = httpx.post(
        f"{monitor['url']}/reports",
        content=b"---\nsubject: x\n",
        headers={"Content-Type": "application/x-signed-yaml", "Authorization": f"Basic {auth}"},
    )
    assert unsigned.status_code == 400 and "missing signature" in unsigned.text


@pytest.mark.parametrize(
    ("documents", "says"),
    [
        (b"spec: [unclosed", "not valid YAML"),
        (b"", "no report"),
        ([{**report(), "subject": None}], "subject"),
        ([report(checked_at=dt.datetime(2099, 1, 1))], "in the future"),
        ([{**report(), "spec": {"uuid": "00000000-0000-0000-0000-000000000000"}}], "unknown scope"),
        ([report(**{"scs-0100-syntax-check": 5})], "must be -1, 0 or 1"),
    ],
)
def test_bad_documents_get_422_and_change_nothing(monitor: dict[str, Any], documents: Any, says: str) -> None:
    reply = post(monitor, documents)
    assert reply.status_code == 422 and says in reply.text
    assert stored(monitor) == 0


def test_duplicates_and_all_or_nothing(monitor: dict[str, Any]) -> None:
    first = report()
    assert post(monitor, [first]).status_code == 201
    assert post(monitor, [first]).status_code == 409
    batch = [report(), report(checked_at=dt.datetime(2099, 1, 1))]
    assert post(monitor, batch).status_code == 422
    assert stored(monitor) == 1  # the valid first document of the failed batch was rolled back


def test_body_size_limit(monitor: dict[str, Any]) -> None:
    big = report()
    big["run"]["log"] = ["x" * 1000] * 5000
    reply = post(monitor, [big])
    assert reply.status_code == 413


def _syntax_check(monitor: dict[str, Any]) -> str:
    status = httpx.get(f"{monitor['url']}/status", params={"subject": "cloud-a"}).json()
    return str(status["subjects"]["cloud-a"]["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["result"])


def test_a_late_older_report_does_not_replace_the_newest_result(monitor: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    newer = report(checked_at=now - dt.timedelta(hours=1), **{"scs-0100-syntax-check": -1})
    older = report(checked_at=now - dt.timedelta(hours=2), **{"scs-0100-syntax-check": 1})
    assert post(monitor, [newer]).status_code == 201
    assert post(monitor, [older]).status_code == 201  # arrives late: stored, but not the newest
    assert _syntax_check(monitor) == "FAIL"
    assert post(monitor, [report(checked_at=now - dt.timedelta(minutes=30))]).status_code == 201
    assert _syntax_check(monitor) == "PASS"
    assert stored(monitor) == 3


def test_one_batch_over_two_reports_of_a_testcase_keeps_the_newer(monitor: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch = [
        report(checked_at=now - dt.timedelta(hours=1), **{"scs-0100-syntax-check": 1}),
        report(checked_at=now - dt.timedelta(hours=3), **{"scs-0100-syntax-check": -1}),
    ]
    assert post(monitor, batch).status_code == 201
    assert _syntax_check(monitor) == "PASS"


def test_a_delegate_batch_naming_one_foreign_subject_is_refused_whole(monitor: dict[str, Any]) -> None:
    refused = post(monitor, [report("cloud-a"), report("cloud-b")], user="zuul", password="zuul-secret")
    assert refused.status_code == 403 and "may not upload reports for cloud-b" in refused.text
    assert stored(monitor) == 0


def test_a_run_uuid_repeated_in_the_batch_or_already_stored_is_409(monitor: dict[str, Any]) -> None:
    first, again = report(), report()
    assert post(monitor, [first]).status_code == 201
    repeated = post(monitor, [again, again])
    assert repeated.status_code == 409 and again["run"]["uuid"] in repeated.text
    present = post(monitor, [report(), first])
    assert present.status_code == 409 and f"report {first['run']['uuid']} is already present" in present.text
    assert stored(monitor) == 1


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({**report(), "subject": ["cloud-a"]}, "subject"),
        ({**report(), "run": {**report()["run"], "uuid": {"a": 1}}}, "run.uuid"),
        ({**report(), "run": "not a mapping"}, "run"),
        ("not a mapping", "the document"),
    ],
)
def test_odd_types_where_names_belong_get_422(monitor: dict[str, Any], document: Any, says: str) -> None:
    reply = post(monitor, [document])
    assert reply.status_code == 422 and says in reply.text, reply.text
    assert stored(monitor) == 0
