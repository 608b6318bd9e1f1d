"""Screenshots of every public page at desktop (1366 px) and phone (390 px) width, light and dark.

Run: .venv/bin/python docs/screenshots.py OUTDIR [--readme docs/screenshots]

It starts the real demo (`scs demo`'s simulated clouds and clusters, checks with signed uploads, the
compliance monitor and the health monitor) in a temporary data directory, runs two rounds (so the
health charts have more than one point), replays the compliant and the broken cloud's real reports
for the 45 days before (backdated, re-signed with the subject's key; the compliant one fails a
testcase for a few days) so the history page has something to show, then drives headless Debian
Chromium through every page. With --readme it also writes the two small PNGs the README shows.
Needs the test extras (Playwright) and Debian's chromium; touches nothing outside the temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from playwright.sync_api import Page, sync_playwright

from scs_toolkit import standards
from scs_toolkit.demo import Demo, prepare_data_dir, signing_key
from scs_toolkit.reports import sign, upload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
BACKFILL_DAYS = 45
#: (first, last) days back on which the compliant cloud's replayed reports fail one testcase.
FAILING_DAYS = (12, 9)


def backfill(demo: Demo, subject: str, failing: tuple[int, int] | None) -> None:
    """Replay the subject's uploaded report for each of the BACKFILL_DAYS days before today."""
    document: dict[str, Any] = yaml.safe_load((demo.data_dir / "reports" / f"{subject}.yaml").read_text())
    checked = dt.datetime.fromisoformat(str(document["checked_at"])).replace(tzinfo=None)
    key = signing_key(demo.data_dir / "keys" / subject)
    for days_back in range(BACKFILL_DAYS, 0, -1):
        copy = yaml.safe_load(yaml.safe_dump(document))
        copy["checked_at"] = (checked - dt.timedelta(days=days_back)).isoformat(sep=" ")
        copy["run"]["uuid"] = str(uuid.uuid4())
        if failing and failing[1] <= days_back <= failing[0]:
            for invocation in copy["run"]["invocations"].values():
                if "scs-0100-semantics-check" in invocation.get("results", {}):
                    invocation["results"]["scs-0100-semantics-check"] = -1
            detail = copy.get("details", {}).get("scs-0100-semantics-check")
            if isinstance(detail, dict):
                detail.update(result="FAIL", reason="flavor SCS-2V-4 has 2 GiB RAM, its name promises 4")
        payload = yaml.safe_dump(copy, explicit_start=True, sort_keys=False).encode()
        upload(f"{demo.monitor_url}/reports", sign(payload, key), payload, demo.tokens[subject], delays=(0.5,))


def pages(demo: Demo) -> dict[str, str]:
    """Name -> URL of every page to capture."""
    monitor, health = demo.monitor_url, demo.health_url
    iaas = standards.load_scope("scs-compatible-iaas").uuid
    report = yaml.safe_load((demo.data_dir / "reports" / "demo-broken.yaml").read_text())["run"]["uuid"]
    return {
        "overview": f"{monitor}/",
        "subject-compliant": f"{monitor}/subjects/demo-compliant",
        "subject-broken": f"{monitor}/subjects/demo-broken",
        "subject-cluster": f"{monitor}/subjects/demo-kaas-1.37",
        "history": f"{monitor}/subjects/demo-compliant/history?days=90",
        "report": f"{monitor}/reports/{report}",
        "scope": f"{monitor}/scopes/{iaas}",
        "certificates": f"{monitor}/certificates",
        "not-found": f"{monitor}/subjects/no-such-cloud",
        "api-docs": f"{monitor}/docs",
        "health-overview": f"{health}/",
        "health-cloud": f"{health}/clouds/demo-flaky?hours=1",
    }


def capture(page: Page, url: str, path: Path, full_page: bool = True) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path, help="where the PNGs go (created)")
    parser.add_argument("--readme", type=Path, help="also write the README's two small PNGs into this folder")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scs-screenshots-") as folder:
        demo = Demo(prepare_data_dir(Path(folder) / "demo", reset=False), port=0, say=lambda m: print("demo:", m))
        try:
            for _ in range(2):
                summary = demo.round()
            backfill(demo, "demo-compliant", FAILING_DAYS)
            backfill(demo, "demo-broken", None)
            for subject in ("demo-compliant", "demo-broken"):  # the real reports are the newest again
                payload = (demo.data_dir / "reports" / f"{subject}.yaml").read_bytes()
                document = yaml.safe_load(payload)
                document["run"]["uuid"] = str(uuid.uuid4())
                document["checked_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
                payload = yaml.safe_dump(document, explicit_start=True, sort_keys=False).encode()
                key = signing_key(demo.data_dir / "keys" / subject)
                upload(f"{demo.monitor_url}/reports", sign(payload, key), payload, demo.tokens[subject])
            print("demo round:", "ok" if summary.ok else "with problems (shown on the pages)")
            httpx.get(f"{demo.monitor_url}/api/feed.json", timeout=120).raise_for_status()  # compliance shares computed
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for scheme in ("light", "dark"):
                    for width_name, (width, height) in WIDTHS.items():
                        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                        page = context.new_page()
                        for name, url in pages(demo).items():
                            path = args.outdir / f"{name}-{width_name}{'-dark' if scheme == 'dark' else ''}.png"
                            capture(page, url, path)
                            print(path)
                        context.close()
                if args.readme:
                    args.readme.mkdir(parents=True, exist_ok=True)
                    shots = (
                        ("overview-desktop.png", "overview", "desktop"),
                        ("subject-phone.png", "subject-broken", "phone"),
                    )
                    for filename, name, width_name in shots:
                        width, height = WIDTHS[width_name]
                        context = browser.new_context(viewport={"width": width, "height": height})
                        page = context.new_page()
                        capture(page, pages(demo)[name], args.readme / filename, full_page=False)
                        context.close()
                        print(args.readme / filename)
                browser.close()
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
