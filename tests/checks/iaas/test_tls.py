"""scs-0125 TLS probe against real TLS servers on loopback with generated certificates."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from scs_toolkit._serving import listening_socket
from scs_toolkit.checks import Status, evaluate
from scs_toolkit.collect import CatalogEntry, IaasSnapshot


def certificate(tmp_path: Path, days: int, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"cert-{days}.pem", tmp_path / f"key-{days}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def serve_tls(cert: Path, key: Path, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> tuple[str, threading.Event]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = minimum
    context.load_cert_chain(cert, key)
    sock = listening_socket("127.0.0.1", 0, backlog=16)
    sock.setblocking(True)
    stop = threading.Event()

    def run() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = sock.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass
        sock.close()

    threading.Thread(target=run, daemon=True).start()
    return f"https://127.0.0.1:{sock.getsockname()[1]}/compute/v2.1", stop


@pytest.fixture
def servers() -> Iterator[list[threading.Event]]:
    stops: list[threading.Event] = []
    yield stops
    for stop in stops:
        stop.set()


def run(*urls: str) -> tuple[Status, list[str]]:
    snapshot = IaasSnapshot(taken_at=dt.datetime.now(dt.UTC), catalog=(CatalogEntry("compute", "nova", urls),))
    outcome = evaluate(snapshot, ["scs-0125-public-endpoints-tls"], probe=object())["scs-0125-public-endpoints-tls"]
    return outcome.status, [f.message for f in outcome.findings]


def test_good_tls_endpoint_passes(tmp_path: Path, servers: list[threading.Event]) -> None:
    url, stop = serve_tls(*certificate(tmp_path, 90, ec.generate_private_key(ec.SECP256R1())))
    servers.append(stop)
    assert run(url) == (Status.PASS, [])


def test_weak_endpoints_fail_with_reasons(tmp_path: Path, servers: list[threading.Event]) -> None:
    long_lived, stop = serve_tls(*certificate(tmp_path, 800, rsa.generate_private_key(65537, 2048)))
    servers.append(stop)
    status, messages = run(long_lived, "http://127.0.0.1:9/identity/v3")
    assert status is Status.FAIL
    assert "certificate lifespan too long" in messages
    assert "endpoint does not use TLS" in messages


def test_unreachable_tls_endpoint_is_a_finding() -> None:
    status, messages = run("https://127.0.0.1:9/")
    assert status is Status.FAIL and messages[0].startswith("TLS handshake failed")
