"""`scs check`: run a certificate scope against one or more clouds and say what to fix."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._cloud import CACERT, CLOUD, CLOUDS, INSECURE, cloud_specs
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout
from .scope import load, parse_date

if TYPE_CHECKING:
    from ..collect import CloudSpec, KubeSpec
    from ..runner import RunResult
    from ..standards import Scope

_STYLE = {"PASS": "green", "FAIL": "red", "ABORT": "yellow", "MISSING": "magenta"}

app = typer.Typer(
    help="Check clouds against a certificate scope; `scs check cleanup` removes what killed runs left.",
    invoke_without_command=True,
)


class CheckFormat(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    junit = "junit"


@dataclass(frozen=True)
class _Failed:
    """A cloud that could not be checked at all (configuration, log-in): the reason and what to do."""

    message: str
    hint: str | None = None


@app.callback()
def check(
    ctx: typer.Context,
    clouds: list[str] = CLOUDS,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    kubeconfig: Optional[str] = typer.Option(
        None,
        "--kubeconfig",
        metavar="FILE[:FILE]",
        help="KaaS: kubeconfig of the cluster(s) (default: KUBECONFIG, a ':'-list kubectl merges, else ~/.kube/config).",
        show_default=False,
    ),
    contexts: list[str] = typer.Option(
        [],
        "--context",
        metavar="NAME",
        help="KaaS: kubeconfig context to check (default: the current one); repeat for several, checked side by side.",
        show_default=False,
    ),
    execution_mode: str = typer.Option(
        "parallel", "--execution-mode", help="KaaS: how Sonobuoy runs the e2e tests: parallel, serial or dry."
    ),
    sonobuoy: Optional[Path] = typer.Option(
        None, "--sonobuoy", metavar="FILE", help="KaaS: the sonobuoy binary (default: sonobuoy on PATH, ~/.local/bin)."
    ),
    scope_ref: Optional[str] = typer.Option(
        None,
        "--scope",
        help="Scope alias, uuid or file (default: scs-compatible-iaas; scs-compatible-kaas with --kubeconfig/--context).",
        show_default=False,
    ),
    subject: Optional[str] = typer.Option(
        None,
        "--subject",
        help="Subject name in the report (default: the cloud or context; KaaS convention: <offering>-<major.minor>).",
    ),
    version: Optional[str] = typer.Option(None, "--version", help="Judge only this scope version."),
    tests: Optional[str] = typer.Option(
        None,
        "--tests",
        metavar="REGEX",
        help="Only testcases whose id matches; any testcase the scope defines, also one that no version lists.",
    ),
    sections: Optional[str] = typer.Option(None, "--sections", help="Comma-separated sections (light,medium,heavy)."),
    date: Optional[str] = typer.Option(None, "--date", help="Reference date YYYY-MM-DD (default: today)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report (YAML, or JSON for *.json)."),
    output_format: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", help="Output on stdout."),
    workers: int = typer.Option(4, "--workers", min=1, help="Clouds checked in parallel."),
    probe_timeout: Optional[float] = typer.Option(
        None, "--probe-timeout", min=1, help="Seconds a probe waits for one thing (boot, console, backup)."
    ),
    sign_key: Optional[Path] = typer.Option(
        None,
        "--sign",
        metavar="KEY",
        help="Sign the report (needs -o) with this ed25519 key; KEY.pub: the key in ssh-agent (as ssh-keygen -Y sign).",
    ),
    passphrase_file: Optional[Path] = typer.Option(
        None, "--passphrase-file", help="Passphrase of an encrypted --sign key (default: ask on the terminal)."
    ),
    upload_url: Optional[str] = typer.Option(None, "--upload", help="Upload the signed report to this monitor URL."),
    token_file: Optional[Path] = typer.Option(
        None,
        "--token-file",
        help="File with the monitor credentials `user:secret` (its base64 works too), for --upload.",
    ),
) -> None:
    """Check clouds (IaaS: --os-cloud) or Kubernetes clusters (KaaS: --kubeconfig/--context) against a certificate
    scope. Exit 0: effective versions pass; 1: a required testcase fails; 2: usage error, or ABORT/MISSING
    prevents a verdict; 130: interrupted (Ctrl-C)."""
    if ctx.invoked_subcommand is not None:
        return
    if (sign_key or upload_url) and output is None:
        raise fail("--sign and --upload need -o REPORT: the report is always saved before it is signed or sent")
    if upload_url and not (sign_key and token_file):
        raise fail("--upload needs --sign KEY and --token-file F")
    kube_wanted = bool(kubeconfig or contexts)
    if kube_wanted and clouds:
        raise fail(
            "--os-cloud names an OpenStack cloud, --kubeconfig/--context a Kubernetes cluster: check one kind per run"
        )
    iaas_for_sure = not kube_wanted and bool(clouds or scope_ref is None)  # before the scope says so
    _log_in_early(clouds if iaas_for_sure else None, insecure, cacert)
    from .._serving import interruptible
    from ..collect._retry import CANCEL
    from ..runner import SelectionError, select

    CANCEL.clear()  # a fresh run (the flag is process-wide)
    scope = load(scope_ref or ("scs-compatible-kaas" if kube_wanted else "scs-compatible-iaas"))
    layer = scope_layer(scope)
    if layer == "iaas" and not iaas_for_sure and not kube_wanted:  # a scope file or alias that checks clouds
        _log_in_early(clouds, insecure, cacert)
    if layer == "kaas" and clouds:
        raise fail(f"{scope.name} checks Kubernetes clusters, not clouds", "name them with --kubeconfig/--context")
    if layer == "iaas" and kube_wanted:
        raise fail(f"{scope.name} checks OpenStack clouds, not Kubernetes clusters", "name them with --os-cloud")
    if execution_mode not in ("parallel", "serial", "dry"):
        raise fail(f"--execution-mode {execution_mode!r}: choose parallel, serial or dry")
    on = parse_date(date)
    section_list = [s.strip() for s in sections.split(",")] if sections else None
    try:
        _, ids = select(scope, on, version, tests, section_list)
    except SelectionError as error:
        raise fail(str(error), "see `scs scope show` for versions and testcases") from None
    _load_checks_meanwhile()

    @functools.cache
    def total() -> int:  # the informing checks are known once every check is loaded
        from ..runner import informing

        return len(ids) + len([tc for tc in informing(scope, tests, section_list) if tc not in ids])

    settings = {"execution_mode": execution_mode, **({"sonobuoy": str(sonobuoy.expanduser())} if sonobuoy else {})}
    specs: list[CloudSpec] | list[KubeSpec] = (
        kube_specs(kubeconfig, contexts) if layer == "kaas" else cloud_specs(clouds, insecure, cacert)
    )
    if subject and len(specs) > 1:
        raise fail("--subject names one subject; with several clouds or contexts the subjects are their names")
    signer = _signer(sign_key, passphrase_file) if sign_key else None  # ask for a passphrase before the long run
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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

    def one(spec: CloudSpec | KubeSpec) -> tuple[str, RunResult | _Failed]:
        from ..checks import Probe, new_prefix
        from ..collect import CloudError, KubeSpec, collect_iaas, collect_kaas, connect, connect_kube
        from ..runner import run_scope

        label = spec.label
        task = progress.add_task(f"{label}: logging in", total=len(ids))

        def tick(testcase: str, outcome: Any) -> None:
            with lock:
                progress.update(task, description=f"{label}: {testcase}", advance=1)

        if isinstance(spec, KubeSpec):
            try:
                cluster = connect_kube(spec)
            except CloudError as error:
                progress.update(task, description=f"{label}: cannot log in", visible=False)
                return label, _Failed(error.message, error.hint)
            progress.update(task, description=f"{label}: collecting", total=total())
            run_uuid = _new_run_uuid()
            try:
                result = run_scope(
                    scope,
                    subject or label,
                    lambda parts: collect_kaas(cluster, parts),
                    on=on,
                    version=version,
                    tests=tests,
                    sections=section_list,
                    argv=sys.argv,
                    progress=tick,
                    api_calls=lambda: cluster.requests[0],
                    probe=Probe(cluster, new_prefix(run_uuid[:6]), probe_timeout, settings),
                    run_uuid=run_uuid,
                    assignment={"context": cluster.context},
                )
            finally:
                cluster.close()
            progress.update(task, description=f"{label}: done")
            return label, result
        try:
            conn = connect(spec)
        except CloudError as error:
            progress.update(task, description=f"{label}: cannot log in", visible=False)
            return label, _Failed(error.message, error.hint)
        counter = [0]
        conn.session.session.hooks["response"].append(
            lambda response, *args, **kwargs: counter.__setitem__(0, counter[0] + 1)
        )
        progress.update(task, description=f"{label}: collecting", total=total())
        run_uuid = _new_run_uuid()
        result = run_scope(
            scope,
            subject or label,
            lambda parts: collect_iaas(conn, parts),
            on=on,
            version=version,
            tests=tests,
            sections=section_list,
            argv=sys.argv,
            progress=tick,
            api_calls=lambda: counter[0],
            probe=Probe(conn, new_prefix(run_uuid[:6]), probe_timeout),
            run_uuid=run_uuid,
        )
        progress.update(task, description=f"{label}: done")
        return label, result

    def interrupted() -> None:
        CANCEL.set()  # no testcase starts any more; running probes stop waiting and remove what they created
        stderr.print(
            "interrupted: no new testcase starts; the running probes remove what they created "
            "(Ctrl-C again quits at once and leaves them: then run `scs check cleanup`)"
        )

    with interruptible(interrupted), progress, ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, specs))
    documents, exit_code = _report(outcomes, output_format)
    cancelled = CANCEL.is_set()
    if output is not None and documents:
        _write_report(output, documents)
        if cancelled:
            stderr.print("the run was interrupted: the partial report is neither signed nor uploaded")
        elif signer is not None:
            from .report import write_signature

            stderr.print(f"signature written to {escape(str(write_signature(output, signer)))}")
            if upload_url and token_file:
                exit_code = max(exit_code, _upload(output, upload_url, token_file))
    _print_documents(documents, output_format)
    raise typer.Exit(130 if cancelled else exit_code)


def _log_in_early(clouds: list[str] | None, insecure: bool, cacert: str | None) -> None:
    """Send the log-in of each cloud (none named: the default one; None: none) right away, while openstacksdk
    and the checks import (~0.5 s of CPU): `connect` takes the token if keystoneauth would have sent the
    same request."""
    from ..collect._early_login import forget, start
    from ..collect._login import CloudSpec

    forget()  # a fresh run (the attempts are process-wide)
    if clouds is None:
        return
    for name in dict.fromkeys(clouds or [None]):  # type: ignore[list-item]
        start(CloudSpec(name, insecure, cacert))


def _load_checks_meanwhile() -> None:
    """Import every check (~0.3 s of CPU) while the login waits on the network, not after it.

    openstacksdk and the collectors load first, on this thread, so the two threads never import the
    same modules in opposite orders."""
    import openstack.connection  # noqa: F401

    from ..checks import all_checks
    from ..collect import _openstack  # noqa: F401

    threading.Thread(target=all_checks, name="load-checks", daemon=True).start()


def scope_layer(scope: Scope) -> str:
    """What a scope checks ("kaas" or "iaas"): the official scopes say it in their name ("SCS-compatible
    KaaS"), others by the layer of the checks implementing their testcases (which loads them all)."""
    words = scope.name.replace("-", " ").split()
    if ("KaaS" in words) != ("IaaS" in words):
        return "kaas" if "KaaS" in words else "iaas"
    from ..checks import all_checks

    checks = all_checks()
    layers = [checks[tc].layer for tc in scope.testcases if tc in checks]
    return "kaas" if layers and layers.count("kaas") >= len(layers) / 2 else "iaas"


def kube_specs(kubeconfig: str | None, contexts: list[str]) -> list[KubeSpec]:
    """One spec per named context (duplicates dropped), or the kubeconfig's current one; checked now (exit 2)."""
    from ..collect import CloudError, KubeSpec, resolve_context

    specs = []
    for context in dict.fromkeys(contexts or [None]):  # type: ignore[list-item]
        try:
            specs.append(KubeSpec(kubeconfig, resolve_context(KubeSpec(kubeconfig, context))))
        except CloudError as error:
            raise fail(error.message, error.hint) from None
    return specs


def _new_run_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def _signer(key: Path, passphrase_file: Path | None) -> Any:
    from .report import load_signer

    return load_signer(key, passphrase_file)


def _report(outcomes: list[tuple[str, RunResult | _Failed]], output_format: CheckFormat) -> tuple[list[Any], int]:
    """Print the tables, say what could not be checked; the report documents and the exit code."""
    from ..reports import report_document

    documents, exit_code = [], 0
    for label, result in outcomes:
        if isinstance(result, _Failed):
            stderr.print(f"[bold red]error:[/] {escape(result.message)}", highlight=False, soft_wrap=True)
            if result.hint:
                stderr.print(f"[dim]hint:[/] {escape(result.hint)}", highlight=False, soft_wrap=True)
            exit_code = max(exit_code, 2)
            continue
        documents.append(report_document(result))
        exit_code = max(exit_code, _exit_code(result))
        if output_format is CheckFormat.table:
            _print_table(result)
        if result.leftovers:
            hint = (
                f"scs check cleanup --context {escape(label)} --prefix {result.resource_prefix}"
                if "context" in result.assignment
                else f"scs check cleanup --os-cloud {escape(label)} --prefix {result.resource_prefix}"
            )
            stderr.print(
                f"[bold red]left behind on {escape(label)}:[/] "
                + escape("; ".join(result.leftovers))
                + f"\n[dim]hint:[/] {hint}",
                highlight=False,
            )
    return documents, exit_code


def _print_documents(documents: list[Any], output_format: CheckFormat) -> None:
    from ..reports import to_json, to_yaml

    if not documents:
        return
    if output_format is CheckFormat.json:
        sys.stdout.write(to_json(documents[0] if len(documents) == 1 else documents) + "\n")  # type: ignore[arg-type]
    elif output_format is CheckFormat.yaml:
        sys.stdout.write("".join(to_yaml(d) for d in documents))
    elif output_format is CheckFormat.junit:
        sys.stdout.write(_junit(documents) + "\n")


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
    judged = {tc for v in result.verdicts for tc in v.judged}
    for tc, item in {**result.results, **result.extras}.items():
        outcome = item.outcome
        if tc in result.extras:
            why = f"(informational: not an automated testcase of the scope) {outcome.reason}"
        elif tc in judged:
            why = outcome.reason
        else:
            why = f"(informs only: no judged version requires it) {outcome.reason}"
        for finding in outcome.findings[:5]:
            detail = f"{finding.subject}: {finding.message}"
            if finding.expected is not None:
                detail += f" (expected {finding.expected}, found {finding.actual})"
            why += f"\n  {detail}"
        if len(outcome.findings) > 5:
            why += f"\n  ... and {len(outcome.findings) - 5} more (see the report)"
        if outcome.remediation and outcome.status.value == "FAIL":
            why += f"\n  fix: {outcome.remediation}"
        for leftover in outcome.leftovers:
            why += f"\n  left behind: {leftover}"
        table.add_row(tc, f"[{_STYLE[outcome.status.value]}]{outcome.status.value}[/]", escape(why))
    stdout.print(table)
    for v in result.verdicts:
        state = v.status.state.value + ("" if v.status.listed else ", not listed")
        stdout.print(
            f"version [bold]{escape(v.version)}[/] ({state}): [{_STYLE[v.verdict.value]}]{v.verdict.value}[/]"
            + (f" - failed: {', '.join(v.failed)}" if v.failed else "")
        )
    calls = f", {result.api_calls} API calls" if result.api_calls is not None else ""
    note = ", interrupted" if result.interrupted else ""
    extra = f" (+{len(result.extras)} informational)" if result.extras else ""
    stdout.print(f"[dim]{len(result.results)} testcases{extra} in {result.duration_s:.1f} s{calls}{note}[/]")


def _write_report(path: Path, documents: list[dict[str, Any]]) -> None:
    from ..reports import to_json, to_yaml

    text = (
        (to_json(documents[0] if len(documents) == 1 else documents) + "\n")  # type: ignore[arg-type]
        if path.suffix == ".json"
        else "".join(to_yaml(d) for d in documents)
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write the report to {path}: {error.strerror}", "choose a writable --output path") from None
    stderr.print(f"report written to {escape(str(path))}")


def _junit(documents: list[dict[str, Any]]) -> str:
    from xml.etree import ElementTree

    suites = ElementTree.Element("testsuites")
    for document in documents:
        details = document["details"]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=f"{document['spec']['name']}: {document['subject']}",
            tests=str(len(details)),
            failures=str(sum(d["result"] == "FAIL" and not d.get("informational") for d in details.values())),
            errors=str(sum(d["result"] == "ABORT" and not d.get("informational") for d in details.values())),
            timestamp=dt.datetime.now(dt.UTC).isoformat(),
        )
        for testcase, detail in details.items():
            case = ElementTree.SubElement(
                suite, "testcase", name=testcase, classname=document["subject"], time=str(detail["duration_s"])
            )
            if detail.get("informational"):  # reported beside the scope, never judged: no failure for CI to act on
                case.set("classname", f"{document['subject']}.informational")
                ElementTree.SubElement(case, "system-out").text = f"{detail['result']}: {detail['reason']}"
            elif detail["result"] == "FAIL":
                ElementTree.SubElement(case, "failure", message=detail["reason"]).text = detail.get("remediation", "")
            elif detail["result"] in ("ABORT", "MISSING"):
                ElementTree.SubElement(case, "error", message=detail["reason"])
    return ElementTree.tostring(suites, encoding="unicode")


@app.command("cleanup")
def cleanup(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    kubeconfig: Optional[str] = typer.Option(
        None, "--kubeconfig", metavar="FILE[:FILE]", help="KaaS: the cluster's kubeconfig (default: KUBECONFIG)."
    ),
    context: Optional[str] = typer.Option(
        None, "--context", metavar="NAME", help="KaaS: the context (default: current)."
    ),
    prefix: str = typer.Option(
        "scs-test-", "--prefix", help="Only resources whose name starts with this (must start with scs-test-)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Remove what interrupted or killed checks left behind (`scs-test-` resources only).

    A check that is still running on the same project owns `scs-test-` resources too: give the killed
    run's `--prefix` (in its report: run.tool.resource_prefix) to leave other runs alone. Exit 0 when
    everything found was removed (or --dry-run), 1 when something stays.
    """
    from ..checks import PROBE_PREFIX
    from ..collect._cleanup import remove_by_prefix
    from ._cloud import connect_or_fail

    if not prefix.startswith(PROBE_PREFIX):
        raise fail(f"--prefix must start with {PROBE_PREFIX!r}", "only the checks' own resources may be removed")
    if kubeconfig or context:
        if cloud:
            raise fail("--os-cloud names a cloud, --kubeconfig/--context a cluster: clean up one at a time")
        rows = _kube_cleanup(kubeconfig, context, prefix, dry_run)
    else:
        [spec] = cloud_specs([cloud] if cloud else None, insecure, cacert)
        conn = connect_or_fail(spec)
        report = remove_by_prefix(conn, prefix, dry_run=dry_run)
        rows = [{"kind": item.kind, "name": item.name, "id": item.id, "problem": item.problem} for item in report]

    def table() -> Table | str:
        if not rows:
            return f"nothing named {prefix}... found"
        view = Table("kind", "name", "id", "problem", title="would delete" if dry_run else "clean-up")
        for row in rows:
            view.add_row(
                str(row["kind"]), escape(str(row["name"])), escape(str(row["id"])), escape(str(row["problem"] or ""))
            )
        return view

    emit(rows, output, table)
    raise typer.Exit(1 if any(row["problem"] for row in rows) else 0)


def _kube_cleanup(kubeconfig: str | None, context: str | None, prefix: str, dry_run: bool) -> list[dict[str, Any]]:
    """Namespaces (and the volumes their claims kept) named with `prefix` on the cluster."""
    from ..collect import CloudError, connect_kube
    from ..collect._k8s_api import remove_by_prefix as remove_namespaces

    [spec] = kube_specs(kubeconfig, [context] if context else [])
    try:
        conn = connect_kube(spec)
    except CloudError as error:
        raise fail(error.message, error.hint) from None
    try:
        found = remove_namespaces(conn, prefix, dry_run=dry_run)
    finally:
        conn.close()
    return [{"kind": kind, "name": name, "id": name, "problem": problem} for kind, name, problem in found]
