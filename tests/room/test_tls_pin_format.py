"""What `--pin` accepts: the hub's own `SHA256:<base64>` form and the hex digests openssl and
others print, all read as the same pin; anything else refused in plain words, never echoed
whole."""

from __future__ import annotations

import base64
import hashlib

import pytest

from room.tls import PinError, fingerprint_of, parse_pin

DER = b"a certificate, as far as hashing goes"
DIGEST = hashlib.sha256(DER).digest()
SHOWN = "SHA256:" + base64.b64encode(DIGEST).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        SHOWN,
        SHOWN.replace("SHA256:", "sha256:"),
        SHOWN.removeprefix("SHA256:"),
        f"  {SHOWN}\n",
        "SHA256:" + base64.b64encode(DIGEST).decode(),  # with its padding
        DIGEST.hex(),
        DIGEST.hex().upper(),
        ":".join(f"{byte:02X}" for byte in DIGEST),  # openssl x509 -fingerprint -sha256
        "SHA256:" + DIGEST.hex(),
    ],
)
def test_every_form_of_one_fingerprint_is_the_same_pin(text: str) -> None:
    assert parse_pin(text) == SHOWN == fingerprint_of(DER)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SHA256:",
        "SHA256:abc",
        "SHA1:" + hashlib.sha1(DER).hexdigest(),
        hashlib.sha1(DER).hexdigest(),  # 40 hex digits: a SHA-1
        DIGEST.hex()[:-1],
        "SHA256:" + base64.b64encode(DIGEST + b"x").decode(),
        "\x1b[2J[bold]SHA256:" + "!" * 43,
        "A" * 100_000,
    ],
)
def test_anything_else_is_refused_in_plain_words(text: str) -> None:
    with pytest.raises(PinError, match="is not a certificate fingerprint") as refused:
        parse_pin(text)
    assert len(str(refused.value)) < 300
