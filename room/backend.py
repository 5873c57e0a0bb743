"""The server a room runs on, as supabase-py sees it: the same client for the hub and Supabase.

The app signs in (anonymously unless the user gave a token), on a Supabase project and on a
hub alike (the hub serves the same /auth/v1 subset), because the room's rules know members by
their auth user id; that id becomes our user id in the room. The session is kept in a file
in the data folder, so a restart is the same user. A server without sign-in (an older hub)
answers 404 there, and ``auto`` then goes on with the app's own user id.

The API key is sent with every request, so it is never sent in the clear to another machine:
plain http is refused for any host but this one unless the user says the network is theirs.
Over https every connection to the server (sign-in, the tables, the realtime socket) uses one
TLS context (room.tls): the pinned certificate's when there is a pin, else the CA chain's;
before the first request one handshake checks it, so a wrong certificate is refused in plain
words with nothing sent.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import json
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from supabase import AsyncClient, AsyncClientOptions
from supabase_auth import AsyncSupportedStorage
from supabase_auth.errors import AuthApiError, AuthError

from room.tls import PinError, PinMismatch, UntrustedCertificate, check_server, client_context

log = logging.getLogger(__name__)

SignIn = Literal["auto", "anonymous", "off"]


class BackendError(Exception):
    """We could not sign in; ``str()`` says why and what to do."""


class FileStorage(AsyncSupportedStorage):
    """supabase-auth's session storage in a file only the user can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return (
            {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
        )

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(temporary, self.path)

    async def get_item(self, key: str) -> str | None:
        return self._read().get(key)

    async def set_item(self, key: str, value: str) -> None:
        self._write({**self._read(), key: value})

    async def remove_item(self, key: str) -> None:
        data = self._read()
        data.pop(key, None)
        self._write(data)


@dataclass
class Backend:
    client: AsyncClient
    user_id: str | None
    """The signed-in user's id (it is the room's user id); None when the server has no auth."""
    fixed_token: str | None = None
    ssl_context: ssl.SSLContext | None = None
    """The TLS every https/wss connection to the server uses (None: plain http)."""

    async def access_token(self) -> str | None:
        """The token for the realtime channel (fresh: supabase-auth refreshes it)."""
        if self.fixed_token is not None:
            return self.fixed_token
        if self.user_id is None:
            return None
        session = await self.client.auth.get_session()
        return session.access_token if session else None


async def open_backend(
    url: str,
    key: str,
    *,
    sign_in: SignIn = "auto",
    user_token: str | None = None,
    session_file: Path | None = None,
    allow_plain_http: bool = False,
    pin: str | None = None,
) -> Backend:
    """A supabase-py client for ``url``; signed in as ``sign_in`` says.

    ``auto`` signs in anonymously when the server offers Supabase Auth and goes on without
    when it does not; ``anonymous`` insists; ``off`` never signs in. A kept session the
    server no longer accepts (its hub was reset, its user deleted) is replaced by a new
    sign-in. ``pin`` (``SHA256:...``) accepts exactly that certificate on https instead of
    the CA chain.
    """
    check_transport(url, allow_plain_http=allow_plain_http, pinned=pin is not None)
    context = await _checked_tls(url, pin)
    storage = FileStorage(session_file) if session_file is not None else None
    options = AsyncClientOptions(storage=storage) if storage else AsyncClientOptions()
    if context is not None:
        # supabase-py hands this one client to the tables and to sign-in.
        options.httpx_client = httpx.AsyncClient(
            verify=context, http2=True, follow_redirects=True, timeout=HTTP_TIMEOUT
        )
    if user_token:
        options.headers["Authorization"] = f"Bearer {user_token}"
    client = await AsyncClient.create(url, key, options)
    if user_token:
        return Backend(client, subject_of(user_token), user_token, context)
    if sign_in == "off":
        return Backend(client, None, ssl_context=context)
    try:
        session = await client.auth.get_session()
        if session is not None and not await _still_accepted(client):
            log.warning("the server no longer accepts our kept session: signing in anew")
            with contextlib.suppress(AuthError):  # its logout may refuse the token too
                await client.auth.sign_out({"scope": "local"})
            session = None
        if session is None:
            response = await client.auth.sign_in_anonymously()
            session = response.session
    except AuthError as error:
        status = _status_of(error)
        if sign_in == "auto" and status in (404, 405):
            log.info("the server has no sign-in (HTTP %s): going on without", status)
            return Backend(client, None, ssl_context=context)
        raise BackendError(_explain(error)) from error
    if session is None:
        raise BackendError("Could not sign in: the server returned no session.")
    return Backend(client, session.user.id, ssl_context=context)


HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TLS_CHECK_TIMEOUT_S = 10.0


async def _checked_tls(url: str, pin: str | None) -> ssl.SSLContext | None:
    """The TLS context for an https server, once one handshake has shown that it holds."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "wss"):
        return None
    try:
        context = client_context(pin)
    except PinError as error:
        raise BackendError(str(error)) from None
    host = parts.hostname or ""
    try:
        await check_server(host, parts.port or 443, context, TLS_CHECK_TIMEOUT_S)
    except (PinMismatch, UntrustedCertificate) as error:
        raise BackendError(str(error)) from None
    except TimeoutError:
        raise BackendError(f"Could not reach {host}: no answer to a TLS handshake.") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise BackendError(f"Could not reach {host} over TLS: {reason}.") from None
    return context


async def _still_accepted(client: AsyncClient) -> bool:
    """Whether the server still takes the kept session's token (GoTrue: 401/403 if not;
    anything else, a server that cannot say included, keeps the session as it was)."""
    try:
        await client.auth.get_user()
    except AuthApiError as error:
        return not (error.status in (401, 403) or _is_bad_jwt(error))
    except AuthError:
        return True
    return True


def _is_bad_jwt(error: AuthApiError) -> bool:
    return getattr(error, "code", None) in ("bad_jwt", "user_not_found", "session_not_found")


def check_transport(url: str, *, allow_plain_http: bool, pinned: bool = False) -> None:
    """Refuse to send the key in the clear to another machine (BackendError says why). https
    is safe, CA-verified or pinned; a pin on plain http is a mistake worth naming."""
    parts = urlsplit(url)
    if pinned and parts.scheme not in ("https", "wss"):
        raise BackendError(
            f"A certificate pin needs an https:// address, not {parts.scheme}://: the hub "
            "prints the https:// address to use along with its fingerprint."
        )
    if parts.scheme not in ("http", "ws") or allow_plain_http:
        return
    host = parts.hostname or ""
    if is_loopback(host):
        return
    raise BackendError(
        f"Refusing to send the room's key over plain http to {host}: anyone on the network "
        "between you could read it and join as you. Use an https:// address, or, if this "
        "network is yours alone, set server.allow_plain_http = true (--allow-plain-http)."
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _status_of(error: AuthError) -> int | None:
    """The HTTP status behind a sign-in error (a hub answers a plain 404)."""
    if isinstance(error, AuthApiError):
        return error.status
    for cause in (getattr(error, "original_error", None), error.__cause__, error.__context__):
        if isinstance(cause, httpx.HTTPStatusError):
            return cause.response.status_code
    return None


def _explain(error: AuthError) -> str:
    text = f"Could not sign in: {error.message}"
    if "anonymous" in error.message.lower():
        text += (
            " Enable anonymous sign-ins in the project's Authentication settings, or set"
            " server.user_token to a user's access token."
        )
    return text


def subject_of(token: str) -> str | None:
    """The ``sub`` claim of a JWT (not verified: the server does that)."""
    try:
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None
