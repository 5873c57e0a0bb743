"""Settings of the embedded hub.

The tenant limits come from a Supabase plan (`limits`, `serve --limits`): Free by default (the
plan whose limits are lowest), so a client that Supabase would cut off is cut off by the hub
too. A field given explicitly overrides its plan's value. Each field's docstring names where the
value comes from.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

APP_NAME = "watchparty-tui"
"""The app's name for platformdirs (the same folder as the app's own data)."""

DEFAULT_PORT = 54380
"""Fixed default port. Chosen next to, but outside, the Supabase CLI's local range (54321-54327),
so a local Supabase stack and the hub can run side by side."""


Plan = Literal["free", "pro", "team", "off"]
PLAN_NAMES: tuple[Plan, ...] = ("free", "pro", "team", "off")


@dataclass(frozen=True)
class PlanLimits:
    """One plan's row of Supabase's limits table (https://supabase.com/docs/guides/realtime/limits;
    None: not limited). The rate limits are per project, per second, averaged over 60 s."""

    max_events_per_second: int | None
    max_presence_events_per_second: int | None
    max_joins_per_second: int | None
    max_concurrent_users: int | None
    max_payload_size_kb: int
    client_presence_max_calls: int | None


PLANS: dict[Plan, PlanLimits] = {
    "free": PlanLimits(100, 20, 100, 200, 256, 5),
    "pro": PlanLimits(500, 50, 500, 500, 3000, 5),
    "team": PlanLimits(2500, 1000, 2500, 10_000, 3000, 5),
    # No tenant limits. Payloads keep the server's own default (3000 KB, also the paid plans');
    # channels per socket, frame size, socket count and the hub-only flood guards stay.
    "off": PlanLimits(None, None, None, None, 3000, None),
}

OFF_FLOOD_BASIS = 2500
"""The message rate the per-socket flood guard takes a share of when no message limit is
enforced: the largest plan's (Team, 2500/s)."""


class HubSettings(BaseModel):
    """How the hub listens and which limits it enforces."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _plan_defaults(cls, data: Any) -> Any:
        """The plan's values for the limit fields not given explicitly."""
        if not isinstance(data, dict):
            return data
        plan = PLANS.get(data.get("limits", "free"))
        if plan is None:
            return data  # the `limits` field reports it
        return {**asdict(plan), **data}

    @model_validator(mode="after")
    def _cert_with_key(self) -> HubSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("a TLS certificate needs its key: give both --tls-cert and --tls-key")
        return self

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "the JWT secret must be at least 32 characters (as GoTrue asks); "
                "make one with `openssl rand -base64 32`"
            )
        return value

    limits: Plan = "free"
    """The Supabase plan whose limits the hub enforces (free, pro, team), or off: no tenant
    limits. It sets the limit fields below that are not given explicitly."""

    bind: str = "127.0.0.1"
    """Address to listen on. Anything but loopback requires `key`."""

    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    """TCP port; 0 picks a free one (tests)."""

    key: SecretStr | None = None
    """API key clients must present (`apikey` query parameter, `apikey` or `x-api-key` header).
    Without one any key is accepted, and only loopback binds are allowed."""

    tls: bool = False
    """Serve https/wss with a self-signed certificate made on first start and kept beside the
    database (`hub-tls-cert.pem`, its key `hub-tls-key.pem` mode 0600); members pin its
    fingerprint (printed at start) with `--pin`. `tls_cert` and `tls_key` take precedence."""

    tls_cert: Path | None = None
    """A PEM certificate (chain, leaf first) to serve https/wss with; needs `tls_key`."""

    tls_key: Path | None = None
    """The PEM private key of `tls_cert`."""

    jwt_secret: SecretStr | None = None
    """The secret the hub signs its access tokens with (HS256, at least 32 bytes). None: the
    one kept in `hub-jwt-secret` (mode 0600) beside the database, made on first start. Tokens
    live as long as it does; delete the file to sign everyone out."""

    db_path: Path | None = None
    """SQLite file of the room tables (the REST subset and postgres_changes). None: hub.sqlite3
    in the user's data folder (`default_db_path()`); created on first use."""

    max_rest_body_bytes: int = Field(default=1_000_000, ge=1024)
    """Largest REST request body (HTTP 413 past it). A comment is at most 2000 characters."""

    max_rest_rows: int = Field(default=1000, ge=1)
    """Most rows one REST read returns (Supabase's default 'Max rows', db-max-rows = 1000)."""

    max_pending_writes: int = Field(default=256, ge=1)
    """Writes queued for the database at once; past it a write is refused at once with 503
    (PGRST000, as PostgREST when its pool is exhausted) rather than waiting without bound."""

    rest_requests_per_s: float = Field(default=50.0, gt=0)
    """REST and sign-in requests one client (its user id, else its address) may make per
    second on average (429 past it). The app makes a few a second at most."""

    rest_burst: int = Field(default=200, ge=1)
    """The same client's requests at once before `rest_requests_per_s` applies."""

    # --- Supabase limits (defaults: the plan in `limits`; None: not enforced) -----------------
    max_concurrent_users: int | None = Field(default=200, ge=1)
    """Sockets with at least one joined channel (Supabase 'Concurrent connections': Free 200,
    Pro 500, Team 10,000; server TENANT_MAX_CONCURRENT_USERS=200). Checked at join, as the
    server does."""

    max_events_per_second: int | None = Field(default=100, ge=1)
    """Tenant message rate per second (Free 100, Pro 500, Team 2500;
    TENANT_MAX_EVENTS_PER_SECOND=100). Counts each client broadcast on arrival plus each
    delivery (the sender's own echo included), REST broadcasts and unknown client events. The
    server compares it with the per-second average of a rate counter (`rate_tick_s` x
    `rate_buckets`, i.e. over the last minute; see hub.limits): at it, channels that receive a
    message get 'Too many messages per second'. postgres_changes have a counter of their own
    with the same limit (past it changes are skipped, channels stay open)."""

    max_joins_per_second: int | None = Field(default=100, ge=1)
    """Tenant channel joins per second (Free 100, Pro 500, Team 2500;
    TENANT_MAX_JOINS_PER_SECOND=100), the same counter shape; at it joins are refused."""

    max_channels_per_client: int = Field(default=100, ge=1)
    """Channels one socket may join (every plan 100; TENANT_MAX_CHANNELS_PER_CLIENT=100)."""

    max_presence_events_per_second: int | None = Field(default=20, ge=1)
    """Tenant presence messages per second (Free 20, Pro 50, Team 1000; the server's own
    default is 1000), the same counter shape. Counts each accepted track, each presence_state
    and each delivered presence_diff; a track or presence_state is refused (the channel
    closed) while the average is strictly above it."""

    client_presence_max_calls: int | None = Field(default=5, ge=1)
    """Presence track/untrack calls per channel join per window (every plan: 5)."""

    client_presence_window_s: float = Field(default=30.0, gt=0)
    """Window of `client_presence_max_calls` (every plan: 30 s, a fixed window)."""

    max_payload_size_kb: int = Field(default=256, ge=1)
    """Broadcast/presence payload limit in KB (Free 256; Pro, Team and the server default
    3000). Checked like the server: size > kb * 1000 + 500 bytes."""

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
    one socket may spend this share of `max_events_per_second` per second, and
    `client_burst_s` seconds of it at once. Half, not less: a host's normal bursts (a play,
    its anchors and clock answers) must never trip it. With no message limit it takes a share
    of `OFF_FLOOD_BASIS`."""

    client_burst_s: float = Field(default=10.0, gt=0)
    """Seconds of a socket's share it may spend at once. Ten: one socket alone still never
    trips the tenant limit (the counter's first tick averages over two buckets, 10 s, in which
    a socket lands at most 500 + 5 s x 50 = 750 of the Free plan's 1000; over the full minute
    at most 500 + 60 x 50 = 3500 of 6000), and a newcomer to a room of 50 is not cut off for
    its join (its report, member_joined, its presence track and a clock ping cost 51 each:
    255, past the 250 that 5 s of the share allowed)."""

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
    def client_event_budget(self) -> tuple[float, float]:
        """The per-socket flood guard: (tokens at once, tokens refilled per second)."""
        basis = self.max_events_per_second or OFF_FLOOD_BASIS
        per_second = self.client_share_of_event_budget * basis
        return per_second * self.client_burst_s, per_second

    def limits_summary(self) -> str:
        """The limits in force, for the start-up line."""
        plan = PLANS[self.limits]
        effective = PlanLimits(
            self.max_events_per_second,
            self.max_presence_events_per_second,
            self.max_joins_per_second,
            self.max_concurrent_users,
            self.max_payload_size_kb,
            self.client_presence_max_calls,
        )
        if self.limits == "off":
            shown = "no tenant limits (--limits off"
        else:
            shown = f"Supabase {self.limits.capitalize()} plan (--limits {self.limits}"
        shown += ", overridden)" if effective != plan else ")"
        window_s = self.rate_tick_s * self.rate_buckets
        shown = f"{shown}: {describe_limits(effective, window_s)}"
        return shown + ("; the hub's flood guards stay" if self.limits == "off" else "")

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_size_kb * 1000 + 500

    @property
    def binds_loopback(self) -> bool:
        return is_loopback_host(self.bind)

    @property
    def database(self) -> Path:
        return self.db_path if self.db_path is not None else default_db_path()

    @property
    def jwt_secret_path(self) -> Path:
        return self.database.with_name("hub-jwt-secret")

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.tls_cert is not None

    @property
    def self_signed_cert_path(self) -> Path:
        return self.database.with_name("hub-tls-cert.pem")

    @property
    def self_signed_key_path(self) -> Path:
        return self.database.with_name("hub-tls-key.pem")


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


def describe_limits(limits: PlanLimits, window_s: float = 60.0) -> str:
    """e.g. '100 messages/s, 20 presence messages/s, 100 joins/s (each averaged over 60 s),
    200 users, 5 presence calls per client per 30 s, 256 KB payloads'; unlimited ones left out."""
    rates = [
        f"{value} {what}/s"
        for value, what in (
            (limits.max_events_per_second, "messages"),
            (limits.max_presence_events_per_second, "presence messages"),
            (limits.max_joins_per_second, "joins"),
        )
        if value is not None
    ]
    parts = [", ".join(rates) + f" (each averaged over {window_s:g} s)"] if rates else []
    if limits.max_concurrent_users is not None:
        parts.append(f"{limits.max_concurrent_users} users")
    if limits.client_presence_max_calls is not None:
        parts.append(f"{limits.client_presence_max_calls} presence calls per client per 30 s")
    parts.append(f"{limits.max_payload_size_kb} KB payloads")
    return ", ".join(parts)
