"""`serve --tls`: a self-signed certificate made on first start (key 0600) and reused after,
its fingerprint printed for members; `--tls-cert/--tls-key` served as given; bad files refused
in plain words; the access log never shows the key."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import socket
import ssl
import stat
import sys
from pathlib import Path

import aiohttp
import pytest

import hub.server
from hub import HubConfigError, HubSettings, RunningHub, start_hub
from hub.cli import run_serve
from hub.tls import fingerprint_of, make_self_signed, write_self_signed
from room.tls import parse_pin
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEY = "party-key"


async def served_der(port: int) -> bytes:
    """The certificate the hub presents (accepting any, sending nothing)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    return bytes(der)


async def test_first_start_makes_the_certificate_and_later_starts_reuse_it(
    tmp_path: Path,
) -> None:
    settings = HubSettings(port=0, key=KEY, tls=True, db_path=tmp_path / "hub.sqlite3")
    first = await start_hub(settings)
    try:
        assert first.tls is not None and first.tls.made
        assert first.url == f"https://127.0.0.1:{first.port}"
        assert first.fingerprint == fingerprint_of(await served_der(first.port))
    finally:
        await first.close()
    key_file = tmp_path / "hub-tls-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "hub-tls-cert.pem").exists()
    again = await start_hub(settings)
    try:
        assert again.tls is not None and not again.tls.made
        assert again.fingerprint == first.fingerprint
        assert fingerprint_of(await served_der(again.port)) == first.fingerprint
    finally:
        await again.close()


async def test_a_given_certificate_is_served_and_its_fingerprint_is_openssls(
    tmp_path: Path,
) -> None:
    cert_pem, key_pem = make_self_signed(hostname="party.lan")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    running = await start_hub(
        HubSettings(port=0, tls_cert=cert, tls_key=key, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert await served_der(running.port) == der
        assert running.fingerprint == fingerprint_of(der)
        # `openssl x509 -noout -fingerprint -sha256` prints the same digest as AB:CD:...
        openssl_form = ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())
        assert parse_pin(f"sha256 Fingerprint={openssl_form}".split("=")[1]) == running.fingerprint
        assert not (tmp_path / "hub-tls-key.pem").exists()  # nothing made beside the database
    finally:
        await running.close()


def _pair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    write_self_signed(cert, key)
    return cert, key


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such file .*nowhere.pem"),
        ("garbage certificate", "garbage.pem is not a PEM certificate"),
        ("garbage key", "garbage.pem is not a PEM private key"),
        ("another's key", "theirs.key is not the key of the certificate .*mine.pem"),
    ],
)
async def test_bad_certificate_files_are_refused_in_plain_words(
    tmp_path: Path, case: str, message: str
) -> None:
    cert, key = _pair(tmp_path, "mine")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("\x1b[31mnot a certificate\n" * 3)
    if case == "missing":
        cert = tmp_path / "nowhere.pem"
    elif case == "garbage certificate":
        cert = garbage
    elif case == "garbage key":
        key = garbage
    else:
        _, key = _pair(tmp_path, "theirs")
    with pytest.raises(HubConfigError, match=message):
        await start_hub(
            HubSettings(port=0, tls_cert=cert, tls_key=key, db_path=tmp_path / "hub.sqlite3")
        )


def test_a_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="needs its key"):
        HubSettings(tls_cert=Path("cert.pem"))


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[HubSettings]:
    seen: list[HubSettings] = []
    monkeypatch.setattr(hub.server, "serve_forever", seen.append)
    return seen


def test_both_serve_command_lines_take_the_tls_flags(
    served: list[HubSettings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "hub.sqlite3")
    assert run_serve(["--port", "0", "--db", db, "--tls"]) == 0
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--config", str(config), "--tls-cert", str(cert), "--tls-key", str(key)])
    assert exited.value.code == 0
    assert [(s.tls, s.tls_cert, s.tls_key) for s in served] == [
        (True, None, None),
        (False, cert, key),
    ]
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--config", str(config), "--tls-cert", str(cert)])
    assert refused.value.code == 2
    assert "needs its key" in capsys.readouterr().err
    assert run_serve(["--tls-key", str(key)]) == 2


async def test_the_access_log_never_shows_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hub.access")
    running: RunningHub = await start_hub(
        HubSettings(port=0, key=KEY, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        async with aiohttp.ClientSession() as session:
            params = {"apikey": KEY, "vsn": "1.0.0"}
            async with session.ws_connect(f"{running.url}/realtime/v1/websocket", params=params):
                pass
            async with session.get(f"{running.url}/rest/v1/rooms?apikey={KEY}") as response:
                assert response.status == 401  # no user: the hub's rules refuse anon
    finally:
        await running.close()
    logged = [r.getMessage() for r in caplog.records if r.name == "hub.access"]
    assert any("/realtime/v1/websocket" in line for line in logged)
    assert any("GET /rest/v1/rooms 401" in line for line in logged)
    assert not any(KEY in line for line in logged)


@pytest.mark.slow
async def test_serve_tls_prints_the_pin_a_member_joins_with(tmp_path: Path) -> None:
    """The LAN recipe through the real command line: the host's `serve --tls` prints the
    pin; a member passes it and signs in; a restart prints the same pin."""
    from room.backend import open_backend

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    argv = ["serve", "--tls", "--key", KEY, "--port", str(port), "--db", str(tmp_path / "h.db")]

    async def start() -> tuple[asyncio.subprocess.Process, list[str]]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from tui.cli import main; main()",
            *argv,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "WATCHPARTY_CONFIG": str(config)},
        )
        assert process.stdout is not None
        lines: list[str] = []
        while not any("members join with" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, f"serve ended before printing the pin: {lines}"
            lines.append(line.decode())
        return process, lines

    async def stop(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(process.wait(), 15) == 0

    process, lines = await start()
    try:
        assert f"https://127.0.0.1:{port}" in lines[0]
        joined = next(line for line in lines if "members join with" in line)
        pin = joined.split("--pin ", 1)[1].strip()
        assert f"--server https://HOST:{port}" in joined
        assert any("made now" in line for line in lines)
        backend = await open_backend(
            f"https://127.0.0.1:{port}", KEY, pin=pin, session_file=tmp_path / "auth.json"
        )
        assert backend.user_id is not None
    finally:
        await stop(process)
    process, lines = await start()
    try:
        assert f"--pin {pin}" in " ".join(lines)
        assert not any("made now" in line for line in lines)
    finally:
        await stop(process)


async def test_a_lan_hub_without_tls_says_what_members_must_do(tmp_path: Path) -> None:
    running = await start_hub(HubSettings(port=0, key=KEY, db_path=tmp_path / "hub.sqlite3"))
    try:
        lan = HubSettings(bind="0.0.0.0", key=KEY)
        assert "--allow-plain-http" in " ".join(hub.server.tls_lines(running, lan))
        assert hub.server.tls_lines(running, HubSettings()) == []  # loopback: nothing to say
    finally:
        await running.close()
