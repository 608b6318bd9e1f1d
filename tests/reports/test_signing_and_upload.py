"""SSHSIG signatures interoperate with ssh-keygen; uploads use the SCS wire format over real HTTP."""

from __future__ import annotations

import base64
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.reports import SignatureError, UploadError, load_private_key, load_public_key, sign, upload, verify

MESSAGE = b"---\nspec: {uuid: 50393e6f-2ae1-4c5c-a62c-3b75f2abef3f}\nsubject: sim\n"
runner = CliRunner()


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ci@example.org", "-f", str(key)], check=True)
    return key, key.with_suffix(".pub")


def ssh_keygen_verify(tmp_path: Path, public: Path, message: bytes, signature: str, namespace: str = "report") -> int:
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"mail@csp.eu {public.read_text()}")
    sig = tmp_path / "message.sig"
    sig.write_text(signature)
    return subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "mail@csp.eu", "-n", namespace, "-s", str(sig)],
        input=message,
        capture_output=True,
        check=False,
    ).returncode


def test_our_signature_verifies_with_ssh_keygen(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    key, public = keys
    signature = sign(MESSAGE, load_private_key(key.read_bytes()))
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----\n")
    assert ssh_keygen_verify(tmp_path, public, MESSAGE, signature) == 0
    assert ssh_keygen_verify(tmp_path, public, MESSAGE + b"x", signature) != 0
    assert ssh_keygen_verify(tmp_path, public, MESSAGE, signature, namespace="file") != 0


def test_ssh_keygen_signature_verifies_with_ours(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    key, public = keys
    report = tmp_path / "report.yaml"
    report.write_bytes(MESSAGE)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", "report", str(report)], check=True, capture_output=True
    )
    signature = (tmp_path / "report.yaml.sig").read_text()
    allowed = [load_public_key(public.read_text())]
    verify(MESSAGE, signature, allowed)
    with pytest.raises(SignatureError, match="does not match"):
        verify(MESSAGE.replace(b"sim", b"mis"), signature, allowed)
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    with pytest.raises(SignatureError, match="not among the allowed"):
        verify(MESSAGE, signature, [load_public_key(other.with_suffix(".pub").read_text())])
    (tmp_path / "report.yaml.sig").unlink()  # ssh-keygen does not overwrite signatures
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", "file", str(report)], check=True, capture_output=True
    )
    with pytest.raises(SignatureError, match="namespace 'file'"):
        verify(MESSAGE, (tmp_path / "report.yaml.sig").read_text(), allowed)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----",
        "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----",
    ],
)
def test_malformed_signatures_are_rejected(keys: tuple[Path, Path], text: str) -> None:
    with pytest.raises(SignatureError):
        verify(MESSAGE, text, [load_public_key(keys[1].read_text())])


def test_only_ed25519_keys(tmp_path: Path) -> None:
    rsa = tmp_path / "rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa)], check=True)
    with pytest.raises(SignatureError, match="only ed25519"):
        load_private_key(rsa.read_bytes())
    with pytest.raises(SignatureError, match="only ed25519"):
        load_public_key(rsa.with_suffix(".pub").read_text())


class Monitor(http.server.BaseHTTPRequestHandler):
    """A stand-in for the compliance monitor (issue 5) that records what it receives."""

    replies: ClassVar[list[int]] = []
    retry_after: ClassVar[list[str]] = []  # a Retry-After header for each of the first replies
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Monitor.received.append((dict(self.headers), body))
        status = Monitor.replies.pop(0) if Monitor.replies else 201
        self.send_response(status)
        if Monitor.retry_after:
            self.send_header("Retry-After", Monitor.retry_after.pop(0))
        self.end_headers()
        self.wfile.write(b"ok" if status < 300 else b"nope")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def monitor() -> Iterator[str]:
    Monitor.replies, Monitor.received, Monitor.retry_after = [], [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Monitor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/reports"
    server.shutdown()


def test_upload_wire_format_and_retries(monitor: str, keys: tuple[Path, Path]) -> None:
    signature = sign(MESSAGE, load_private_key(keys[0].read_bytes()))
    Monitor.replies = [503, 429]
    reply = upload(monitor, signature, MESSAGE, "zuul:secret", sleep=lambda _: None)
    assert reply.status_code == 201
    assert len(Monitor.received) == 3
    headers, body = Monitor.received[-1]
    assert headers["Content-Type"] == "application/x-signed-yaml"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"zuul:secret").decode()
    assert body.split(b"-----END SSH SIGNATURE-----\n&", 1) == [
        signature.split("-----END SSH SIGNATURE-----")[0].encode(),
        MESSAGE,
    ]


def test_upload_refusals_are_not_retried(monitor: str) -> None:
    Monitor.replies = [403]
    with pytest.raises(UploadError, match="HTTP 403"):
        upload(monitor, "sig", MESSAGE, "dXNlcjpwdw==", sleep=lambda _: None)
    assert len(Monitor.received) == 1
    assert Monitor.received[0][0]["Authorization"] == "Basic dXNlcjpwdw=="  # token files hold base64 already
    with pytest.raises(UploadError, match="cannot reach"):
        upload("http://127.0.0.1:9/reports", "sig", MESSAGE, "a:b", delays=(), sleep=lambda _: None)


def test_report_commands(tmp_path: Path, keys: tuple[Path, Path], monitor: str) -> None:
    report = tmp_path / "report.yaml"
    report.write_text(
        "---\nspec: {uuid: x, name: SCS-compatible IaaS}\nsubject: sim\nchecked_at: 2026-11-23\n"
        "run: {invocations: {a: {results: {scs-0100-syntax-check: 1, scs-0115-default-rules: -1}}}}\n"
        "details: {scs-0115-default-rules: {reason: '<b>ingress</b> from anywhere'}}\n"
    )
    signed = runner.invoke(app, ["report", "sign", str(report), "--key", str(keys[0])])
    assert signed.exit_code == 0, signed.stderr
    assert (tmp_path / "report.yaml.sig").exists()
    assert runner.invoke(app, ["report", "verify", str(report), "--public-key", str(keys[1])]).exit_code == 0
    report.write_text(report.read_text().replace("sim", "mis"))
    tampered = runner.invoke(app, ["report", "verify", str(report), "--public-key", str(keys[1])])
    assert tampered.exit_code == 1 and "does not match" in tampered.stdout
    shown = runner.invoke(app, ["report", "show", str(report)])
    assert shown.exit_code == 0 and "FAIL" in shown.stdout and "<b>ingress</b> from anywhere" in shown.stdout
    token = tmp_path / "token"
    token.write_text("user:secret\n")
    runner.invoke(app, ["report", "sign", str(report), "--key", str(keys[0])])
    sent = runner.invoke(app, ["report", "upload", str(report), "--url", monitor, "--token-file", str(token)])
    assert sent.exit_code == 0, sent.stderr
    Monitor.replies = [401]
    refused = runner.invoke(app, ["report", "upload", str(report), "--url", monitor, "--token-file", str(token)])
    assert refused.exit_code == 2 and "HTTP 401" in refused.stderr
    bad = runner.invoke(app, ["report", "sign", str(report), "--key", str(report)])
    assert bad.exit_code == 2 and "not an OpenSSH private key" in bad.stderr


def test_upload_honours_a_short_retry_after_and_gives_up_on_a_long_one(monitor: str, keys: tuple[Path, Path]) -> None:
    signature = sign(MESSAGE, load_private_key(keys[0].read_bytes()))
    slept: list[float] = []
    Monitor.replies, Monitor.retry_after = [429], ["7"]
    assert upload(monitor, signature, MESSAGE, "a:b", sleep=slept.append).status_code == 201
    assert slept == [7.0]  # not the first backoff step (1 s): the monitor said when
    Monitor.replies, Monitor.retry_after = [429], ["300"]
    with pytest.raises(UploadError, match=r"asks to wait 300 s.*scs report upload"):
        upload(monitor, signature, MESSAGE, "a:b", sleep=slept.append)
    assert slept == [7.0]  # it did not sit out five minutes
