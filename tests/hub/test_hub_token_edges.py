"""Tokens the hub must not accept: forged, tampered, expired, from another hub, oversized,
issued in the future, a refresh token. Each is a clear 401 in PostgREST's shape on REST,
an InvalidJWTToken join error on Realtime and GoTrue's bad_jwt on /auth/v1/user, and changes
nothing. The messages are PostgREST's (hub/tokens.py cites them)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt
import pytest
from hubkit import HubFactory, RawFactory
from pydantic import SecretStr

from hub import RunningHub
from hub.tokens import ALLOWED_SKEW_S, TokenError, Tokens

SECRET = b"the-hub-under-test-secret-000000"
ROOM = "room-a"


def _tampered() -> str:
    """bob's real token with its body rewritten to say alice (the signature is bob's)."""
    header, _, signature = Tokens(SECRET).issue("bob").access_token.split(".")
    body = Tokens(SECRET).issue("alice").access_token.split(".")[1]
    return f"{header}.{body}.{signature}"


def _unsigned() -> str:
    claims = {"sub": "alice", "role": "authenticated", "aud": "authenticated"}
    claims |= {"exp": int(time.time()) + 3600, "iat": int(time.time())}
    return jwt.encode(claims, key=None, algorithm="none")


def _shifted(seconds: float) -> Tokens:
    return Tokens(SECRET, now=lambda: time.time() + seconds)


TOKENS: list[tuple[str, Callable[[], str], str, str]] = [
    ("alg-none", _unsigned, "PGRST301", "Wrong or unsupported encoding algorithm"),
    ("tampered-body", _tampered, "PGRST301", "JWT cryptographic operation failed"),
    (
        "another-hubs",
        lambda: Tokens(b"another-hub-secret-0123456789-0123").issue("alice").access_token,
        "PGRST301",
        "JWT cryptographic operation failed",
    ),
    (
        "expired",
        lambda: _shifted(-3600 - ALLOWED_SKEW_S - 5).issue("alice").access_token,
        "PGRST303",
        "JWT expired",
    ),
    (
        "issued-in-the-future",
        lambda: _shifted(120).issue("alice").access_token,
        "PGRST303",
        "JWT issued at future",
    ),
    (
        "oversized",
        lambda: Tokens(SECRET).issue("alice", user_metadata={"pad": "x" * 5000}).access_token,
        "PGRST301",
        "JWT is longer than 4096 bytes",
    ),
    (
        "a-refresh-token",
        lambda: Tokens(SECRET).issue("alice").refresh_token,
        "PGRST303",
        "JWT not in audience",
    ),
    ("not-a-jwt", lambda: "alice", "PGRST301", "Expected 3 parts in JWT; got 1"),
]


@pytest.fixture
async def hub(make_hub: HubFactory) -> RunningHub:
    running = await make_hub(jwt_secret=SecretStr(SECRET.decode()))
    service = {"apikey": "anon", "Authorization": f"Bearer {running.tokens.service_token()}"}
    async with aiohttp.ClientSession(headers=service) as session:
        for table, row in (
            ("rooms", {"room_id": ROOM, "host_user_id": "alice"}),
            ("room_members", {"room_id": ROOM, "user_id": "alice", "username": "Alice"}),
        ):
            async with session.post(f"{running.url}/rest/v1/{table}", json=row) as response:
                assert response.status == 201
    return running


async def _request(hub: RunningHub, method: str, path: str, token: str, body: Any = None) -> Any:
    headers = {"apikey": "anon", "Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{hub.url}{path}", json=body, headers=headers) as response,
    ):
        return response.status, await response.json(), response.headers


@pytest.mark.parametrize(
    ("make", "code", "message"), [t[1:] for t in TOKENS], ids=[t[0] for t in TOKENS]
)
async def test_a_bad_token_is_a_clear_401_and_changes_nothing(
    hub: RunningHub, raw: RawFactory, make: Callable[[], str], code: str, message: str
) -> None:
    token = make()
    status, body, headers = await _request(
        hub, "PATCH", f"/rest/v1/rooms?room_id=eq.{ROOM}", token, {"host_user_id": "mallory"}
    )
    assert (status, body) == (
        401,
        {"code": code, "details": None, "hint": None, "message": message},
    )
    assert headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    service = hub.tokens.service_token()
    _, rooms, _ = await _request(hub, "GET", "/rest/v1/rooms?select=host_user_id", service)
    assert rooms == [{"host_user_id": "alice"}]  # nothing changed

    client = await raw()
    reply = await client.join(f"realtime:room:{ROOM}", {}, access_token=token)
    assert reply["payload"] == {
        "status": "error",
        "response": {"reason": f"InvalidJWTToken: {message}"},
    }

    status, body, _ = await _request(hub, "GET", "/auth/v1/user", token)
    assert (status, body["error_code"]) == (403, "bad_jwt")  # GoTrue answers 403 here


def test_expiry_is_checked_on_the_hubs_clock_with_postgrests_skew() -> None:
    now = [1_000_000.0]
    tokens = Tokens(SECRET, now=lambda: now[0])
    claims = tokens.verify(tokens.issue("alice").access_token)
    token = tokens.issue("alice").access_token
    now[0] = claims.exp + ALLOWED_SKEW_S
    assert tokens.verify(token).sub == "alice"  # within the skew
    now[0] += 1
    with pytest.raises(TokenError, match="JWT expired"):
        tokens.verify(token)


def test_a_token_without_exp_or_with_a_text_exp_is_refused() -> None:
    tokens = Tokens(SECRET)
    for body in (
        {"sub": "a", "role": "authenticated", "aud": "authenticated"},
        {"sub": "a", "role": "authenticated", "aud": "authenticated", "exp": "soon"},
        {"role": "superuser", "aud": "authenticated", "exp": time.time() + 60},
    ):
        with pytest.raises(TokenError):
            tokens.verify(jwt.encode(body, SECRET, algorithm="HS256"))


def test_the_anon_key_alone_is_no_user_and_a_service_token_no_audience() -> None:
    tokens = Tokens(SECRET)
    service = tokens.verify(tokens.service_token())
    assert (service.role, service.sub) == ("service_role", None)
    body = json.loads(base64.urlsafe_b64decode(tokens.service_token().split(".")[1] + "=="))
    assert "aud" not in body
