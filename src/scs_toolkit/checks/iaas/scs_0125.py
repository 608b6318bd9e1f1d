"""scs-0125 secure connections: public API endpoints use TLS as Mozilla's "intermediate" profile says.

scs-0125 is a draft and in no version of the scope yet, so `scs check` runs this testcase only when a
scope asks for it (or with a scope file of your own). Checked per public endpoint of the catalog:
HTTPS at all, the negotiated protocol and cipher, whether TLS 1.0/1.1 are still accepted, and the
certificate's key and lifespan. Trust in the certificate chain is not judged here.
"""

from __future__ import annotations

import functools
import json
import socket
import ssl
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ...collect import IaasSnapshot
from .._model import Finding, Outcome, Probe
from .._registry import testcase

TIMEOUT_S = 10.0


@functools.cache
def mozilla_profile(level: str = "intermediate") -> dict[str, Any]:
    path = resources.files("scs_toolkit.standards").joinpath("data", "iaas", "mozilla-tls-profile-5.7.json")
    profile: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["configurations"][level]
    return profile


def _handshake(host: str, port: int, context: ssl.SSLContext) -> tuple[str, str, bytes]:
    with (
        socket.create_connection((host, port), timeout=TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cipher = tls.cipher()
        der = tls.getpeercert(binary_form=True) or b""
        return str(tls.version()), cipher[0] if cipher else "", der


def _accepts_old_protocols(host: str, port: int) -> bool | None:
    """Whether the server agrees to TLS 1.0/1.1; None if this machine's OpenSSL cannot even offer them."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return None
    try:
        _handshake(host, port, context)
    except (ssl.SSLError, OSError):
        return False
    return True


def check_endpoint(url: str, profile: dict[str, Any]) -> list[Finding]:
    parts = urlsplit(url)
    if parts.scheme != "https":
        return [Finding(url, "endpoint does not use TLS", "https://", f"{parts.scheme}://")]
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        version, cipher, der = _handshake(host, port, context)
    except (ssl.SSLError, OSError) as error:
        return [Finding(url, f"TLS handshake failed: {error}")]
    findings = []
    if version not in profile["tls_versions"]:
        findings.append(Finding(url, "protocol version not allowed", " / ".join(profile["tls_versions"]), version))
    allowed = set(profile["ciphersuites"]) | set(profile["ciphers"]["openssl"]) | set(profile["ciphers"]["iana"])
    if cipher not in allowed:
        findings.append(Finding(url, "cipher not in the Mozilla intermediate list", "an intermediate cipher", cipher))
    if _accepts_old_protocols(host, port):
        findings.append(Finding(url, "still accepts TLS 1.0/1.1", "TLS 1.2 or newer only", "TLS 1.0/1.1"))
    if der:
        findings.extend(_certificate_findings(url, x509.load_der_x509_certificate(der), profile))
    return findings


def _certificate_findings(url: str, certificate: x509.Certificate, profile: dict[str, Any]) -> list[Finding]:
    findings = []
    lifespan = (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days
    if lifespan > profile["maximum_certificate_lifespan"]:
        findings.append(
            Finding(
                url,
                "certificate lifespan too long",
                f"<= {profile['maximum_certificate_lifespan']} days",
                f"{lifespan} days",
            )
        )
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < profile["rsa_key_size"]:
        findings.append(Finding(url, "RSA key too small", f">= {profile['rsa_key_size']} bits", f"{key.key_size} bits"))
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in {"secp256r1", "secp384r1", "prime256v1"}:
        findings.append(Finding(url, "certificate curve not allowed", "prime256v1 or secp384r1", key.curve.name))
    elif not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        findings.append(Finding(url, "certificate key type not allowed", "rsa or ecdsa", type(key).__name__))
    return findings


@testcase(
    "scs-0125-public-endpoints-tls",
    "scs-0125-v1",
    "Public API endpoints use TLS as Mozilla's intermediate profile (5.7) requires.",
    "Serve every public endpoint over HTTPS with TLS 1.2/1.3, intermediate ciphers and a certificate "
    "valid for at most 366 days.",
    needs=["catalog"],
    active=True,
)
def public_endpoints(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    assert snapshot.catalog is not None
    urls = sorted({u for entry in snapshot.catalog for u in entry.urls})
    findings = [f for url in urls for f in check_endpoint(url, mozilla_profile())]
    return Outcome.from_findings(
        findings,
        f"{len(urls)} public endpoints meet the TLS profile",
        "endpoints not meeting the Mozilla intermediate TLS profile",
        "Configure TLS 1.2+ with intermediate ciphers (https://ssl-config.mozilla.org).",
    )
