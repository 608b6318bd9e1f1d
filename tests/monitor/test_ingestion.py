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
