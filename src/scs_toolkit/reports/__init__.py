"""Reports in the SCS format: build, serialize, sign and verify (OpenSSH SSHSIG), upload."""

from __future__ import annotations

from ._document import report_document, to_json, to_yaml
from ._sshsig import SignatureError, load_private_key, load_public_key, sign, signer_key, verify
from ._upload import UploadError, upload

__all__ = [
    "SignatureError",
    "UploadError",
    "load_private_key",
    "load_public_key",
    "report_document",
    "sign",
    "signer_key",
    "to_json",
    "to_yaml",
    "upload",
    "verify",
]
