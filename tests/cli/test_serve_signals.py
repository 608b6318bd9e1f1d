"""Every foreground `serve` takes SIGTERM (and Ctrl-C) cleanly from the moment it says where it listens:
a supervisor or script that stops it right after reading the URL line gets exit 0, not a process killed
by the signal (the handlers used to be installed only after the last line was printed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def commands(tmp_path: Path) -> dict[str, list[str]]:
    database = f"sqlite:///{tmp_path / 'm.db'}"
    return {
        "monitor": ["monitor", "serve", "--db", database, "--port", "0"],
        "status": ["status", "serve", "--db", database, "--port", "0"],
        "simk8s": ["simk8s", "serve", "--port", "0", "--kubeconfig", str(tmp_path / "kubeconfig")],
    }


@pytest.mark.parametrize("which", ["monitor", "status", "simk8s"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_right_after_the_listening_line_stops_cleanly(
    which: str, signum: signal.Signals, tmp_path: Path
) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    process = subprocess.Popen(
        [str(BIN / "scs"), *commands(tmp_path)[which]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "listening on" in first, first + process.stderr.read() if process.stderr else first
    process.send_signal(signum)  # at once: the remaining lines may still be on their way
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
