"""Reports in the SCS format: build, serialize, sign and verify (OpenSSH SSHSIG), upload."""

from __future__ import annotations

from ._agent import AgentKey, load_signer
from ._document import report_document, to_json, to_yaml
from ._sshsig import SignatureError, SigningKey, load_private_key, load_public_key, sign, signer_key, verify
from ._upload import UploadError, upload

__all__ = [
    "AgentKey",
    "SignatureError",
    "SigningKey",
    "UploadError",
    "load_private_key",
    "load_public_key",
    "load_signer",
    "report_document",
    "sign",
    "signer_key",
    "to_json",
    "to_yaml",
    "upload",
    "verify",
]
