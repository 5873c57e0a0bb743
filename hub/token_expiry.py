"""A channel whose access token expires is shut down, as Supabase Realtime does it.

The server (supabase/realtime 833cf36c, lib/realtime_web/channels/realtime_channel.ex) checks a
channel's token at join and at every `access_token` event with ``confirm_token`` (lines
804-832), which arms a timer for ``min(@confirm_token_ms_interval, exp_diff * 1000)`` (line
815; the interval is 5 minutes, line 36; ``exp_diff = exp - Joken.current_time()``, whole
seconds). When it fires, ``handle_info(:confirm_token)`` (lines 409-431) checks the token
again: still valid, a new timer; expired, ``shutdown_response`` (lines 834-839) pushes a
``system`` error and stops the channel (phx_close). The message is ``Token has expired N
seconds ago`` (lib/realtime_web/channels/auth/channels_authorization.ex:29-32), N being the
current time less ``exp``; a token is expired once ``exp`` is not after the current second
(lib/realtime_web/channels/auth/jwt_verification.ex:23-25, ``&1 > current_time``).

Joins with the API key alone carry no token the hub can read an ``exp`` from, so they are not
watched (on Supabase the anon key is a JWT of its own, valid for years).
"""

from __future__ import annotations

import asyncio
import logging

from hub.channels import ChannelJoin, Peer
from hub.hub_state import HubState

log = logging.getLogger("hub.token_expiry")

CONFIRM_TOKEN_INTERVAL_S = 300
"""How often a joined channel's token is checked at most (@confirm_token_ms_interval)."""


def next_check(exp: int, now: float) -> int | str:
    """Seconds until the token is checked again, or the shutdown message if it has expired."""
    current = int(now)  # Joken.current_time(): whole seconds
    if not exp > current:
        return f"Token has expired {current - exp} seconds ago"
    return min(CONFIRM_TOKEN_INTERVAL_S, exp - current)


def watch_token(peer: Peer, hub: HubState, channel: ChannelJoin, exp: int | None) -> None:
    """(Re)arm the channel's check for a token expiring at ``exp`` (None: nothing to watch)."""
    if channel.token_timer is not None:
        channel.token_timer.cancel()
        channel.token_timer = None
    channel.token_exp = exp
    if exp is not None:
        _arm(peer, hub, channel, next_check(exp, hub.tokens.now()))


def _arm(peer: Peer, hub: HubState, channel: ChannelJoin, outcome: int | str) -> None:
    # An already expired token is shut down on the next turn of the loop, after the join's
    # reply, as the server's check comes after the join it answered.
    delay = outcome if isinstance(outcome, int) else 0
    loop = asyncio.get_running_loop()
    channel.token_timer = loop.call_later(delay, _confirm, peer, hub, channel)


def _confirm(peer: Peer, hub: HubState, channel: ChannelJoin) -> None:
    channel.token_timer = None
    if peer.channels.get(channel.topic) is not channel or channel.token_exp is None:
        return  # left, closed or rejoined meanwhile
    try:
        outcome = next_check(channel.token_exp, hub.tokens.now())
        if isinstance(outcome, str):
            peer.shutdown_channel(channel, outcome)
        else:
            _arm(peer, hub, channel, outcome)
    except Exception:
        # A loop callback must not raise; this channel is the only one affected.
        log.exception("checking the token of %s", channel.topic)
