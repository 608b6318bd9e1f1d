"""`scs check`: run a certificate scope against one or more clouds and say what to fix."""

from __future__ import annotations

import datetime as dt
import enum
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional
from xml.etree import ElementTree

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._output import fail, stderr, stdout
from .scope import load, parse_date

_STYLE = {"PASS": "green", "FAIL": "red", "ABORT": "yellow", "MISSING": "magenta"}


class CheckFormat(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    junit = "junit"


def check(
    scope_ref: str = typer.Option("scs-compatible-iaas", "--scope", help="Scope alias, uuid or file."),
    clouds: list[str] = typer.Option(..., "--cloud", help="clouds.yaml entry to check; repeat for several clouds."),
    subject: Optional[str] = typer.Option(None, "--subject", help="Subject name in the report (default: the cloud)."),
    version: Optional[str] = typer.Option(None, "--version", help="Judge only this scope version."),
    tests: Optional[str] = typer.Option(None, "--tests", help="Only testcases whose id matches this regex."),
    sections: Optional[str] = typer.Option(None, "--sections", help="Comma-separated sections (light,medium,heavy)."),
    date: Optional[str] = typer.Option(None, "--date", help="Reference date YYYY-MM-DD (default: today)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report (YAML, or JSON for *.json)."),
    output_format: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", help="Output on stdout."),
    workers: int = typer.Option(4, "--workers", help="Clouds checked in parallel."),
    sign_key: Optional[Path] = typer.Option(None, "--sign", help="Sign the report with this ed25519 key (needs -o)."),
    upload_url: Optional[str] = typer.Option(None, "--upload", help="Upload the signed report to this monitor URL."),
    token_file: Optional[Path] = typer.Option(None, "--token-file", help="Basic credentials for --upload."),
) -> None:
    """Check clouds against a certificate scope. Exit 0: effective versions pass; 1: a required testcase fails;
    2: usage error, or ABORT/MISSING prevents a verdict."""
    from ..reports import report_document, to_json, to_yaml
    from ..runner import SelectionError, select

    if (sign_key or upload_url) and output is None:
        raise fail("--sign and --upload need -o REPORT: the report is always saved before it is signed or sent")
    if upload_url and not (sign_key and token_file):
        raise fail("--upload needs --sign KEY and --token-file F")
    from ..collect._retry import CANCEL

    CANCEL.clear()  # a fresh run (the flag is process-wide)
    scope = load(scope_ref)
    on = parse_date(date)
    section_list = [s.strip() for s in sections.split(",")] if sections else None
    if subject and len(clouds) > 1:
        raise fail("--subject names one cloud; with several --cloud the subjects are the cloud names")
    try:
        select(scope, on, version, tests, section_list)
    except SelectionError as error:
        raise fail(str(error), "see `scs scope show` for versions and testcases") from None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    lock = threading.Lock()

    def one(cloud: str) -> Any:
        from ..runner import run_scope

        task = progress.add_task(f"{cloud}: collecting", total=None)
        connection = _connect(cloud)
        if isinstance(connection, str):
            return cloud, connection
        conn, counter = connection

        def tick(testcase: str, outcome: Any) -> None:
            with lock:
                progress.update(task, description=f"{cloud}: {testcase}", advance=1)

        def collect(parts: set[str]) -> Any:
            from ..collect import collect_iaas

            return collect_iaas(conn, parts)

        result = run_scope(
            scope,
            subject or cloud,
            collect,
            on=on,
            version=version,
            tests=tests,
            sections=section_list,
            argv=sys.argv,
            progress=tick,
            api_calls=lambda: counter[0],
            conn=conn,
        )
        progress.update(task, description=f"{cloud}: done")
        return cloud, result

    with progress, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            outcomes = list(pool.map(one, clouds))
        except KeyboardInterrupt:
            CANCEL.set()  # probes stop waiting and remove what they created
            stderr.print("interrupted: removing the resources the probes created, then stopping")
            pool.shutdown(wait=True)
            raise typer.Exit(130) from None
    documents, exit_code = [], 0
    for cloud, result in outcomes:
        if isinstance(result, str):
            stderr.print(f"[bold red]error:[/] {escape(cloud)}: {escape(result)}")
            exit_code = max(exit_code, 2)
            continue
        documents.append(report_document(result))
        exit_code = max(exit_code, _exit_code(result))
        if output_format is CheckFormat.table:
            _print_table(result)
    if output is not None and documents:
        _write_report(output, documents, to_json, to_yaml)
        if sign_key is not None:
            from .report import sign_file

            stderr.print(f"signature written to {escape(str(sign_file(output, sign_key)))}")
        if upload_url and token_file:
            exit_code = max(exit_code, _upload(output, upload_url, token_file))
    if output_format is CheckFormat.json:
        sys.stdout.write(to_json(documents[0] if len(documents) == 1 else documents) + "\n")  # type: ignore[arg-type]
    elif output_format is CheckFormat.yaml:
        sys.stdout.write("".join(to_yaml(d) for d in documents))
    elif output_format is CheckFormat.junit:
        sys.stdout.write(_junit(documents) + "\n")
    raise typer.Exit(exit_code)


def _upload(report: Path, url: str, token_file: Path) -> int:
    from ..reports import UploadError, upload

    content_type = "application/x-signed-json" if report.suffix == ".json" else "application/x-signed-yaml"
    try:
        upload(
            url,
            report.with_name(report.name + ".sig").read_text(),
            report.read_bytes(),
            token_file.read_text(),
            content_type,
        )
    except (UploadError, OSError) as error:
        stderr.print(
            f"[bold red]error:[/] upload failed: {escape(str(error))} (the report is saved at {escape(str(report))})"
        )
        return 2
    stderr.print(f"report uploaded to {escape(url)}")
    return 0


def _connect(cloud: str) -> Any:
    """An authenticated connection and a request counter, or an error message saying what to do."""
    import openstack
    from openstack import exceptions

    from ..collect._retry import with_retries

    try:
        conn = openstack.connect(cloud=cloud)
    except exceptions.ConfigException as error:
        return f"no usable clouds.yaml entry {cloud!r}: {error} (see ~/.config/openstack/clouds.yaml)"
    counter = [0]
    conn.session.session.hooks["response"].append(
        lambda response, *args, **kwargs: counter.__setitem__(0, counter[0] + 1)
    )
    try:
        with_retries(conn.session.get_token)
    except Exception as error:
        return f"cannot log in: {type(error).__name__}: {error}"
    return conn, counter


def _exit_code(result: Any) -> int:
    certifiable = [v for v in result.verdicts if v.status.listed and v.status.state.certifiable] or list(
        result.verdicts
    )
    if any(v.verdict.value == "FAIL" for v in certifiable):
        return 1
    if any(v.verdict.value in ("ABORT", "MISSING") for v in certifiable):
        return 2
    return 0


def _print_table(result: Any) -> None:
    table = Table(
        "testcase",
        "result",
        "why",
        title=f"{escape(result.scope_name)}: {escape(result.subject)}",
        header_style="bold",
        title_justify="left",
    )
    for tc, item in result.results.items():
        outcome = item.outcome
        why = outcome.reason
        for finding in outcome.findings[:5]:
            detail = f"{finding.subject}: {finding.message}"
            if finding.expected is not None:
                detail += f" (expected {finding.expected}, found {finding.actual})"
            why += f"\n  {detail}"
        if len(outcome.findings) > 5:
            why += f"\n  ... and {len(outcome.findings) - 5} more (see the report)"
        if outcome.remediation and outcome.status.value == "FAIL":
            why += f"\n  fix: {outcome.remediation}"
        table.add_row(tc, f"[{_STYLE[outcome.status.value]}]{outcome.status.value}[/]", escape(why))
    stdout.print(table)
    for v in result.verdicts:
        state = v.status.state.value + ("" if v.status.listed else ", not listed")
        stdout.print(
            f"version [bold]{escape(v.version)}[/] ({state}): [{_STYLE[v.verdict.value]}]{v.verdict.value}[/]"
            + (f" - failed: {', '.join(v.failed)}" if v.failed else "")
        )
    calls = f", {result.api_calls} API calls" if result.api_calls is not None else ""
    stdout.print(f"[dim]{len(result.results)} testcases in {result.duration_s:.1f} s{calls}[/]")


def _write_report(path: Path, documents: list[dict[str, Any]], to_json: Any, to_yaml: Any) -> None:
    text = (
        (to_json(documents[0] if len(documents) == 1 else documents) + "\n")
        if path.suffix == ".json"
        else "".join(to_yaml(d) for d in documents)
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write the report to {path}: {error.strerror}", "choose a writable --output path") from None
    stderr.print(f"report written to {escape(str(path))}")


def _junit(documents: list[dict[str, Any]]) -> str:
    suites = ElementTree.Element("testsuites")
    for document in documents:
        details = document["details"]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=f"{document['spec']['name']}: {document['subject']}",
            tests=str(len(details)),
            failures=str(sum(d["result"] == "FAIL" for d in details.values())),
            errors=str(sum(d["result"] == "ABORT" for d in details.values())),
            timestamp=dt.datetime.now(dt.UTC).isoformat(),
        )
        for testcase, detail in details.items():
            case = ElementTree.SubElement(
                suite, "testcase", name=testcase, classname=document["subject"], time=str(detail["duration_s"])
            )
            if detail["result"] == "FAIL":
                ElementTree.SubElement(case, "failure", message=detail["reason"]).text = detail.get("remediation", "")
            elif detail["result"] in ("ABORT", "MISSING"):
                ElementTree.SubElement(case, "error", message=detail["reason"])
    return ElementTree.tostring(suites, encoding="unicode")
