"""`scs report`: sign, verify, upload and show saved SCS reports."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from ._output import fail, stdout

app = typer.Typer(help="Sign, verify, upload and show SCS reports.", no_args_is_help=True)

REPORT = typer.Argument(..., help="The report file (YAML or JSON).", show_default=False)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror}", "check the path") from None


def load_signer(key: Path, passphrase_file: Path | None = None) -> Any:
    """The signing key (a file, or ssh-agent's copy), asking for a passphrase only if it must; exit 2 if unusable."""
    from ..reports import SignatureError
    from ..reports import load_signer as find

    def passphrase() -> bytes | None:
        if passphrase_file is not None:
            return _read(passphrase_file).rstrip(b"\r\n")
        if not sys.stdin.isatty():
            return None
        return getpass.getpass(f"passphrase for {key}: ").encode()

    try:
        return find(key, passphrase)
    except SignatureError as error:
        raise fail(
            f"{key}: {error}", "use an ed25519 key (ssh-keygen -t ed25519), KEY.pub for ssh-agent's copy"
        ) from None


def write_signature(report: Path, signer: Any, output: Path | None = None) -> Path:
    """Sign `report`; writes `report.sig` (like `ssh-keygen -Y sign`)."""
    from ..reports import SignatureError, sign

    target = output or report.with_name(report.name + ".sig")
    try:
        target.write_text(sign(_read(report), signer), encoding="ascii")
    except SignatureError as error:
        raise fail(f"cannot sign {report}: {error}") from None
    except OSError as error:
        raise fail(f"cannot write {target}: {error.strerror}", "choose a writable --output") from None
    return target


@app.command("sign")
def sign_command(
    report: Path = REPORT,
    key: Path = typer.Option(
        ...,
        "--key",
        help="ed25519 key: a private key file (encrypted ones are asked for), or KEY.pub for ssh-agent's copy.",
    ),
    passphrase_file: Optional[Path] = typer.Option(
        None, "--passphrase-file", help="Passphrase of an encrypted key (default: ask on the terminal)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Signature file (default: REPORT.sig)."),
) -> None:
    """Sign a report (OpenSSH SSHSIG, namespace `report`; `ssh-keygen -Y verify` accepts it)."""
    signer = load_signer(key, passphrase_file)
    stdout.print(f"signature written to {escape(str(write_signature(report, signer, output)))}")


@app.command()
def verify(
    report: Path = REPORT,
    public_key: Path = typer.Option(..., "--public-key", help="Allowed signer: an OpenSSH public key file."),
    signature: Optional[Path] = typer.Option(None, "--signature", "-s", help="Signature file (default: REPORT.sig)."),
) -> None:
    """Verify a report's signature. Exit 0 when valid, 1 when not."""
    from ..reports import SignatureError, load_public_key
    from ..reports import verify as verify_signature

    try:
        allowed = [load_public_key(line) for line in _read(public_key).decode().splitlines() if line.strip()]
        verify_signature(_read(report), _read(signature or report.with_name(report.name + ".sig")).decode(), allowed)
    except (SignatureError, UnicodeDecodeError) as error:
        stdout.print(f"[red]invalid[/]: {escape(str(error))}")
        raise typer.Exit(1) from None
    stdout.print("[green]valid[/] signature by an allowed key")


@app.command()
def upload(
    report: Path = REPORT,
    url: str = typer.Option(..., "--url", help="Monitor endpoint, e.g. https://compliance.sovereignit.cloud/reports."),
    token_file: Path = typer.Option(
        ...,
        "--token-file",
        help="File with the monitor credentials `user:secret`, as `scs monitor account add-apikey --token-file` "
        "writes it (its base64 works too).",
    ),
    signature: Optional[Path] = typer.Option(None, "--signature", "-s", help="Signature file (default: REPORT.sig)."),
) -> None:
    """Upload a signed report in the SCS wire format. Exit 2 if the monitor refuses it."""
    from ..reports import UploadError
    from ..reports import upload as send

    content_type = "application/x-signed-json" if report.suffix == ".json" else "application/x-signed-yaml"
    sig = _read(signature or report.with_name(report.name + ".sig")).decode()
    try:
        reply = send(url, sig, _read(report), _read(token_file).decode(), content_type)
    except UploadError as error:
        raise fail(str(error), "check --url, the credentials and that the signing key is registered") from None
    stdout.print(f"uploaded: HTTP {reply.status_code}")


@app.command()
def show(report: Path = REPORT) -> None:
    """Render a saved report for people: verdicts, then each testcase with its reason."""
    try:
        documents: list[Any] = [d for d in yaml.safe_load_all(_read(report)) if d]
    except yaml.YAMLError as error:
        raise fail(f"{report} is not a YAML/JSON report: {error}") from None
    if documents and isinstance(documents[0], list):
        documents = documents[0]
    for document in documents:
        if not isinstance(document, dict) or "spec" not in document:
            raise fail(f"{report} does not look like an SCS report (no `spec`)")
        stdout.print(
            f"[bold]{escape(str(document['spec'].get('name')))}[/] - {escape(str(document.get('subject')))}"
            f" - checked {escape(str(document.get('checked_at')))}"
        )
        for version, verdict in (document.get("verdicts") or {}).items():
            stdout.print(f"  version {escape(version)} ({escape(verdict['state'])}): {escape(verdict['result'])}")
        table = Table("testcase", "result", "reason", header_style="bold")
        details = document.get("details") or {}
        results: dict[str, Any] = {}
        for invocation in (document.get("run", {}).get("invocations") or {}).values():
            results.update(invocation.get("results") or {})
        for testcase, value in sorted(results.items()):
            label = {1: "PASS", 0: "ABORT", -1: "FAIL"}.get(value, str(value))
            table.add_row(escape(testcase), label, escape(str((details.get(testcase) or {}).get("reason", ""))))
        stdout.print(table)
