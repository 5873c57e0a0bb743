"""Signing in to the server: anonymous on a Supabase project, none on a hub.

The project's Auth server is stood in for by a few lines of aiohttp that answer as GoTrue
does (its JSON shapes), so the sign-in logic and supabase-auth's session handling are real.
"""

from __future__ import annotations

import base64
import json
import stat
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from room.backend import BackendError, FileStorage, open_backend, subject_of


def jwt(sub: str, *, expires_in: int = 3600) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": sub, "role": "authenticated", "exp": int(time.time()) + expires_in}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.signature"


class StandInAuth:
    """GoTrue's anonymous sign-up, and whether anonymous sign-ins are enabled."""

    def __init__(self, *, anonymous_enabled: bool = True) -> None:
        self.anonymous_enabled = anonymous_enabled
        self.signups = 0

    async def signup(self, request: web.Request) -> web.Response:
        if not self.anonymous_enabled:
            body = {
                "code": 422,
                "error_code": "anonymous_provider_disabled",
                "msg": "Anonymous sign-ins are disabled",
            }
            return web.json_response(body, status=422)
        self.signups += 1
        user_id = str(uuid.uuid4())
        return web.json_response(
            {
                "access_token": jwt(user_id),
                "token_type": "bearer",
                "expires_in": 3600,
                "expires_at": int(time.time()) + 3600,
                "refresh_token": "refresh-" + user_id,
                "user": {
                    "id": user_id,
                    "aud": "authenticated",
                    "role": "authenticated",
                    "app_metadata": {},
                    "user_metadata": {},
                    "created_at": "2026-11-26T00:00:00Z",
                    "is_anonymous": True,
                },
            }
        )


@pytest.fixture
async def auth_server() -> AsyncIterator[tuple[str, StandInAuth]]:
    auth = StandInAuth()
    app = web.Application()
    app.router.add_post("/auth/v1/signup", auth.signup)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", auth
    await runner.cleanup()


async def test_signs_in_anonymously_once_and_keeps_the_session_private(
    auth_server: tuple[str, StandInAuth], tmp_path: Path
) -> None:
    url, auth = auth_server
    session_file = tmp_path / "auth.json"
    first = await open_backend(url, "anon-key", session_file=session_file)
    assert first.user_id is not None
    token = await first.access_token()
    assert token is not None and subject_of(token) == first.user_id
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    again = await open_backend(url, "anon-key", session_file=session_file)
    assert again.user_id == first.user_id  # a restart is the same user
    assert auth.signups == 1


async def test_disabled_anonymous_sign_in_says_what_to_do(
    auth_server: tuple[str, StandInAuth], tmp_path: Path
) -> None:
    url, auth = auth_server
    auth.anonymous_enabled = False
    with pytest.raises(BackendError, match="Enable anonymous sign-ins"):
        await open_backend(url, "anon-key", session_file=tmp_path / "auth.json")


async def test_a_server_without_auth_is_used_as_is_unless_sign_in_is_required(
    tmp_path: Path,
) -> None:
    app = web.Application()  # answers 404 to everything, as a hub does under /auth/v1
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        backend = await open_backend(url, "key", session_file=tmp_path / "a.json")
        assert backend.user_id is None and await backend.access_token() is None
        with pytest.raises(BackendError, match="Could not sign in"):
            await open_backend(url, "key", sign_in="anonymous", session_file=tmp_path / "b.json")
    finally:
        await runner.cleanup()


async def test_a_given_user_token_is_used_instead_of_signing_in(tmp_path: Path) -> None:
    token = jwt("user-from-token")
    backend = await open_backend("http://127.0.0.1:9", "key", user_token=token)
    assert backend.user_id == "user-from-token"
    assert await backend.access_token() == token
    assert backend.client.options.headers["Authorization"] == f"Bearer {token}"


async def test_file_storage_survives_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text("{not json")
    storage = FileStorage(path)
    assert await storage.get_item("k") is None
    await storage.set_item("k", "v")
    assert await storage.get_item("k") == "v"
    await storage.remove_item("k")
    assert await storage.get_item("k") is None


def test_subject_of_ignores_garbage() -> None:
    assert subject_of("not-a-token") is None
    assert subject_of("a.!!!.c") is None
    assert subject_of(jwt("x")) == "x"
