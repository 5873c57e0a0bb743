"""Signing in to a real hub through the same code path as a Supabase project: a new user,
the kept session (0600) reused, an expired token refreshed, another hub's session replaced,
the key never sent over plain http to another machine, and a refreshed token handed to the
joined room channel (the server shuts a channel whose token expires)."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import room.link
from hub import HubSettings, RunningHub, start_hub
from hub.tokens import ACCESS_TOKEN_TTL_S, Tokens
from room.backend import BackendError, check_transport, open_backend
from tests.room.linkkit import WAIT_S, running_link

SECRET = "the-room-tests-hub-secret-000000"


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    running = await start_hub(
        HubSettings(port=0, jwt_secret=SECRET, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        yield running
    finally:
        await running.close()


def kept_session(path: Path, tokens: Tokens, user_id: str) -> None:
    """A session file as supabase-auth writes it, for a session started by ``tokens``."""
    issued = tokens.issue(user_id)
    session = {
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_TTL_S,
        "expires_at": issued.expires_at,
        "user": {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "app_metadata": {},
            "user_metadata": {},
            "created_at": "2026-12-01T00:00:00Z",
            "is_anonymous": True,
        },
    }
    written = json.loads(path.read_text()) if path.exists() else {}
    key = next(iter(written), None)
    assert key is not None, "sign in once first, so the file names supabase-auth's key"
    path.write_text(json.dumps({key: json.dumps(session)}))


async def test_a_new_user_signs_up_and_stays_the_same_user(hub: RunningHub, tmp_path: Path) -> None:
    session_file = tmp_path / "auth.json"
    first = await open_backend(hub.url, "local", session_file=session_file)
    assert first.user_id is not None
    uuid.UUID(first.user_id)
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    token = await first.access_token()
    assert token is not None and hub.tokens.verify(token).sub == first.user_id
    again = await open_backend(hub.url, "local", session_file=session_file)
    assert again.user_id == first.user_id
    # The tables know it: it may create a room and join it as itself, and not as another.
    await (
        again.client.table("rooms")
        .upsert({"room_id": "r"}, on_conflict="room_id", ignore_duplicates=True)
        .execute()
    )
    row = {"room_id": "r", "user_id": again.user_id, "username": "Me"}
    stored = await again.client.table("room_members").insert(row).execute()
    assert stored.data[0]["user_id"] == again.user_id


async def test_an_expired_access_token_is_refreshed(hub: RunningHub, tmp_path: Path) -> None:
    session_file = tmp_path / "auth.json"
    user_id = (await open_backend(hub.url, "local", session_file=session_file)).user_id
    assert user_id is not None
    two_hours_ago = Tokens(SECRET.encode(), now=lambda: time.time() - 7200)
    kept_session(session_file, two_hours_ago, user_id)
    backend = await open_backend(hub.url, "local", session_file=session_file)
    assert backend.user_id == user_id
    token = await backend.access_token()
    assert token is not None
    assert hub.tokens.verify(token).exp > time.time()  # a fresh one, from the hub


async def test_a_session_from_another_hub_is_replaced_by_a_new_sign_in(
    hub: RunningHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session_file = tmp_path / "auth.json"
    await open_backend(hub.url, "local", session_file=session_file)
    kept_session(session_file, Tokens(b"an-older-hub-secret-0123456789-0123"), "someone-else")
    with caplog.at_level(logging.WARNING, logger="room.backend"):
        backend = await open_backend(hub.url, "local", session_file=session_file)
    assert backend.user_id not in (None, "someone-else")
    token = await backend.access_token()
    assert token is not None and hub.tokens.verify(token).sub == backend.user_id
    assert "no longer accepts our kept session" in caplog.text


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.10:54380", "http://party.lan:54380", "ws://10.0.0.2:54380"],
)
async def test_the_key_is_not_sent_over_plain_http_to_another_machine(
    url: str, tmp_path: Path
) -> None:
    with pytest.raises(BackendError, match="Refusing to send the room's key over plain http"):
        await open_backend(url, "secret-key", session_file=tmp_path / "auth.json")
    assert not (tmp_path / "auth.json").exists()  # refused before anything was sent
    check_transport(url, allow_plain_http=True)  # unless told the network is ours


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:54380", "http://localhost:1", "http://[::1]:2", "https://x.supabase.co"],
)
def test_loopback_and_https_are_fine(url: str) -> None:
    check_transport(url, allow_plain_http=False)


async def test_a_refreshed_token_reaches_the_joined_channel(
    hub: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(room.link, "TOKEN_CHECK_S", 0.2)
    ten_minutes_left = Tokens(SECRET.encode(), now=lambda: time.time() - ACCESS_TOKEN_TTL_S + 600)
    tokens = [ten_minutes_left.issue("ann").access_token, hub.tokens.issue("ann").access_token]
    refreshed_exp = hub.tokens.verify(tokens[1]).exp

    async def access_token() -> str:
        return tokens[0] if len(tokens) == 2 else tokens[-1]

    async with running_link(hub.url, "anon", "r", "ann", access_token=access_token) as (
        link,
        heard,
    ):
        await heard.until(lambda: link.is_joined)
        (peer,) = hub.state.peers
        (channel,) = peer.channels.values()
        assert channel.token_exp == refreshed_exp - 3000
        tokens.pop(0)  # supabase-auth refreshed the session
        # The hub answers an access_token event with nothing, so its state is what to watch.
        async with asyncio.timeout(WAIT_S):
            while channel.token_exp != refreshed_exp:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert channel.user_id == "ann" and link.joins == 1
