"""The app against a hub serving TLS, over real sockets on 127.0.0.1: with the right pin it
signs in, uses the tables and joins the room over wss; with a wrong pin, or no pin for a
self-signed certificate, it is refused in plain words and the hub sees no request at all;
the pin holds on every connection (sign-in, tables, realtime), not only the first."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from supabase_auth.errors import AuthError

from hub import HubSettings, RunningHub, start_hub
from hub.tls import write_self_signed
from room.backend import BackendError, open_backend
from room.state import ConnectionStatus
from room.tls import PinMismatch, pinned_context
from tests.room.linkkit import WAIT_S, running_link

KEY = "party-key"


def write_pair(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    write_self_signed(cert, key)
    return cert, key


@pytest.fixture
def hub_requests(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """Every HTTP request the hubs answered (their access log), the websocket upgrade too."""
    caplog.set_level(logging.DEBUG, logger="hub.access")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "hub.access"]


@pytest.fixture
async def tls_hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    running = await start_hub(
        HubSettings(port=0, key=KEY, tls=True, db_path=tmp_path / "hub" / "hub.sqlite3")
    )
    try:
        yield running
    finally:
        await running.close()


def other_fingerprint(tmp_path: Path) -> str:
    """The fingerprint of some other certificate (what an impostor's pin check sees)."""
    cert, _ = write_pair(tmp_path, "other")
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    from hub.tls import fingerprint_of

    return fingerprint_of(der)


async def test_the_right_pin_signs_in_uses_the_tables_and_joins_the_room(
    tls_hub: RunningHub, tmp_path: Path, hub_requests: Callable[[], list[str]]
) -> None:
    assert tls_hub.url.startswith("https://") and tls_hub.fingerprint
    backend = await open_backend(
        tls_hub.url, KEY, pin=tls_hub.fingerprint, session_file=tmp_path / "auth.json"
    )
    assert backend.user_id is not None and backend.ssl_context is not None
    await (
        backend.client.table("rooms")
        .upsert({"room_id": "lan"}, on_conflict="room_id", ignore_duplicates=True)
        .execute()
    )
    row = {"room_id": "lan", "user_id": backend.user_id, "username": "Ann"}
    stored = await backend.client.table("room_members").insert(row).execute()
    assert stored.data[0]["user_id"] == backend.user_id

    async with running_link(tls_hub.url, KEY, "lan", backend.user_id, backend) as (link, heard):
        await heard.until(lambda: link.is_joined)
        payload = {"user_id": backend.user_id, "username": "Ann", "current_time": 1.5}
        assert await link.send("play", payload)
        await heard.until(lambda: ("play", payload) in heard.broadcasts)
    seen = " ".join(hub_requests())
    for path in ("/auth/v1/signup", "/rest/v1/room_members", "/realtime/v1/websocket"):
        assert path in seen
    assert KEY not in seen  # the access log never shows the query string's key


async def test_a_wrong_pin_is_refused_in_plain_words_before_anything_is_sent(
    tls_hub: RunningHub, tmp_path: Path, hub_requests: Callable[[], list[str]]
) -> None:
    wrong = other_fingerprint(tmp_path)
    with pytest.raises(BackendError) as refused:
        await open_backend(tls_hub.url, KEY, pin=wrong, session_file=tmp_path / "auth.json")
    message = str(refused.value)
    assert tls_hub.fingerprint is not None
    assert tls_hub.fingerprint in message and wrong in message
    assert "nothing was sent" in message
    assert hub_requests() == []
    assert not (tmp_path / "auth.json").exists()


async def test_without_a_pin_a_self_signed_hub_is_refused_and_named(
    tls_hub: RunningHub, tmp_path: Path, hub_requests: Callable[[], list[str]]
) -> None:
    with pytest.raises(BackendError) as refused:
        await open_backend(tls_hub.url, KEY, session_file=tmp_path / "auth.json")
    message = str(refused.value)
    assert "not trusted" in message
    assert f"--pin {tls_hub.fingerprint}" in message
    assert hub_requests() == []


async def test_the_pin_holds_on_every_connection_after_the_first(
    tmp_path: Path, hub_requests: Callable[[], list[str]]
) -> None:
    """Signed in through the real hub; then another server takes its address with another
    certificate: sign-in, the tables and the realtime socket all refuse it, sending nothing."""
    db = tmp_path / "hub.sqlite3"
    first = await start_hub(HubSettings(port=0, key=KEY, tls=True, db_path=db))
    assert first.fingerprint is not None
    try:
        backend = await open_backend(
            first.url, KEY, pin=first.fingerprint, session_file=tmp_path / "auth.json"
        )
    finally:
        await first.close()
    assert backend.user_id is not None
    cert, key = write_pair(tmp_path, "impostor")
    impostor = await start_hub(
        HubSettings(port=first.port, key=KEY, tls_cert=cert, tls_key=key, db_path=db)
    )
    try:
        assert impostor.fingerprint != first.fingerprint
        answered_before = len(hub_requests())

        with pytest.raises(httpx.ConnectError) as tables:
            await backend.client.table("rooms").select("room_id").eq("room_id", "x").execute()
        assert "not the pinned" in _chain(tables.value)
        with pytest.raises(AuthError) as refresh:
            await backend.client.auth.refresh_session()
        assert "not the pinned" in _chain(refresh.value)

        async with running_link(impostor.url, KEY, "lan", backend.user_id, backend) as (
            link,
            heard,
        ):
            await heard.until(
                lambda: any(
                    s.status is ConnectionStatus.RECONNECTING and "not the pinned" in s.detail
                    for s in heard.statuses
                )
            )
        assert not link.joins
        assert hub_requests()[answered_before:] == []
    finally:
        await impostor.close()


def _chain(error: BaseException) -> str:
    """The messages of an exception and its causes (each library wraps the ssl error)."""
    parts = []
    seen: BaseException | None = error
    while seen is not None:
        parts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return " | ".join(parts)


async def test_a_blocking_socket_gets_the_same_check(tls_hub: RunningHub, tmp_path: Path) -> None:
    def connect(pin: str) -> None:
        context = pinned_context(pin)
        with (
            socket.create_connection(("127.0.0.1", tls_hub.port), timeout=WAIT_S) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            pass

    assert tls_hub.fingerprint is not None
    await asyncio.to_thread(connect, tls_hub.fingerprint)
    with pytest.raises(PinMismatch):
        await asyncio.to_thread(connect, other_fingerprint(tmp_path))


def make_ca_signed(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for 127.0.0.1: (CA file, cert, key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test party CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


async def test_a_ca_signed_hub_needs_no_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a pin, https is verified against the CAs (here SSL_CERT_FILE's, as httpx reads
    it) on every connection: sign-in, tables and the realtime socket."""
    ca_file, cert, key = make_ca_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    hub = await start_hub(
        HubSettings(port=0, key=KEY, tls_cert=cert, tls_key=key, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        backend = await open_backend(hub.url, KEY, session_file=tmp_path / "auth.json")
        assert backend.user_id is not None
        await (
            backend.client.table("rooms")
            .upsert({"room_id": "ca"}, on_conflict="room_id", ignore_duplicates=True)
            .execute()
        )
        async with running_link(hub.url, KEY, "ca", backend.user_id, backend) as (link, heard):
            await heard.until(lambda: link.is_joined)
    finally:
        await hub.close()


async def test_a_pin_needs_an_https_address(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="pin needs an https:// address"):
        await open_backend(
            "http://127.0.0.1:9", KEY, pin="SHA256:" + "A" * 43, session_file=tmp_path / "a"
        )


async def test_a_malformed_pin_is_refused_in_plain_words(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="is not a certificate fingerprint"):
        await open_backend("https://127.0.0.1:9", KEY, pin="SHA256:nope", session_file=None)
