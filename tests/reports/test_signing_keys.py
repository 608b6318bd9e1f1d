"""Signing keys where operators keep them: ssh-agent (`--sign key.pub`, as `ssh-keygen -Y sign` does) and
passphrase-protected key files (a passphrase file, the terminal, or the agent's copy of the key)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.reports import AgentKey, SignatureError, load_public_key, load_signer, sign, verify

from .test_signing_and_upload import MESSAGE, ssh_keygen_verify

runner = CliRunner()


def keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "ops", "-f", str(path)], check=True)
    return path


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real ssh-agent on a socket of this test; SSH_AUTH_SOCK points at it."""
    socket_path = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not socket_path.exists():  # ssh-agent gives no other sign of readiness
        assert time.monotonic() < deadline and process.poll() is None, "ssh-agent did not start"
        time.sleep(0.02)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(socket_path))
    yield socket_path
    process.terminate()
    process.wait(10)


def ssh_add(key: Path) -> None:
    subprocess.run(["ssh-add", "-q", str(key)], check=True, env=os.environ.copy(), capture_output=True)


def test_public_key_signs_with_the_agents_copy(tmp_path: Path, agent: Path) -> None:
    key = keygen(tmp_path / "id")
    ssh_add(key)
    signer = load_signer(key.with_suffix(".pub"), lambda: pytest.fail("no passphrase needed"))
    assert isinstance(signer, AgentKey)
    signature = sign(MESSAGE, signer)
    assert ssh_keygen_verify(tmp_path, key.with_suffix(".pub"), MESSAGE, signature) == 0
    verify(MESSAGE, signature, [load_public_key(key.with_suffix(".pub").read_text())])


def test_public_key_not_in_the_agent_says_what_to_do(tmp_path: Path, agent: Path) -> None:
    key = keygen(tmp_path / "id")
    with pytest.raises(SignatureError, match=r"ssh-agent lacks it.*ssh-add"):
        load_signer(key.with_suffix(".pub"), lambda: None)


def test_public_key_without_an_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    key = keygen(tmp_path / "id")
    with pytest.raises(SignatureError, match="SSH_AUTH_SOCK is not set"):
        load_signer(key.with_suffix(".pub"), lambda: None)


def test_encrypted_key_with_passphrase_and_from_the_agent(tmp_path: Path, agent: Path) -> None:
    key = keygen(tmp_path / "locked", "correct horse")
    asked: list[bool] = []

    def passphrase() -> bytes:
        asked.append(True)
        return b"correct horse"

    signature = sign(MESSAGE, load_signer(key, passphrase))
    assert asked == [True]
    assert ssh_keygen_verify(tmp_path, key.with_suffix(".pub"), MESSAGE, signature) == 0
    with pytest.raises(SignatureError, match="wrong passphrase"):
        load_signer(key, lambda: b"battery staple")
    with pytest.raises(SignatureError, match="encrypted: give --passphrase-file"):
        load_signer(key, lambda: None)
    # once the agent holds it (its unencrypted twin is loaded here), nobody is asked
    twin = tmp_path / "twin"
    twin.write_bytes(key.read_bytes())
    twin.chmod(0o600)  # ssh-keygen and ssh-add refuse readable private keys
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "correct horse", "-N", "", "-f", str(twin)], check=True)
    ssh_add(twin)
    held = load_signer(key, lambda: pytest.fail("the agent has the key"))
    assert isinstance(held, AgentKey)
    assert ssh_keygen_verify(tmp_path, key.with_suffix(".pub"), MESSAGE, sign(MESSAGE, held)) == 0


def test_cli_passphrase_file_and_agent(tmp_path: Path, agent: Path) -> None:
    key = keygen(tmp_path / "locked", "s3cret")
    report = tmp_path / "report.yaml"
    report.write_bytes(MESSAGE)
    secret = tmp_path / "passphrase"
    secret.write_text("s3cret\n")
    signed = runner.invoke(app, ["report", "sign", str(report), "--key", str(key), "--passphrase-file", str(secret)])
    assert signed.exit_code == 0, signed.stderr
    checked = runner.invoke(app, ["report", "verify", str(report), "--public-key", str(key.with_suffix(".pub"))])
    assert checked.exit_code == 0
    no_tty = runner.invoke(app, ["report", "sign", str(report), "--key", str(key)], input="")
    assert no_tty.exit_code == 2 and "is encrypted" in no_tty.stderr
    secret.write_text("wrong\n")
    wrong = runner.invoke(app, ["report", "sign", str(report), "--key", str(key), "--passphrase-file", str(secret)])
    assert wrong.exit_code == 2 and "wrong passphrase" in wrong.stderr
    plain = keygen(tmp_path / "agent-key")
    ssh_add(plain)
    (tmp_path / "report.yaml.sig").unlink()
    by_agent = runner.invoke(app, ["report", "sign", str(report), "--key", str(plain.with_suffix(".pub"))])
    assert by_agent.exit_code == 0, by_agent.stderr
    assert (
        ssh_keygen_verify(tmp_path, plain.with_suffix(".pub"), MESSAGE, (tmp_path / "report.yaml.sig").read_text()) == 0
    )


def test_agent_that_went_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "gone.sock"))
    key = keygen(tmp_path / "id")
    with pytest.raises(SignatureError, match="cannot reach ssh-agent"):
        load_signer(key.with_suffix(".pub"), lambda: None)
