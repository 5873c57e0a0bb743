"""Sign-in on the hub as on Supabase: the real supabase-auth client signs up anonymously,
refreshes and reads its user; the errors are GoTrue's (hub/gotrue.py cites the source)."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hubkit import HubFactory
from pydantic import SecretStr
from supabase import AsyncClient, acreate_client

from hub import RunningHub
from hub.tokens import Tokens

Call = Any


@pytest.fixture
async def auth_call(hub: RunningHub) -> AsyncIterator[Call]:
    """A bare HTTP call under /auth/v1: (status, decoded body)."""
    async with aiohttp.ClientSession() as session:

        async def request(
            method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
        ) -> tuple[int, Any]:
            async with session.request(
                method,
                f"{hub.url}/auth/v1/{path}",
                data=None if body is None else json.dumps(body),
                headers={"apikey": "anon", "Content-Type": "application/json", **(headers or {})},
            ) as response:
                text = await response.text()
                return response.status, json.loads(text) if text else None

        yield request


async def test_anonymous_sign_up_gives_a_session_the_hub_knows(hub: RunningHub) -> None:
    client: AsyncClient = await acreate_client(hub.url, "anon")
    signed_up = await client.auth.sign_in_anonymously()
    session, user = signed_up.session, signed_up.user
    assert session is not None and user is not None
    uuid.UUID(user.id)  # a fresh uuid, as GoTrue's
    assert user.is_anonymous and user.role == "authenticated" and user.aud == "authenticated"
    assert session.token_type == "bearer" and session.expires_in == 3600
    claims = hub.tokens.verify(session.access_token)
    assert claims.sub == user.id and claims.role == "authenticated" and claims.is_anonymous

    fetched = await client.auth.get_user()
    assert fetched is not None and fetched.user.id == user.id

    refreshed = await client.auth.refresh_session()
    assert refreshed.session is not None and refreshed.user is not None
    assert refreshed.user.id == user.id
    assert hub.tokens.verify(refreshed.session.access_token).session_id == claims.session_id

    other = await (await acreate_client(hub.url, "anon")).auth.sign_in_anonymously()
    assert other.user is not None and other.user.id != user.id  # each sign-up is someone new


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "expected"),
    [
        pytest.param(
            "GET",
            "user",
            None,
            {},
            401,
            {
                "code": 401,
                "error_code": "no_authorization",
                "msg": "This endpoint requires a valid Bearer token",
            },
            id="user-without-token",
        ),
        pytest.param(
            "GET",
            "user",
            None,
            {"Authorization": "Bearer not.a.jwt"},
            403,
            {
                "code": 403,
                "error_code": "bad_jwt",
                "msg": "invalid JWT: unable to parse or verify signature, JWT couldn't be decoded",
            },
            id="user-with-garbage",
        ),
        pytest.param(
            "POST",
            "token?grant_type=refresh_token",
            {"refresh_token": "made-up"},
            {},
            400,
            {
                "code": 400,
                "error_code": "refresh_token_not_found",
                "msg": "Invalid Refresh Token: Refresh Token Not Found",
            },
            id="unknown-refresh-token",
        ),
        pytest.param(
            "POST",
            "token?grant_type=refresh_token",
            {},
            {},
            400,
            {"error": "invalid_request", "error_description": "refresh_token required"},
            id="no-refresh-token",
        ),
        pytest.param(
            "POST",
            "token?grant_type=password",
            {"email": "a@b.c", "password": "x"},
            {},
            400,
            {"code": 400, "error_code": "invalid_credentials", "msg": "unsupported_grant_type"},
            id="password-grant",
        ),
        pytest.param(
            "POST",
            "signup",
            {"email": "a@b.c", "password": "secret123"},
            {},
            422,
            {
                "code": 422,
                "error_code": "email_provider_disabled",
                "msg": "Email signups are disabled",
            },
            id="email-sign-up",
        ),
        pytest.param(
            "POST",
            "signup",
            None,
            {"apikey": ""},
            401,
            {"message": "No API key found in request"},
            id="no-api-key",
        ),
    ],
)
async def test_auth_errors_are_gotrues(
    auth_call: Call,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    expected: dict[str, Any],
) -> None:
    assert await auth_call(method, path, body, headers) == (status, expected)


async def test_an_access_token_is_not_a_refresh_token(hub: RunningHub, auth_call: Call) -> None:
    issued = hub.tokens.issue("u-1")
    status, body = await auth_call(
        "POST", "token?grant_type=refresh_token", {"refresh_token": issued.access_token}
    )
    assert (status, body["error_code"]) == (400, "refresh_token_not_found")
    status, body = await auth_call(
        "GET", "user", headers={"Authorization": f"Bearer {issued.refresh_token}"}
    )
    assert (status, body["error_code"]) == (403, "bad_jwt")


async def test_the_secret_is_made_once_0600_and_survives_a_restart(
    make_hub: HubFactory, tmp_path: Path
) -> None:
    db = tmp_path / "hub.sqlite3"
    first = await make_hub(db_path=db)
    secret = tmp_path / "hub-jwt-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    token = first.tokens.issue("u-1").access_token
    await first.close()
    second = await make_hub(db_path=db)
    assert second.tokens.verify(token).sub == "u-1"  # sessions outlive a restart
    other = await make_hub(db_path=tmp_path / "other" / "hub.sqlite3")
    assert other.tokens is not second.tokens
    with pytest.raises(Exception, match="cryptographic"):
        other.tokens.verify(token)  # another hub's token


async def test_a_given_secret_is_used_and_no_file_is_made(
    make_hub: HubFactory, tmp_path: Path
) -> None:
    hub = await make_hub(
        db_path=tmp_path / "hub.sqlite3", jwt_secret=SecretStr("a-given-secret-of-32-bytes-00000")
    )
    mine = Tokens(b"a-given-secret-of-32-bytes-00000").issue("u-1").access_token
    assert hub.tokens.verify(mine).sub == "u-1"
    assert not (tmp_path / "hub-jwt-secret").exists()


def test_a_short_secret_is_refused_with_a_plain_message() -> None:
    from pydantic import ValidationError

    from hub import HubSettings

    with pytest.raises(ValidationError, match="at least 32 characters"):
        HubSettings(jwt_secret=SecretStr("too-short"))
