"""A joined channel whose access token expires is shut down as Supabase Realtime does it
(hub/token_expiry.py cites realtime_channel.ex): checked at most every 5 minutes and at the
token's `exp`, then a system error "Token has expired N seconds ago" and phx_close. A renewed
token (the `access_token` event) moves the check to its own expiry."""

from __future__ import annotations

import asyncio

import pytest
from hubkit import FakeClock, RawClient, RawFactory

from hub import RunningHub
from hub.token_expiry import CONFIRM_TOKEN_INTERVAL_S, next_check
from hub.tokens import ACCESS_TOKEN_TTL_S, Tokens

TOPIC = "realtime:room:abc"
EXP = 1_800_000_000


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        (EXP - 3600, CONFIRM_TOKEN_INTERVAL_S),  # an hour left: checked again in 5 minutes
        (EXP - 301, 300),
        (EXP - 300, 300),
        (EXP - 299, 299),  # less than 5 minutes left: checked again at exp
        (EXP - 1, 1),
        (EXP - 0.5, 1),  # whole seconds, as Joken.current_time
        (EXP, "Token has expired 0 seconds ago"),  # exp must be after the current second
        (EXP + 0.9, "Token has expired 0 seconds ago"),
        (EXP + 42, "Token has expired 42 seconds ago"),
    ],
)
def test_when_a_token_is_checked_next_or_what_the_channel_is_told(
    now: float, outcome: int | str
) -> None:
    assert next_check(EXP, now) == outcome


def channel_of(hub: RunningHub):  # type: ignore[no-untyped-def]
    (peer,) = hub.state.peers
    return peer.channels[TOPIC]


async def join_with(client: RawClient, token: str) -> None:
    config = {"broadcast": {"self": False}, "presence": {"key": ""}}
    reply = await client.join(TOPIC, config, access_token=token)
    assert reply["payload"]["status"] == "ok"


async def test_the_channel_is_shut_down_when_its_token_expires(
    hub: RunningHub, raw: RawFactory
) -> None:
    wall = FakeClock(now=float(EXP - 1))
    hub.state.tokens.now = wall
    one_second_left = Tokens(
        hub.state.tokens._secret, now=lambda: wall.now + 1 - ACCESS_TOKEN_TTL_S
    )
    client = await raw()
    await join_with(client, one_second_left.issue("ann").access_token)
    assert channel_of(hub).token_exp == EXP
    wall.advance(1)  # the check armed for 1 s finds the hub's clock at exp
    system = await client.recv_event("system")
    assert system["topic"] == TOPIC
    assert system["payload"] == {
        "channel": "room:abc",
        "extension": "system",
        "message": "Token has expired 0 seconds ago",
        "status": "error",
    }
    closed = await client.recv_event("phx_close")
    assert closed["topic"] == TOPIC
    assert TOPIC not in next(iter(hub.state.peers)).channels


async def test_a_renewed_token_moves_the_check_to_its_expiry(
    hub: RunningHub, raw: RawFactory
) -> None:
    client = await raw()
    short = Tokens(hub.state.tokens._secret, now=lambda: hub.state.tokens.now() - 3000)
    await join_with(client, short.issue("ann").access_token)
    short_exp, short_timer = channel_of(hub).token_exp, channel_of(hub).token_timer
    assert short_exp is not None and short_timer is not None
    renewed = hub.tokens.issue("ann").access_token
    await client.send(TOPIC, "access_token", {"access_token": renewed}, join_ref="1")
    await client.heartbeat()  # handled in order: the renewal came first
    channel = channel_of(hub)
    assert channel.token_exp == short_exp + 3000
    assert short_timer.cancelled() and channel.token_timer is not None
    loop = asyncio.get_running_loop()
    assert channel.token_timer.when() - loop.time() > CONFIRM_TOKEN_INTERVAL_S - 60


async def test_a_join_with_the_api_key_alone_is_not_watched(
    hub: RunningHub, raw: RawFactory
) -> None:
    client = await raw()
    reply = await client.join(TOPIC, {"presence": {"key": ""}})
    assert reply["payload"]["status"] == "ok"
    assert channel_of(hub).token_exp is None and channel_of(hub).token_timer is None


async def test_leaving_cancels_the_check(hub: RunningHub, raw: RawFactory) -> None:
    client = await raw()
    await join_with(client, hub.tokens.issue("ann").access_token)
    timer = channel_of(hub).token_timer
    assert timer is not None
    await client.send(TOPIC, "phx_leave", {}, ref="9", join_ref="1")
    await client.recv_event("phx_reply")
    assert timer.cancelled()
