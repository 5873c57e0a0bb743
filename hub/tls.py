"""TLS for `serve`: the given certificate and key, or a self-signed pair made on first start.

Members check a self-signed hub by its certificate's fingerprint, not by a CA: the SHA-256 of
the certificate (DER), shown as ``SHA256:`` and unpadded base64, the form OpenSSH uses for
host keys. ``openssl x509 -noout -fingerprint -sha256 -in F`` prints the same digest in hex,
which the app accepts too.

The self-signed pair is kept beside the database (``hub-tls-cert.pem``, and
``hub-tls-key.pem`` with mode 0600), so the fingerprint members pinned stays valid across
restarts; delete both files for a new one.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.errors import HubConfigError
from hub.settings import HubSettings

SELF_SIGNED_DAYS = 3650
"""How long a made certificate is valid: members pin it, so it should outlive the party."""


@dataclass(frozen=True)
class ServerTls:
    """What the hub serves TLS with, and the fingerprint members pin."""

    context: ssl.SSLContext
    fingerprint: str
    cert_path: Path
    made: bool = False
    """True when this start made the self-signed pair (the first start)."""


def fingerprint_of(der: bytes) -> str:
    """``SHA256:<base64>`` of a DER certificate (what `--pin` takes)."""
    digest = hashlib.sha256(der).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def load_server_tls(cert_path: Path, key_path: Path, *, made: bool = False) -> ServerTls:
    """An SSL context serving ``cert_path`` (a PEM chain, leaf first) with ``key_path``."""
    try:
        pem = cert_path.read_bytes()
        try:
            leaf = x509.load_pem_x509_certificates(pem)[0]
        except ValueError:
            raise HubConfigError(f"cannot use TLS: {cert_path} is not a PEM certificate") from None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
    except FileNotFoundError as error:
        raise HubConfigError(f"cannot use TLS: no such file {error.filename}") from None
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            raise HubConfigError(
                f"cannot use TLS: {key_path} is not the key of the certificate {cert_path}"
            ) from None
        raise HubConfigError(
            f"cannot use TLS: {key_path} is not a PEM private key (an encrypted key is not "
            "supported either)"
        ) from None
    except OSError as error:
        raise HubConfigError(f"cannot use TLS: {error.strerror or error}") from None
    der = leaf.public_bytes(serialization.Encoding.DER)
    return ServerTls(context, fingerprint_of(der), cert_path, made)


def self_signed_tls(cert_path: Path, key_path: Path) -> ServerTls:
    """The pair kept at these paths, or a new one (key 0600) when they are not both there."""
    if cert_path.exists() and key_path.exists():
        return load_server_tls(cert_path, key_path)
    write_self_signed(cert_path, key_path)
    return load_server_tls(cert_path, key_path, made=True)


def write_self_signed(cert_path: Path, key_path: Path) -> None:
    """A new self-signed pair at these paths (the key 0600, written first)."""
    cert_pem, key_pem = make_self_signed()
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    _write(key_path, key_pem, 0o600)
    _write(cert_path, cert_pem, 0o644)


def make_self_signed(
    now: datetime.datetime | None = None, hostname: str | None = None
) -> tuple[bytes, bytes]:
    """A new P-256 key and a certificate for it signed by itself: (cert PEM, key PEM)."""
    now = now or datetime.datetime.now(datetime.UTC)
    hostname = hostname or socket.gethostname() or "localhost"
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"watchparty hub on {hostname}")])
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    if hostname != "localhost":
        names.insert(0, x509.DNSName(hostname))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(temporary, mode)  # the umask may have taken bits away from a 0644
    os.replace(temporary, path)


def server_tls(settings: HubSettings) -> ServerTls | None:
    """The TLS the settings ask for: their certificate, a self-signed one, or none."""
    if settings.tls_cert is not None and settings.tls_key is not None:
        return load_server_tls(settings.tls_cert, settings.tls_key)
    if settings.tls:
        return self_signed_tls(settings.self_signed_cert_path, settings.self_signed_key_path)
    return None
