"""Signing keys as operators keep them: in ssh-agent, or in passphrase-protected key files.

`ssh-keygen -Y sign -f key.pub` signs with the agent's copy of that key; we follow it. The agent
protocol (draft-miller-ssh-agent) needs two messages here: list identities, and sign.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ._sshsig import SignatureError, SigningKey

_REQUEST_IDENTITIES, _IDENTITIES_ANSWER = 11, 12
_SIGN_REQUEST, _SIGN_RESPONSE = 13, 14
_OPENSSH_MAGIC = b"openssh-key-v1\0"


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _take(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise SignatureError("truncated message")
    (length,) = struct.unpack(">I", blob[offset : offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise SignatureError("truncated message")
    return blob[offset + 4 : end], end


def key_blob(public: ed25519.Ed25519PublicKey) -> bytes:
    """The SSH wire form of a public key (what agents and SSHSIG carry)."""
    text = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(text.split()[1])


def public_key_of_private_file(pem: bytes) -> ed25519.Ed25519PublicKey | None:
    """The public key stored unencrypted in an OpenSSH private key file, without the passphrase."""
    try:
        body = b"".join(line for line in pem.strip().splitlines()[1:-1])
        blob = base64.b64decode(body)
        if not blob.startswith(_OPENSSH_MAGIC):
            return None
        offset = len(_OPENSSH_MAGIC)
        for _ in range(3):  # cipher name, kdf name, kdf options
            _, offset = _take(blob, offset)
        offset += 4  # number of keys
        public, _ = _take(blob, offset)
        key_type, at = _take(public, 0)
        if key_type != b"ssh-ed25519":
            return None
        raw, _ = _take(public, at)
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, SignatureError):
        return None


class _Connection:
    def __init__(self, path: str) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(30)
        try:
            self._socket.connect(path)
        except OSError as error:
            self._socket.close()
            raise SignatureError(f"cannot reach ssh-agent at {path}: {error.strerror or error}") from None

    def ask(self, message: bytes) -> bytes:
        self._socket.sendall(_string(message))
        header = self._read(4)
        (length,) = struct.unpack(">I", header)
        if length > 256 * 1024:
            raise SignatureError("ssh-agent sent an oversized answer")
        return self._read(length)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._socket.recv(size - len(data))
            if not chunk:
                raise SignatureError("ssh-agent closed the connection")
            data += chunk
        return data

    def close(self) -> None:
        self._socket.close()


def agent_socket() -> str | None:
    return os.environ.get("SSH_AUTH_SOCK") or None


def agent_keys(path: str) -> list[bytes]:
    """The key blobs the agent holds."""
    connection = _Connection(path)
    try:
        answer = connection.ask(bytes([_REQUEST_IDENTITIES]))
    finally:
        connection.close()
    if not answer or answer[0] != _IDENTITIES_ANSWER:
        raise SignatureError("ssh-agent refused to list its keys")
    (count,) = struct.unpack(">I", answer[1:5])
    keys, offset = [], 5
    for _ in range(count):
        blob, offset = _take(answer, offset)
        _, offset = _take(answer, offset)  # comment
        keys.append(blob)
    return keys


@dataclass(frozen=True)
class AgentKey:
    """An ed25519 key held by ssh-agent; signs like a private key (`sign`, `public_key`)."""

    public: ed25519.Ed25519PublicKey
    socket_path: str

    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.public

    def sign(self, data: bytes) -> bytes:
        connection = _Connection(self.socket_path)
        try:
            answer = connection.ask(
                bytes([_SIGN_REQUEST]) + _string(key_blob(self.public)) + _string(data) + struct.pack(">I", 0)
            )
        finally:
            connection.close()
        if not answer or answer[0] != _SIGN_RESPONSE:
            raise SignatureError("ssh-agent refused to sign (is the key still loaded? confirm prompts?)")
        signature, _ = _take(answer, 1)
        kind, offset = _take(signature, 0)
        if kind != b"ssh-ed25519":
            raise SignatureError(f"ssh-agent signed with {kind.decode(errors='replace')}, not ssh-ed25519")
        raw, _ = _take(signature, offset)
        return raw


def find_in_agent(public: ed25519.Ed25519PublicKey) -> AgentKey | None:
    """The agent's copy of `public`, if an agent runs and holds it."""
    path = agent_socket()
    if path is None:
        return None
    return AgentKey(public, path) if key_blob(public) in agent_keys(path) else None


def load_signer(path: Path, passphrase: Callable[[], bytes | None]) -> SigningKey:
    """The key to sign with, as `ssh-keygen -Y sign -f PATH` finds it.

    PATH may be a public key (its private half in ssh-agent), an unencrypted private key, or an
    encrypted one: then the agent's copy if it holds one, else `passphrase()` decrypts it.
    """
    from ._sshsig import EncryptedKeyError, load_private_key, load_public_key

    try:
        data = path.read_bytes()
    except OSError as error:
        raise SignatureError(f"cannot read {path}: {error.strerror}") from None
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("ssh-"):  # a public key: sign with the agent's copy
        held = find_in_agent(load_public_key(text))
        if held is None:
            where = "no ssh-agent runs (SSH_AUTH_SOCK is not set)" if agent_socket() is None else "ssh-agent lacks it"
            raise SignatureError(f"{path} is a public key and {where}; load the key with `ssh-add`")
        return held
    try:
        return load_private_key(data)
    except EncryptedKeyError:
        pass
    stored = public_key_of_private_file(data)
    held = find_in_agent(stored) if stored is not None else None
    if held is not None:
        return held
    secret = passphrase()
    if secret is None:
        raise SignatureError(f"{path} is encrypted: give --passphrase-file, run from a terminal, or `ssh-add` it")
    return load_private_key(data, secret)
