"""The monitor's public pages in a real browser: navigation, badges, history chart, and untrusted
report content that must stay text."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.monitor.helpers import post, report

XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'


def test_overview_links_to_details_with_badge_and_history(monitor: dict[str, Any], page: Page) -> None:
    assert post(monitor, [report(**{"scs-0100-syntax-check": -1})]).status_code == 201
    page.goto(monitor["url"] + "/")
    row = page.locator('tr[data-subject="cloud-a"]')
    assert "FAIL" in row.inner_text()
    row.locator("a.subject").click()
    page.wait_for_url("**/subjects/cloud-a")
    assert page.locator("h1").inner_text() == "cloud-a"
    badge = page.locator("img[alt$='badge']").first
    badge.wait_for()
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    assert badge.evaluate("img => img.naturalWidth") > 50
    page.get_by_role("link", name="History (18 months)").click()
    page.wait_for_url("**/history")
    assert page.locator("svg.timeline").count() == 2
    assert page.locator("svg.timeline rect.FAIL").count() >= 1


def test_markup_in_a_report_is_shown_as_text_and_never_runs(monitor: dict[str, Any], page: Page) -> None:
    document = report(**{"scs-0100-syntax-check": -1})
    invocation = document["run"]["invocations"]["i"]
    invocation["stdout"] = [f"{XSS}: FAIL"]
    invocation["stderr"] = [f"ERROR: {XSS}"]
    document["details"] = {"scs-0100-syntax-check": {"result": "FAIL", "reason": XSS}}
    assert post(monitor, [document]).status_code == 201
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (f"/reports/{document['run']['uuid']}", "/subjects/cloud-a"):
        page.goto(monitor["url"] + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned") is None
        assert XSS in page.locator("body").inner_text()
    assert dialogs == []
