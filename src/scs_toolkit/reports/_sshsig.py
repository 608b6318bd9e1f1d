"""OpenSSH signatures (SSHSIG, `ssh-keygen -Y sign|verify`) with ed25519 keys, as the SCS monitor expects.

Format: PROTOCOL.sshsig in OpenSSH. We sign SHA-512 digests of the message, in namespace `report`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from typing import Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

MAGIC = b"SSHSIG"
VERSION = 1
NAMESPACE = "report"
HASH = "sha512"
_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_END = "-----END SSH SIGNATURE-----"


class SignatureError(ValueError):
    """A signature is malformed, made for something else, or by a key that is not allowed."""


class SigningKey(Protocol):
    """An ed25519 private key, or a key held by ssh-agent."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> ed25519.Ed25519PublicKey: ...


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise SignatureError("truncated signature")
    (length,) = struct.unpack(">I", blob[offset : offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise SignatureError("truncated signature")
    return blob[offset + 4 : end], end


def _signed_data(message: bytes, namespace: str) -> bytes:
    digest = hashlib.sha512(message).digest()
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(HASH.encode()) + _string(digest)


class EncryptedKeyError(SignatureError):
    """The private key is protected by a passphrase that was not given."""


def load_private_key(pem: bytes, password: bytes | None = None) -> ed25519.Ed25519PrivateKey:
    try:
        key = serialization.load_ssh_private_key(pem, password=password)
    except (TypeError, ValueError, UnsupportedAlgorithm) as error:
        if _encrypted(pem):
            if password is None:
                raise EncryptedKeyError("the private key is encrypted") from None
            raise SignatureError("wrong passphrase for the private key") from None
        raise SignatureError(f"not an OpenSSH private key: {error}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SignatureError(f"only ed25519 keys are supported, not {type(key).__name__}")
    return key


def _encrypted(pem: bytes) -> bool:
    """Whether an OpenSSH private key file names a cipher (is passphrase-protected)."""
    magic = b"openssh-key-v1\0"
    try:
        blob = base64.b64decode(b"".join(pem.strip().splitlines()[1:-1]))
    except ValueError:
        return False
    if not blob.startswith(magic):
        return False
    try:
        cipher, _ = _read_string(blob, len(magic))
    except SignatureError:
        return False
    return cipher != b"none"


def load_public_key(line: str) -> ed25519.Ed25519PublicKey:
    """A public key in authorized_keys form (`ssh-ed25519 AAAA... comment`)."""
    try:
        key = serialization.load_ssh_public_key(" ".join(line.split()[:2]).encode())
    except (ValueError, IndexError, TypeError) as error:
        raise SignatureError(f"not an OpenSSH public key: {error}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SignatureError(f"only ed25519 keys are supported, not {type(key).__name__}")
    return key


def _wire(public: ed25519.Ed25519PublicKey) -> bytes:
    text = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(text.split()[1])


def sign(message: bytes, key: SigningKey, namespace: str = NAMESPACE) -> str:
    """The armored signature `ssh-keygen -Y sign -n NAMESPACE` would write."""
    raw = key.sign(_signed_data(message, namespace))
    blob = (
        MAGIC
        + struct.pack(">I", VERSION)
        + _string(_wire(key.public_key()))
        + _string(namespace.encode())
        + _string(b"")
        + _string(HASH.encode())
        + _string(_string(b"ssh-ed25519") + _string(raw))
    )
    encoded = base64.b64encode(blob).decode()
    lines = [encoded[i : i + 70] for i in range(0, len(encoded), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


def signer_key(signature: str) -> ed25519.Ed25519PublicKey:
    """The public key a signature claims to be made with (not yet verified)."""
    return _parse(signature)[0]


def _parse(signature: str) -> tuple[ed25519.Ed25519PublicKey, str, str, bytes]:
    text = signature.strip()
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise SignatureError("not an SSH signature (expected -----BEGIN SSH SIGNATURE-----)")
    try:
        blob = base64.b64decode("".join(text[len(_BEGIN) : -len(_END)].split()), validate=True)
    except ValueError:
        raise SignatureError("the signature is not valid base64") from None
    if not blob.startswith(MAGIC) or len(blob) < 10:
        raise SignatureError("not an SSHSIG signature")
    (version,) = struct.unpack(">I", blob[6:10])
    if version != VERSION:
        raise SignatureError(f"unsupported SSHSIG version {version}")
    public_blob, offset = _read_string(blob, 10)
    namespace, offset = _read_string(blob, offset)
    _, offset = _read_string(blob, offset)  # reserved
    hash_algorithm, offset = _read_string(blob, offset)
    signature_blob, offset = _read_string(blob, offset)
    key_type, key_offset = _read_string(public_blob, 0)
    if key_type != b"ssh-ed25519":
        raise SignatureError(f"only ed25519 signatures are supported, not {key_type.decode(errors='replace')}")
    key_bytes, _ = _read_string(public_blob, key_offset)
    sig_type, sig_offset = _read_string(signature_blob, 0)
    raw, _ = _read_string(signature_blob, sig_offset)
    if sig_type != b"ssh-ed25519":
        raise SignatureError("signature type does not match the key")
    return ed25519.Ed25519PublicKey.from_public_bytes(key_bytes), namespace.decode(), hash_algorithm.decode(), raw


def verify(
    message: bytes, signature: str, allowed: list[ed25519.Ed25519PublicKey], namespace: str = NAMESPACE
) -> ed25519.Ed25519PublicKey:
    """Check `signature` over `message` by one of the `allowed` keys; returns that key or raises SignatureError."""
    public, signed_namespace, hash_algorithm, raw = _parse(signature)
    if signed_namespace != namespace:
        raise SignatureError(f"signature is for namespace {signed_namespace!r}, not {namespace!r}")
    if hash_algorithm not in ("sha512", "sha256"):
        raise SignatureError(f"unsupported hash algorithm {hash_algorithm}")
    wire = _wire(public)
    if not any(hmac.compare_digest(wire, _wire(key)) for key in allowed):
        raise SignatureError("the signing key is not among the allowed keys")
    digest = getattr(hashlib, hash_algorithm)(message).digest()
    data = MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_algorithm.encode()) + _string(digest)
    try:
        public.verify(raw, data)
    except InvalidSignature:
        raise SignatureError("the signature does not match the report") from None
    return public
