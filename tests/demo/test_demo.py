"""`scs demo`: one round end to end (status JSON per subject), history across runs, --reset, clear
errors for a taken port and an unwritable data directory, and a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from scs_toolkit.demo import CLUSTERS, EVERY, SUBJECTS, Demo, kaas_data_fresh, prepare_data_dir

SCS = Path(sys.executable).parent / "scs"
IAAS = "50393e6f-2ae1-4c5c-a62c-3b75f2abef3f"
KAAS = "1fffebe6-fd4b-44d3-a36c-fc58b4bb0180"


def scs(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCS), "demo", *args, "--data-dir", str(data_dir), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(prepare_data_dir(tmp_path / "data", reset=False), port=0, say=lambda message: None)
    yield running
    running.stop()


def test_one_round_certifies_the_compliant_subject_only(demo: Demo, browser: Browser) -> None:
    summary = demo.round()
    assert summary.ok, [row["problems"] for row in summary.rows()]
    for subject in SUBJECTS:
        status = httpx.get(f"{demo.monitor_url}/status", params={"subject": subject.name}).json()
        iaas = status["subjects"][subject.name]
        if subject.profile == "compliant":
            assert iaas["summary"] == "PASS" and "v5.1" in iaas["certified"]
        elif subject.profile == "bad-flavor-names":
            assert iaas["summary"] == "FAIL" and iaas["certified"] == []
            assert iaas["versions"]["v5.1"]["testcases"]["scs-0100-syntax-check"]["result"] == "FAIL"
        else:
            assert iaas["summary"] in ("PASS", "ABORT")
        assert summary.health[subject.name].leftovers == ()
    for subject in CLUSTERS:
        kaas = httpx.get(f"{demo.monitor_url}/api/subjects/{subject.name}").json()["scopes"][KAAS]
        if subject.profile == "outdated":
            assert kaas["summary"] == "FAIL" and kaas["certified"] == []
            assert kaas["versions"]["v1"]["testcases"]["version-policy-check"]["result"] == "FAIL"
        elif kaas_data_fresh():
            assert kaas["summary"] == "PASS" and kaas["certified"] == ["v1"]
    page = browser.new_page()
    page.goto(demo.monitor_url + "/")
    rows = page.locator("#overview tbody tr")
    assert rows.count() == len(EVERY)
    assert "PASS" in page.locator('tr[data-subject="demo-compliant"]').inner_text()
    assert "FAIL" in page.locator('tr[data-subject="demo-broken"]').inner_text()
    page.locator('tr[data-subject="demo-compliant"] img.health').wait_for()
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    assert page.locator('tr[data-subject="demo-compliant"] img.health').evaluate("i => i.naturalWidth") > 50
    page.close()


def test_once_exits_0_and_history_survives_reruns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = scs("--once", "--format", "json", data_dir=data)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["ok"] and [s["subject"] for s in result["subjects"]] == [s.name for s in EVERY]
    assert scs("--once", data_dir=data).returncode == 0
    reports = _reports(data)
    assert reports == {s.name: 2 for s in EVERY}
    assert scs("--once", "--reset", data_dir=data).returncode == 0
    assert _reports(data) == {s.name: 1 for s in EVERY}


def _reports(data: Path) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data / 'monitor.db'}")
    with engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT subject, COUNT(*) FROM report GROUP BY subject")).all())
    engine.dispose()
    return {str(k): int(v) for k, v in counts.items()}


def test_setup_errors_say_what_to_do(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(SCS), "demo", "--once", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 2 and f"127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = scs("--once", data_dir=blocker / "demo")
    assert done.returncode == 2 and "not writable" in done.stderr and "--data-dir" in done.stderr
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    done = scs("--once", "--reset", data_dir=foreign)
    assert done.returncode == 2 and "not a demo data directory" in done.stderr
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_ctrl_c_stops_everything_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(SCS), "demo", "--data-dir", str(tmp_path / "d"), "--port", "0", "--health-interval", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not any("overview: http://" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.2)  # a separate process: nothing to wait on but its output
    url = next(line for line in lines if "overview: http://" in line).split("overview: ")[1].split("/ ")[0].strip()
    assert httpx.get(url.rstrip("/") + "/healthz").status_code == 200
    time.sleep(2)  # let a health iteration start, so that Ctrl-C lands in the middle of one
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in err
    with pytest.raises(httpx.TransportError):
        httpx.get(url.rstrip("/") + "/healthz", timeout=2)
