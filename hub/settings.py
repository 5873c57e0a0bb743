"""Settings of the embedded hub.

Every limit defaults to what a Supabase project on the Free plan enforces (the plan whose limits
are lowest), so a client that the hub accepts is not cut off by a hosted project. Each field's
docstring names where the value comes from.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr

APP_NAME = "watchparty-tui"
"""The app's name for platformdirs (the same folder as the app's own data)."""

DEFAULT_PORT = 54380
"""Fixed default port. Chosen next to, but outside, the Supabase CLI's local range (54321-54327),
so a local Supabase stack and the hub can run side by side."""


class HubSettings(BaseModel):
    """How the hub listens and which limits it enforces."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    bind: str = "127.0.0.1"
    """Address to listen on. Anything but loopback requires `key`."""

    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    """TCP port; 0 picks a free one (tests)."""

    key: SecretStr | None = None
    """API key clients must present (`apikey` query parameter, `apikey` or `x-api-key` header).
    Without one any key is accepted, and only loopback binds are allowed."""

    db_path: Path | None = None
    """SQLite file of the room tables (the REST subset and postgres_changes). None: hub.sqlite3
    in the user's data folder (`default_db_path()`); created on first use."""

    max_rest_body_bytes: int = Field(default=1_000_000, ge=1024)
    """Largest REST request body (HTTP 413 past it). A comment is at most 2000 characters."""

    max_rest_rows: int = Field(default=1000, ge=1)
    """Most rows one REST read returns (Supabase's default 'Max rows', db-max-rows = 1000)."""

    # --- Supabase limits (Free plan / server defaults) ----------------------------------------
    max_concurrent_users: int = Field(default=200, ge=1)
    """Sockets with at least one joined channel (Supabase: 'Concurrent connections', Free 200;
    server TENANT_MAX_CONCURRENT_USERS=200). Checked at join, as the server does."""

    max_events_per_second: int = Field(default=100, ge=1)
    """Tenant message rate (Free 100; TENANT_MAX_EVENTS_PER_SECOND=100). Counts each broadcast
    sent plus each delivery. Compared, as the server does, against the average per tick of a
    rate counter (see `rate_tick_s`); past it channels get 'Too many messages per second'."""

    max_joins_per_second: int = Field(default=100, ge=1)
    """Tenant channel joins (Free 100; TENANT_MAX_JOINS_PER_SECOND=100), same counter shape."""

    max_channels_per_client: int = Field(default=100, ge=1)
    """Channels one socket may join (every plan 100; TENANT_MAX_CHANNELS_PER_CLIENT=100)."""

    max_presence_events_per_second: int = Field(default=20, ge=1)
    """Tenant presence messages (Free 20; the server's own default is 1000). Counts tracks and
    each delivered presence_diff."""

    client_presence_max_calls: int = Field(default=5, ge=1)
    """Presence track/untrack calls per channel join per window (every plan: 5)."""

    client_presence_window_s: float = Field(default=30.0, gt=0)
    """Window of `client_presence_max_calls` (every plan: 30 s, a fixed window)."""

    max_payload_size_kb: int = Field(default=256, ge=1)
    """Broadcast/presence payload limit in KB (Free 256; paid plans and the server default 3000).
    Checked like the server: size > kb * 1000 + 500 bytes."""

    max_frame_bytes: int = Field(default=5_000_000, ge=1024)
    """Largest websocket message (the server's max_frame_size, 5,000,000 bytes)."""

    rate_tick_s: float = Field(default=5.0, gt=0)
    """Tick of the tenant rate counters (server: 5 s). Each tick closes a bucket of counts."""

    rate_buckets: int = Field(default=12, ge=1)
    """Buckets the tenant rate counters average over (server: 12, so a 60 s window)."""

    # --- Hub-only protections (no Supabase equivalent; they only make the hub stricter) ---------
    idle_timeout_s: float = Field(default=60.0, gt=0)
    """Close a socket that sends nothing for this long (Phoenix's transport timeout, 60 s;
    clients send a heartbeat every 25 s)."""

    client_share_of_event_budget: float = Field(default=0.5, gt=0, le=1)
    """Per-socket flood guard, in the tenant counter's units (a message plus each delivery):
    one socket may spend this share of `max_events_per_second` at once, refilled at the same
    share per `rate_tick_s`, so at most twice the share in any tick. A flooder is then cut off
    before it trips the tenant limit, which would close everyone's channels. Half, not less:
    a host's normal bursts (a play, its anchors and clock answers) must never trip it."""

    client_burst_frames: int = Field(default=500, ge=1)
    """Per-socket frame guard over everything it sends (heartbeats and joins included)."""

    client_frames_per_second: float = Field(default=100.0, gt=0)
    """Refill rate of `client_burst_frames`."""

    max_outbound_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """A socket whose unsent output grows past this stopped reading; it is disconnected so
    that it cannot hold memory or slow the room."""

    max_sockets: int = Field(default=10_000, ge=1)
    """Open websockets, joined or not (HTTP 429 past it)."""

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_size_kb * 1000 + 500

    @property
    def binds_loopback(self) -> bool:
        return is_loopback_host(self.bind)

    @property
    def database(self) -> Path:
        return self.db_path if self.db_path is not None else default_db_path()


def default_db_path() -> Path:
    """hub.sqlite3 in the data folder the app keeps its user id in."""
    return platformdirs.user_data_path(APP_NAME) / "hub.sqlite3"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
