"""Who a REST request runs as, from its `Authorization` header, as PostgREST decides it.

No bearer token, or the API key itself as the bearer (what supabase-py sends before signing
in, as a project's anon key is), is the `anon` role. Anything else must be a token this hub
signed: a bad one is a 401 with PostgREST's code and message (PGRST301/PGRST303,
src/library/PostgREST/Error.hs:651-673 at 4834678) and its `WWW-Authenticate` header.
"""

from __future__ import annotations

from aiohttp import web

from hub.data.errors import DataError
from hub.data.rules import ANON, Caller
from hub.tokens import TokenError, Tokens


def bearer_of(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def caller_of(request: web.Request, tokens: Tokens, api_key: str | None) -> Caller:
    token = bearer_of(request)
    if not token or token == api_key:
        return ANON
    try:
        claims = tokens.verify(token)
    except TokenError as error:
        raise token_refused(error) from None
    return Caller(claims.role, claims.sub)


def token_refused(error: TokenError) -> DataError:
    refused = DataError(401, error.postgrest_code, error.message)
    refused.headers = {
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{error.message}"'
    }
    return refused
