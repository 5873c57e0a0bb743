"""The TLS every connection to the server uses: a pinned certificate, or the CA chain.

A hub serving its own self-signed certificate (``serve --tls``) prints its fingerprint; a
member pins it (``--pin SHA256:...``, ``server.pin``) and the app then accepts exactly that
certificate, whoever signed it, and refuses any other before sending anything: the check
runs inside the TLS handshake, so neither the key (in the first request) nor a token is
written to a server that is not the pinned one. Without a pin, https is verified as usual
(certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``, as httpx does).

Python's ``ssl`` has no certificate callback; the check is an ``SSLObject`` subclass
(``SSLContext.sslobject_class``, documented since 3.7) whose ``do_handshake`` compares the
peer's certificate once the handshake completes. asyncio's streams (websockets) and anyio's
(httpx) both drive the handshake through it. Blocking sockets get the same check through
``sslsocket_class``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import ssl
from typing import Any

HEX_PIN = re.compile(r"^[0-9a-f]{64}$")


class PinError(ValueError):
    """A ``--pin`` that is not a SHA-256 fingerprint; ``str()`` says what one looks like."""


class PinMismatch(ssl.SSLCertVerificationError):
    """The server presented a certificate other than the pinned one."""

    def __init__(self, presented: str, pinned: str) -> None:
        self.presented = presented
        self.pinned = pinned
        message = (
            f"The server's certificate is {presented}, not the pinned {pinned}: nothing was "
            "sent to it. If the hub made a new certificate (its data folder was reset), ask "
            "the host for the fingerprint it printed; otherwise someone may be between you."
        )
        # errno and strerror filled in, as the ssl module's own errors have them (anyio reads
        # strerror).
        super().__init__(1, message)
        self.verify_message = message
        self.verify_code = 0


def fingerprint_of(der: bytes) -> str:
    """``SHA256:<base64, unpadded>`` of a DER certificate, as the hub prints it."""
    return _shown(hashlib.sha256(der).digest())


def _shown(digest: bytes) -> str:
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_pin(text: str) -> str:
    """A pin in the form the hub prints (``SHA256:`` and base64), from that form or hex.

    Hex may have colons (``openssl x509 -fingerprint -sha256`` prints them); the ``SHA256:``
    prefix may be in any case or left out.
    """
    value = text.strip()
    if value.lower().startswith("sha256:"):
        value = value[len("sha256:") :]
    hexed = value.replace(":", "").lower()
    if HEX_PIN.match(hexed):
        return _shown(bytes.fromhex(hexed))
    try:
        digest = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise PinError(
            f"{_excerpt(text)} is not a certificate fingerprint: pass what the hub printed, "
            "SHA256: and 43 base64 characters (or the 64 hex digits of a SHA-256)"
        )
    return _shown(digest)


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _check(ssl_object: ssl.SSLObject | ssl.SSLSocket, pinned: str) -> None:
    der = ssl_object.getpeercert(binary_form=True)
    presented = fingerprint_of(der) if der else "no certificate"
    if presented != pinned:
        raise PinMismatch(presented, pinned)


def pinned_context(pin: str) -> ssl.SSLContext:
    """A client context accepting exactly the certificate whose fingerprint is ``pin``."""
    pinned = parse_pin(pin)

    class PinnedObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()  # SSLWantReadError etc. propagate until it completes
            _check(self, pinned)

    class PinnedSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            _check(self, pinned)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # The pin replaces the CA chain and the name: the certificate itself is what we trust.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.sslobject_class = PinnedObject
    context.sslsocket_class = PinnedSocket
    return context


def client_context(pin: str | None) -> ssl.SSLContext:
    """The context for https/wss: pinned when there is a pin, else CA-verified as httpx does."""
    if pin:
        return pinned_context(pin)
    import httpx  # only when connecting: the settings read this module at start-up

    return httpx.create_ssl_context()


class UntrustedCertificate(Exception):
    """Without a pin, the server's certificate did not verify; ``str()`` says what to do."""


async def check_server(host: str, port: int, context: ssl.SSLContext, timeout_s: float) -> None:
    """One TLS handshake with the server, sending nothing: raises ``PinMismatch`` for a wrong
    pin, ``UntrustedCertificate`` (naming the certificate presented) when no CA vouches for
    it, or OSError/TimeoutError when the server cannot be reached."""
    try:
        await _handshake(host, port, context, timeout_s)
    except PinMismatch:
        raise
    except ssl.SSLCertVerificationError as error:
        presented = await presented_fingerprint(host, port, timeout_s)
        reason = error.verify_message or error.reason or str(error)
        raise UntrustedCertificate(
            f"The server's certificate is not trusted ({reason}): nothing was sent to it. "
            f"A hub serving its own certificate prints its fingerprint; it presented "
            f"{presented}. If that is what the host's hub printed, pass --pin {presented} "
            "(or set server.pin)."
        ) from None


async def presented_fingerprint(host: str, port: int, timeout_s: float) -> str:
    """The fingerprint of the certificate the server presents (accepting any; sends nothing)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        writer = await _handshake(host, port, context, timeout_s, keep=True)
    except (OSError, TimeoutError):
        return "one that could not be read again"
    ssl_object: Any = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    await _close(writer)
    return fingerprint_of(der) if der else "no certificate"


async def _handshake(
    host: str, port: int, context: ssl.SSLContext, timeout_s: float, *, keep: bool = False
) -> asyncio.StreamWriter:
    async with asyncio.timeout(timeout_s):
        _, writer = await asyncio.open_connection(host, port, ssl=context)
    if not keep:
        await _close(writer)
    return writer


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        async with asyncio.timeout(2.0):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        pass
