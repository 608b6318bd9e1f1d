"""Public pages and badges over real HTTP: content from data, escaping, cache headers."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import yaml

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.accounts import hash_api_key, load_accounts, sync_accounts
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, migrate
from scs_toolkit.standards import load_scope

from .helpers import keypair, post, report


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    database = Database(url)
    key, public = keypair(tmp_path, "cloud-a")
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "subject": "cloud-a",
                        "api_keys": [hash_api_key("a-secret")],
                        "display_name": "Cloud <A>",
                        "description": "<script>alert('x')</script> & friends",
                        "operator": "ACME",
                        "layer": "IaaS",
                        "healthmon_url": "javascript:alert(1)",
                        "keys": [
                            {
                                "public_key": public.split()[1],
                                "public_key_type": public.split()[0],
                                "public_key_name": "k",
                            }
                        ],
                    },
                    {
                        "subject": "cloud-b",
                        "display_name": "Cloud B",
                        "healthmon_url": "https://health.example/cloud-b",
                    },
                ]
            }
        )
    )
    with database.session() as session:
        sync_accounts(session, load_accounts(accounts))
    with BackgroundServer(create_app(database)) as server:
        yield {"url": server.url, "database": database, "keys": {"cloud-a": key}}
    database.close()


def test_overview_from_data_with_states_and_escaping(site: dict[str, Any]) -> None:
    required = load_scope("scs-compatible-iaas").version("v5.1").required
    assert post(site, [report(**dict.fromkeys(required, 1))]).status_code == 201
    page = httpx.get(site["url"] + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Cloud &lt;A&gt;" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html  # unsafe link dropped
    assert 'href="https://health.example/cloud-b"' in html
    assert 'src="https://health.example/cloud-b/badge.svg"' in html  # the health monitor's summary badge
    rows = html.split("<tr>")
    row_a = next(r for r in rows if "Cloud &lt;A&gt;" in r)
    row_b = next(r for r in rows if "Cloud B" in r)
    assert 'class="PASS"' in row_a and "v5.1" in row_a
    assert 'class="MISSING"' in row_b


def test_details_page_and_unknown_subject(site: dict[str, Any]) -> None:
    assert post(site, [report(**{"scs-0100-syntax-check": -1})]).status_code == 201
    page = httpx.get(site["url"] + "/subjects/cloud-a")
    assert page.status_code == 200
    assert "scs-0100-syntax-check" in page.text and 'class="FAIL"' in page.text
    assert httpx.get(site["url"] + "/subjects/nobody").status_code == 404


def test_badge(site: dict[str, Any]) -> None:
    reply = httpx.get(site["url"] + "/badges/cloud-b/scs-compatible-iaas.svg")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    assert "max-age" in reply.headers["cache-control"]
    svg = ElementTree.fromstring(reply.text)
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "SCS-compatible IaaS: missing"  # type: ignore[union-attr]
    assert httpx.get(site["url"] + "/badges/cloud-b/nope.svg").status_code == 404
    assert httpx.get(site["url"] + "/status", params={"scope": "/etc/passwd"}).status_code == 404


def test_scope_references_are_never_read_as_files(site: dict[str, Any]) -> None:
    """A valid scope file whose path is as long as a uuid must still not be loaded from a request."""
    path = Path("/tmp") / ("s" * 26 + ".yaml")
    assert len(str(path)) == 36
    bundled = resources.files("scs_toolkit.standards").joinpath("data", "scopes", "scs-compatible-kaas.yaml")
    path.write_text(bundled.read_text(encoding="utf-8"))
    assert load_scope(str(path)).name == "SCS-compatible KaaS"  # a scope the loader itself would accept
    try:
        assert httpx.get(site["url"] + "/status", params={"scope": str(path)}).status_code == 404
    finally:
        path.unlink()
