"""Drive Sonobuoy as the official handler does (delete, run --wait, retrieve, parse, delete) and judge its
e2e results with the `okToFail` exceptions of `scs-sonobuoy-config-v1.yaml`.

Differences from the reference handler (standard over quirk, see docs/decisions.md): each run uses its
own namespace (`scs-test-<run>-...`), so a run never deletes another's; runs against one cluster are
serialized (two e2e suites at once disturb each other); a run in which no e2e test ran, or whose plugin
timed out or reported an error instead of results, is ABORT (no verdict), not PASS.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..._paths import state_dir
from ...collect import KubeConnection
from ...collect._retry import CANCEL
from .._model import Finding, Outcome, Probe

INSTALL_HINT = (
    "install Sonobuoy (v0.57 or newer, https://github.com/vmware-tanzu/sonobuoy/releases) as `sonobuoy` on PATH "
    "or in ~/.local/bin; the cluster must be able to pull the conformance images"
)
FLAKE_ATTEMPTS = "e2e.E2E_EXTRA_ARGS=--ginkgo.flake-attempts=2"
#: Sonobuoy's own plugin timeout (seconds), as `sonobuoy run --timeout` defaults it.
DEFAULT_TIMEOUT_S = 21600.0
MODES = ("parallel", "serial", "dry")
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class SonobuoyConfigError(ValueError):
    """A malformed scs-sonobuoy-config file; the message names the entry."""


@dataclass(frozen=True)
class Exception_:
    regex: re.Pattern[str]
    reason: str


def parse_config(text: str, origin: str = "scs-sonobuoy-config") -> tuple[Exception_, ...]:
    """The `okToFail` list, validated as strictly as the reference handler validates it."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SonobuoyConfigError(f"{origin}: not valid YAML: {error}") from None
    if document is None:
        return ()
    if not isinstance(document, dict) or set(document) - {"okToFail"}:
        raise SonobuoyConfigError(f"{origin}: expected a mapping whose only key is okToFail")
    entries = document.get("okToFail")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise SonobuoyConfigError(f"{origin}: okToFail must be a list")
    result = []
    for index, entry in enumerate(entries):
        where = f"{origin}: okToFail[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"regex", "reason"}:
            raise SonobuoyConfigError(f"{where}: needs exactly the keys regex and reason")
        if not all(isinstance(entry[k], str) and entry[k].strip() for k in ("regex", "reason")):
            raise SonobuoyConfigError(f"{where}: regex and reason must be non-empty strings")
        try:
            result.append(Exception_(re.compile(entry["regex"]), entry["reason"]))
        except re.error as error:
            raise SonobuoyConfigError(f"{where}: {entry['regex']!r} is not a regular expression: {error}") from None
    return tuple(result)


@functools.cache
def bundled_exceptions() -> tuple[Exception_, ...]:
    path = resources.files("scs_toolkit.standards").joinpath("data", "kaas", "scs-sonobuoy-config-v1.yaml")
    return parse_config(path.read_text(encoding="utf-8"), "scs-sonobuoy-config-v1.yaml")


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class E2eResults:
    passed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    #: Failed testcases an okToFail entry forgives: (name, reason).
    forgiven: tuple[tuple[str, str], ...] = ()
    skipped: int = 0
    #: Errors the plugin reported instead of results (e.g. a timeout).
    errors: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return (
            f"sonobuoy reports {len(self.passed)} passed, {len(self.failed)} failed, "
            f"{len(self.forgiven)} failed_ok, {self.skipped} skipped"
        )


class ResultsError(ValueError):
    """The results file is missing or not in Sonobuoy's format."""


def parse_results(text: str, exceptions: tuple[Exception_, ...]) -> E2eResults:
    """Sonobuoy's processed results (`plugins/e2e/sonobuoy_results.yaml`): files -> suites -> testcases."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ResultsError(f"sonobuoy_results.yaml is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ResultsError("sonobuoy_results.yaml: expected a mapping (name, status, items)")
    passed, failed, forgiven, errors = [], [], [], []
    skipped = 0
    for item in document.get("items") or []:
        if not isinstance(item, dict):
            raise ResultsError("sonobuoy_results.yaml: items must be mappings")
        details = item.get("details") or {}
        if "errors/" in str((item.get("meta") or {}).get("file", "")) or (
            isinstance(details, dict) and details.get("error")
        ):
            errors.append(str((details or {}).get("error") or item.get("name")))
            continue
        for suite in item.get("items") or []:
            for case in (suite or {}).get("items") or []:
                name = str(case.get("name", ""))
                status = case.get("status") or "skipped"
                if status == "passed":
                    passed.append(name)
                elif status == "failed":
                    reason = next((e.reason for e in exceptions if e.regex.search(name)), None)
                    if reason is None:
                        failed.append(name)
                    else:
                        forgiven.append((name, reason))
                else:
                    skipped += 1
    return E2eResults(tuple(passed), tuple(failed), tuple(forgiven), skipped, tuple(errors))


def judge(results: E2eResults, what: str) -> Outcome:
    if results.errors:
        return Outcome.aborted(
            f"{what}: the e2e plugin reported no results but: {'; '.join(results.errors)[:400]} ({results.summary})"
        )
    if results.failed:
        findings = [Finding(name, "e2e test failed", "passed", "failed") for name in results.failed]
        return Outcome.failed(
            f"{what}: {len(results.failed)} e2e test(s) failed ({results.summary})",
            findings,
            "fix what the failed e2e tests show (their logs are in the retrieved results); a known upstream "
            "problem belongs in okToFail of scs-sonobuoy-config",
        )
    if not results.passed:
        return Outcome.aborted(f"{what}: no e2e test ran ({results.summary}): a wrong focus or a broken plugin")
    forgiven = f"; forgiven by okToFail: {len(results.forgiven)}" if results.forgiven else ""
    return Outcome.passed(f"{what}: all e2e tests passed ({results.summary}{forgiven})")


# -- running --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class E2eRun:
    """One testcase's Sonobuoy run: its arguments as the official scope passes them."""

    testcase: str
    args: tuple[str, ...]
    results_name: str


def find_sonobuoy(configured: str | None = None) -> Path | None:
    """The binary a run names (setting `sonobuoy`), else `sonobuoy` on PATH, else ~/.local/bin/sonobuoy."""
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which("sonobuoy")
    if found:
        return Path(found)
    local = Path.home() / ".local" / "bin" / "sonobuoy"
    return local if local.is_file() and os.access(local, os.X_OK) else None


def mode_args(mode: str) -> tuple[str, ...]:
    if mode == "parallel":
        return ("--e2e-parallel=true",)
    if mode == "dry":
        return ("--plugin-env", "e2e.E2E_DRYRUN=true")
    return ()


def _lock(conn: KubeConnection) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(conn.server, threading.Lock())


def results_folder(prefix: str, testcase: str) -> Path:
    """Where the retrieved results stay for the user to read (per run and testcase)."""
    return state_dir() / "kaas-results" / prefix.rstrip("-") / testcase


def run_e2e(probe: Probe, run: E2eRun, mode: str = "parallel") -> Outcome:
    configured = (probe.settings or {}).get("sonobuoy")
    binary = find_sonobuoy(configured)
    if binary is None:
        if configured:
            return Outcome.aborted(f"the configured sonobuoy {configured} is not an executable file")
        return Outcome.aborted(f"sonobuoy is not installed: {INSTALL_HINT}")
    if mode not in MODES:
        return Outcome.aborted(f"unknown execution mode {mode!r} (one of {', '.join(MODES)})")
    conn: KubeConnection = probe.conn
    namespace = probe.name(run.results_name)[:63].rstrip("-")
    env = {**os.environ, "KUBECONFIG": conn.kubeconfig}
    base = [str(binary)]
    common = ["--context", conn.context, "--namespace", namespace]
    if os.pathsep not in conn.kubeconfig:
        common = ["--kubeconfig", conn.kubeconfig, *common]
    timeout_s = probe.timeout_s or DEFAULT_TIMEOUT_S
    target = results_folder(probe.prefix, run.testcase)
    shutil.rmtree(target, ignore_errors=True)
    with _lock(conn):
        if CANCEL.is_set():
            return Outcome.aborted("interrupted before sonobuoy started")
        try:
            outcome = _run_once(base, common, env, run, mode, probe, target, timeout_s)
        finally:
            code, output = _call([*base, "delete", "--wait", *common], env, 900)
        if code != 0:
            return outcome.left_behind([f"namespace {namespace} (sonobuoy delete failed: {_tail(output)})"])
        return outcome


def _run_once(
    base: list[str],
    common: list[str],
    env: dict[str, str],
    run: E2eRun,
    mode: str,
    probe: Probe,
    target: Path,
    timeout_s: float,
) -> Outcome:
    what = f"sonobuoy {' '.join(run.args)}"
    _call([*base, "delete", "--wait", *common], env, 600)  # what a killed run of this prefix left
    args = ["run", "--wait", *common, *run.args, *mode_args(mode)]
    if probe.timeout_s:
        args += ["--timeout", str(int(probe.timeout_s))]
    code, output = _call(base + args, env, timeout_s + 1800, cancellable=True)
    target.mkdir(parents=True, exist_ok=True)
    (target / "sonobuoy-run.log").write_text(output, encoding="utf-8")  # what sonobuoy said, for the user
    if code is None:
        return Outcome.aborted(f"{what}: interrupted; the run was stopped and removed")
    if code != 0:
        return Outcome.aborted(f"{what}: sonobuoy run failed (exit {code}): {_tail(output)}")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    code, output = _call([*base, "retrieve", str(target), "-x", *common], env, 600)
    if code != 0:
        return Outcome.aborted(f"{what}: sonobuoy retrieve failed (exit {code}): {_tail(output)}")
    results_file = target / "plugins" / "e2e" / "sonobuoy_results.yaml"
    try:
        results = parse_results(results_file.read_text(encoding="utf-8"), bundled_exceptions())
    except (OSError, ResultsError) as error:
        return Outcome.aborted(f"{what}: cannot read the results in {target}: {error}")
    outcome = judge(results, what)
    return Outcome(outcome.status, f"{outcome.reason}; results in {target}", outcome.findings, outcome.remediation)


def _tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:])[:400] or "(no output)"


def _call(
    command: list[str], env: dict[str, str], timeout_s: float, cancellable: bool = False
) -> tuple[int | None, str]:
    """Run sonobuoy; its output is collected (the official handler sends it to stderr). None: interrupted."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL
    )
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read() if process.stdout else ""))
    reader.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                code = process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if (cancellable and CANCEL.is_set()) or time.monotonic() > deadline:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                    reader.join()
                    return (None if CANCEL.is_set() else 124), "".join(chunks) + f"\n{shlex.join(command[:2])}: stopped"
    finally:
        if process.poll() is None:
            process.kill()
    reader.join()
    return code, "".join(chunks)
