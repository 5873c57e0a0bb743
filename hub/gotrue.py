"""`/auth/v1`: the part of Supabase Auth (GoTrue) the app uses, so it signs in to a hub exactly
as to a Supabase project: anonymous sign-up, token refresh, the user, sign-out.

Responses and errors are GoTrue's (supabase/auth bc32168):
- `POST /signup` without email or phone signs up an anonymous user (internal/api/api.go:238-245
  routes it to SignupAnonymously, internal/api/anonymous.go:12-59) and answers 200 with an
  AccessTokenResponse (internal/tokens/service.go:105-116: access_token, token_type "bearer",
  expires_in, expires_at, refresh_token, user).
- `POST /token?grant_type=refresh_token`: a new pair; no refresh_token is the OAuth error
  `{"error": "invalid_request", "error_description": "refresh_token required"}`
  (internal/tokens/service.go:192-193), an unknown one 400 `refresh_token_not_found` "Invalid
  Refresh Token: Refresh Token Not Found" (service.go:210), another grant 400
  `invalid_credentials` "unsupported_grant_type" (internal/api/token.go:60).
- `GET /user`: no bearer token is 401 `no_authorization` "This endpoint requires a valid Bearer
  token" (internal/api/auth.go:77); a bad one 403 `bad_jwt` "invalid JWT: unable to parse or
  verify signature, <why>" (auth.go:112) — GoTrue answers 403 here, PostgREST 401.
- Errors are `{"code": status, "error_code": ..., "msg": ...}` (apierrors/apierrors.go:48-54).

The user is described from its token (the hub keeps no user table): `created_at` is the
session's start. Sign-up and refresh count against the client's request rate (429
`over_request_rate_limit`, apierrors/errorcode.go:81).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hub import auth
from hub.hub_state import HubState
from hub.limits import ClientLimit
from hub.tokens import ACCESS_TOKEN_TTL_S, Claims, Issued, TokenError

log = logging.getLogger("hub.gotrue")

PREFIX = "/auth/v1"
MAX_BODY_BYTES = 16_384


def _error(status: int, error_code: str, message: str) -> web.Response:
    body = {"code": status, "error_code": error_code, "msg": message}
    return web.json_response(body, status=status)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


class AuthApi:
    def __init__(self, hub: HubState, limit: ClientLimit) -> None:
        self.hub = hub
        self.limit = limit

    def _gate(self, request: web.Request) -> None:
        """The API key (as Supabase's gateway checks it) and the client's request rate."""
        presented = request.headers.get("apikey") or request.query.get("apikey")
        reason = auth.refusal(self.hub.settings, presented, request)
        if reason == "missing":
            missing = {"message": "No API key found in request"}
            raise _Refused(web.json_response(missing, status=401))
        if reason is not None:
            raise _Refused(web.json_response({"message": "Invalid API key"}, status=401))
        wait_s = self.limit.retry_after(f"address {request.remote}")
        if wait_s is not None:
            refused = _error(429, "over_request_rate_limit", "Request rate limit reached")
            refused.headers["Retry-After"] = str(wait_s)
            raise _Refused(refused)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise _Refused(_error(413, "request_too_large", "Request body is too large"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise _Refused(
                _error(400, "bad_json", "Could not parse request body as JSON")
            ) from None
        if not isinstance(body, dict):
            raise _Refused(_error(400, "bad_json", "Could not parse request body as JSON"))
        return body

    async def signup(self, request: web.Request) -> web.StreamResponse:
        try:
            self._gate(request)
            body = await self._body(request)
        except _Refused as refused:
            return refused.response
        if body.get("email") or body.get("phone"):
            # The hub has no mail or SMS: only the anonymous sign-up is served.
            return _error(422, "email_provider_disabled", "Email signups are disabled")
        data = body.get("data")
        metadata = data if isinstance(data, dict) else {}
        issued = self.hub.tokens.issue(str(uuid.uuid4()), user_metadata=metadata)
        log.info("signed up anonymous user %s", issued.claims.sub)
        return web.json_response(_session(issued))

    async def token(self, request: web.Request) -> web.StreamResponse:
        try:
            self._gate(request)
            body = await self._body(request)
        except _Refused as refused:
            return refused.response
        if request.query.get("grant_type") != "refresh_token":
            return _error(400, "invalid_credentials", "unsupported_grant_type")
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            return web.json_response(
                {"error": "invalid_request", "error_description": "refresh_token required"},
                status=400,
            )
        try:
            user_id, session_id, metadata = self.hub.tokens.verify_refresh(refresh)
        except TokenError as error:
            log.info("refresh refused: %s", error)
            return _error(
                400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
            )
        issued = self.hub.tokens.issue(user_id, session_id=session_id, user_metadata=metadata)
        return web.json_response(_session(issued))

    async def user(self, request: web.Request) -> web.StreamResponse:
        claims = self._signed_in(request)
        if isinstance(claims, web.Response):
            return claims
        return web.json_response(_user(claims))

    async def logout(self, request: web.Request) -> web.StreamResponse:
        claims = self._signed_in(request)
        if isinstance(claims, web.Response):
            return claims
        # Stateless tokens: nothing to revoke. The client forgets its session (GoTrue: 204).
        return web.Response(status=204)

    def _signed_in(self, request: web.Request) -> Claims | web.Response:
        """The gate, then the caller's access token: its claims, or the refusal to send."""
        try:
            self._gate(request)
        except _Refused as refused:
            return refused.response
        return self._claims(request)

    def _claims(self, request: web.Request) -> Claims | web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "no_authorization", "This endpoint requires a valid Bearer token")
        try:
            claims = self.hub.tokens.verify(token.strip())
        except TokenError as error:
            return _error(
                403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {error}"
            )
        if claims.sub is None:
            return _error(403, "bad_jwt", "invalid claim: missing sub claim")
        return claims


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _user(claims: Claims) -> dict[str, Any]:
    """GoTrue's user object (models.User) for an anonymous user."""
    at = _iso(claims.iat)
    return {
        "id": claims.sub,
        "aud": "authenticated",
        "role": claims.role,
        "email": "",
        "phone": "",
        "last_sign_in_at": at,
        "app_metadata": {},
        "user_metadata": claims.user_metadata,
        "identities": [],
        "created_at": at,
        "updated_at": at,
        "is_anonymous": True,
    }


def _session(issued: Issued) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_TTL_S,
        "expires_at": issued.expires_at,
        "refresh_token": issued.refresh_token,
        "user": _user(issued.claims),
    }


def add_auth_routes(app: web.Application, hub: HubState, limit: ClientLimit) -> None:
    api = AuthApi(hub, limit)
    app.router.add_post(PREFIX + "/signup", api.signup)
    app.router.add_post(PREFIX + "/token", api.token)
    app.router.add_get(PREFIX + "/user", api.user)
    app.router.add_post(PREFIX + "/logout", api.logout)
