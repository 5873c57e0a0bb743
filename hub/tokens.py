"""The hub's access tokens: HS256 JWTs as Supabase Auth signs them, checked as PostgREST checks.

An access token carries GoTrue's claims (`sub`, `role: authenticated`, `aud: authenticated`,
`exp`, `iat`, `session_id`, `is_anonymous`; supabase/auth bc32168, internal/tokens/service.go
AccessTokenClaims) and is signed with the hub's secret. A refresh token is a JWT of its own
audience (`aud: refresh`), so one is never accepted where an access token is wanted; the hub
keeps no session table, so a refresh token stays valid as long as the secret does (GoTrue
rotates them; see hub/README.md).

Verification follows PostgREST (PostgREST 4834678, src/library/PostgREST/Auth/Jwt.hs:59-71):
HS256 only, `exp` in the past or `iat`/`nbf` in the future by more than 30 s refused, and each
failure named with PostgREST's message (src/library/PostgREST/Error.hs:655-673), which the REST
subset returns as is and the other endpoints wrap in their own shape.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt

ACCESS_TOKEN_TTL_S = 3600
"""GoTrue's default JWT expiry (GOTRUE_JWT_EXP = 3600)."""

MAX_TOKEN_BYTES = 4096
"""Longer tokens are refused before any parsing. A hub token is about 500 bytes."""

MIN_SECRET_BYTES = 32
"""As GoTrue asks of GOTRUE_JWT_SECRET, and RFC 7518 of an HS256 key."""

ALLOWED_SKEW_S = 30
"""PostgREST's allowed clock skew for exp/nbf/iat (Jwt.hs:65)."""

ACCESS_AUDIENCE = "authenticated"
REFRESH_AUDIENCE = "refresh"

Role = Literal["anon", "authenticated", "service_role"]
ROLES: tuple[Role, ...] = ("anon", "authenticated", "service_role")

Failure = Literal["decode", "crypto", "expired", "future", "audience", "claims"]


class TokenError(Exception):
    """A token the hub does not accept. ``str()`` is PostgREST's message for the failure."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message

    @property
    def postgrest_code(self) -> str:
        """PGRST301 for a token that cannot be decoded or verified, PGRST303 for bad claims."""
        return "PGRST301" if self.failure in ("decode", "crypto") else "PGRST303"


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified access token says."""

    role: Role
    sub: str | None
    session_id: str | None
    exp: int
    iat: int
    is_anonymous: bool
    user_metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Issued:
    access_token: str
    expires_at: int
    refresh_token: str
    claims: Claims


def load_secret(path: Path) -> bytes:
    """The secret kept in ``path``, made (0600, 32 random bytes) on first use."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    if text:
        return text.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    # Two hubs starting at once: the first rename wins and both read the same secret.
    if not path.exists():
        os.replace(temporary, path)
    else:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip().encode("ascii")


class Tokens:
    """Signs and checks the hub's tokens. ``now`` is wall-clock seconds (tests pass a fake)."""

    def __init__(
        self, secret: bytes, *, issuer: str = "watchparty-hub", now: Callable[[], float] = time.time
    ) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the hub's JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self.issuer = issuer
        self.now = now

    # --- issuing ------------------------------------------------------------------------------
    def issue(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        user_metadata: dict[str, Any] | None = None,
        role: Role = "authenticated",
    ) -> Issued:
        """An access token and a refresh token for ``user_id`` (a new session unless given)."""
        session_id = session_id or str(uuid.uuid4())
        iat = int(self.now())
        exp = iat + ACCESS_TOKEN_TTL_S
        metadata = dict(user_metadata or {})
        body = {
            "iss": self.issuer,
            "sub": user_id,
            "aud": ACCESS_AUDIENCE,
            "exp": exp,
            "iat": iat,
            "role": role,
            "aal": "aal1",
            "amr": [{"method": "anonymous", "timestamp": iat}],
            "session_id": session_id,
            "is_anonymous": True,
            "app_metadata": {},
            "user_metadata": metadata,
        }
        access = jwt.encode(body, self._secret, algorithm="HS256")
        refresh = jwt.encode(
            {
                "iss": self.issuer,
                "sub": user_id,
                "aud": REFRESH_AUDIENCE,
                "session_id": session_id,
                "iat": iat,
                "jti": secrets.token_urlsafe(9),
                "user_metadata": metadata,
            },
            self._secret,
            algorithm="HS256",
        )
        claims = Claims(role, user_id, session_id, exp, iat, True, metadata)
        return Issued(access, exp, refresh, claims)

    def service_token(self) -> str:
        """A `service_role` token (as a project's service key): the room's rules do not apply.
        The hub never hands one out; tests and tools that hold the secret make their own."""
        iat = int(self.now())
        exp = iat + 10 * 365 * 86400
        body = {"iss": self.issuer, "role": "service_role", "iat": iat, "exp": exp}
        return jwt.encode(body, self._secret, algorithm="HS256")

    # --- checking -----------------------------------------------------------------------------
    def verify(self, token: str) -> Claims:
        """The claims of an access token; raises `TokenError`."""
        body = self._decode(token)
        # A service token has no audience; any other must be an access token's.
        service_without_audience = body.get("role") == "service_role" and "aud" not in body
        if not service_without_audience and body.get("aud") != ACCESS_AUDIENCE:
            raise TokenError("audience", "JWT not in audience")
        self._check_times(body, require_exp=True)
        role = body.get("role")
        if role not in ROLES:
            raise TokenError("claims", "Parsing claims failed")
        sub = body.get("sub")
        if role == "authenticated" and (not isinstance(sub, str) or not sub):
            raise TokenError("claims", "Parsing claims failed")
        metadata = body.get("user_metadata")
        return Claims(
            role,
            sub if isinstance(sub, str) else None,
            body.get("session_id") if isinstance(body.get("session_id"), str) else None,
            int(body["exp"]),
            int(body.get("iat", 0)),
            body.get("is_anonymous") is True,
            metadata if isinstance(metadata, dict) else {},
        )

    def verify_refresh(self, token: str) -> tuple[str, str, dict[str, Any]]:
        """(user id, session id, user metadata) of a refresh token; raises `TokenError`."""
        body = self._decode(token)
        if body.get("aud") != REFRESH_AUDIENCE:
            raise TokenError("audience", "JWT not in audience")
        self._check_times(body, require_exp=False)
        sub, session_id = body.get("sub"), body.get("session_id")
        if not isinstance(sub, str) or not isinstance(session_id, str):
            raise TokenError("claims", "Parsing claims failed")
        metadata = body.get("user_metadata")
        return sub, session_id, metadata if isinstance(metadata, dict) else {}

    def _decode(self, token: str) -> dict[str, Any]:
        """The verified body (signature and algorithm; claims are the caller's to check)."""
        if not token:
            raise TokenError("decode", "Empty JWT is sent in Authorization header")
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenError("decode", f"JWT is longer than {MAX_TOKEN_BYTES} bytes")
        parts = token.count(".") + 1
        if parts != 3:
            raise TokenError("decode", f"Expected 3 parts in JWT; got {parts}")
        try:
            body = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                # Times and audience are checked here, against our clock, with PostgREST's skew.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                },
            )
        except jwt.InvalidAlgorithmError:
            raise TokenError("decode", "Wrong or unsupported encoding algorithm") from None
        except jwt.InvalidSignatureError:
            raise TokenError("crypto", "JWT cryptographic operation failed") from None
        except jwt.PyJWTError:
            raise TokenError("decode", "JWT couldn't be decoded") from None
        if not isinstance(body, dict):
            raise TokenError("claims", "Parsing claims failed")
        return body

    def _check_times(self, body: dict[str, Any], *, require_exp: bool) -> None:
        now = self.now()
        for claim, message in (
            ("exp", "The JWT 'exp' claim must be a number"),
            ("nbf", "The JWT 'nbf' claim must be a number"),
            ("iat", "The JWT 'iat' claim must be a number"),
        ):
            value = body.get(claim)
            if value is None:
                if claim == "exp" and require_exp:
                    # Realtime too: "Fields `role` and `exp` are required in JWT".
                    raise TokenError("claims", "Parsing claims failed")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TokenError("claims", message)
            if claim == "exp" and value < now - ALLOWED_SKEW_S:
                raise TokenError("expired", "JWT expired")
            if claim == "nbf" and value > now + ALLOWED_SKEW_S:
                raise TokenError("future", "JWT not yet valid")
            if claim == "iat" and value > now + ALLOWED_SKEW_S:
                raise TokenError("future", "JWT issued at future")
