"""The REST subset of docs/data.md under `/rest/v1`, as postgrest-py calls it.

Each request is parsed and checked on the event loop (no I/O), then runs as one read or one
write on the store's threads. Every failure is a PostgREST error: bad input gets its 4xx, and
even a bug in the hub answers a JSON 500 rather than a traceback page.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from aiohttp import web

from hub import auth
from hub.data.errors import DataError, bad_query, unknown_table
from hub.data.ops import Delete, Select, Write
from hub.data.rules import Caller
from hub.data.schema import SCHEMA, TABLES, Table
from hub.data.store import Store
from hub.data.values import Row, now_timestamp
from hub.hub_state import HubState
from hub.limits import ClientLimit
from hub.rest.body import read_json
from hub.rest.caller import caller_of
from hub.rest.prefer import Prefer
from hub.rest.query import Query, conflict_target, parse_query
from hub.rest.respond import (
    body_response,
    content_range,
    error_response,
    no_body,
    rows_json,
    wants_single,
)
from hub.rest.rows import insert_from_body, update_from_body
from hub.rest.rpc import broadcast_room_event

log = logging.getLogger("hub.rest")

PREFIX = "/rest/v1/"


class RestApi:
    def __init__(self, hub: HubState, limit: ClientLimit) -> None:
        self.hub = hub
        self.limit = limit

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except DataError as error:
            if error.status >= 500:
                log.warning("%s %s: %s", request.method, request.path[:200], error.message)
            return error_response(error)
        except Exception:
            log.exception("internal error serving %s %s", request.method, request.path[:200])
            return error_response(DataError(500, "XX000", "internal error in the hub"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = self._check_key(request)
        caller = caller_of(request, self.hub.tokens, key)
        if not caller.bypasses_rules:
            self._check_rate(request, caller)
        self._check_profile(request)
        path = request.match_info.get("path", "")
        if path.startswith("rpc/"):
            if request.method != "POST":
                raise DataError(405, "PGRST101", "Only POST is served for functions")
            body = await read_json(request, self.hub.settings.max_rest_body_bytes)
            await broadcast_room_event(self.hub, caller, path[4:], body)
            return no_body(204, {})
        table = TABLES.get(path)
        if table is None:
            raise unknown_table(path)
        query = parse_query(table, request.query.items())
        prefer = Prefer.parse(request.headers.getall("Prefer", []), default_representation=False)
        single = wants_single(request.headers.get("Accept", ""))
        method = request.method
        if method in ("GET", "HEAD"):
            return await self._select(
                caller, table, query, prefer, single, head_only=method == "HEAD"
            )
        if method == "POST":
            return await self._insert(request, caller, table, query, prefer, single)
        if method in ("PATCH", "DELETE"):
            return await self._update_or_delete(request, caller, table, query, prefer, single)
        raise DataError(405, "PGRST117", f"Unsupported HTTP method: {method[:20]}")

    def _check_key(self, request: web.Request) -> str:
        """The API key presented (checked); raises 401 without a valid one."""
        presented = request.headers.get("apikey") or request.query.get("apikey")
        reason = auth.refusal(self.hub.settings, presented, request)
        if reason == "missing":
            raise DataError(
                401,
                "PGRST301",
                "No API key found in request",
                hint="No `apikey` request header or url param was found.",
            )
        if reason is not None:
            raise DataError(
                401,
                "PGRST301",
                "Invalid API key",
                hint="Use the key the hub was started with (--key).",
            )
        assert presented is not None
        return presented

    def _check_rate(self, request: web.Request, caller: Caller) -> None:
        """429 past the client's request rate. PostgREST has no rate limit of its own (on
        Supabase the API gateway has one): the error keeps PostgREST's shape, with
        PostgreSQL's 53400 (configuration_limit_exceeded) and a Retry-After header."""
        client = f"user {caller.user_id}" if caller.user_id else f"address {request.remote}"
        wait_s = self.limit.retry_after(client)
        if wait_s is None:
            return
        refused = DataError(
            429,
            "53400",
            "Too many requests from this client",
            f"At most {self.limit.per_second:g} requests a second, bursts of {self.limit.burst}.",
            f"Retry in {wait_s} s.",
        )
        refused.headers = {"Retry-After": str(wait_s)}
        raise refused

    @staticmethod
    def _check_profile(request: web.Request) -> None:
        for header in ("Accept-Profile", "Content-Profile"):
            schema = request.headers.get(header)
            if schema is not None and schema != SCHEMA:
                raise DataError(
                    406,
                    "PGRST106",
                    f"Invalid schema: {schema[:64]}",
                    hint=f"Only the following schemas are exposed: {SCHEMA}",
                )

    @property
    def _store(self) -> Store:
        store = self.hub.store
        if store is None or store.closed:
            raise DataError(503, "PGRST000", "The hub's database is not open")
        return store

    async def _write(self, op: Write) -> list[Row]:
        try:
            future = self._store.submit(op)
        except RuntimeError:  # the writer was shut down under us
            raise DataError(503, "PGRST000", "The hub's database is closing") from None
        return await asyncio.wrap_future(future)

    async def _select(
        self,
        caller: Caller,
        table: Table,
        query: Query,
        prefer: Prefer,
        single: bool,
        *,
        head_only: bool,
    ) -> web.StreamResponse:
        max_rows = self.hub.settings.max_rest_rows
        limit = max_rows if query.limit is None else min(query.limit, max_rows)
        select = Select(
            table,
            query.positions,
            query.filters,
            query.order,
            limit,
            query.offset,
            prefer.count,
            caller,
        )
        try:
            pending = self._store.read(select)
        except RuntimeError:  # the readers were shut down under us
            raise DataError(503, "PGRST000", "The hub's database is closing") from None
        result = await pending
        objects = rows_json(table, query.positions, result.rows)
        headers = {"Content-Range": content_range(query.offset, len(objects), result.total)}
        return body_response(200, objects, single=single, headers=headers, head_only=head_only)

    async def _insert(
        self,
        request: web.Request,
        caller: Caller,
        table: Table,
        query: Query,
        prefer: Prefer,
        single: bool,
    ) -> web.StreamResponse:
        body = await read_json(request, self.hub.settings.max_rest_body_bytes)
        resolution = prefer.resolution
        op = insert_from_body(
            table,
            body,
            columns=query.columns,
            missing_default=prefer.missing_default,
            conflict=conflict_target(table, query.on_conflict) if resolution else None,
            resolution=resolution,
            now=now_timestamp(),
        )
        rows = await self._write(dataclasses.replace(op, caller=caller))
        return self._written(201, table, query, rows, prefer, single)

    async def _update_or_delete(
        self,
        request: web.Request,
        caller: Caller,
        table: Table,
        query: Query,
        prefer: Prefer,
        single: bool,
    ) -> web.StreamResponse:
        verb = "UPDATE" if request.method == "PATCH" else "DELETE"
        if query.limit is not None or query.offset:
            raise bad_query(f"the hub does not serve limit or offset on {verb}")
        if not query.filters:
            # As Supabase (pg-safeupdate): a filterless update or delete is refused.
            raise DataError(400, "21000", f"{verb} requires a WHERE clause")
        op: Write
        if verb == "UPDATE":
            body = await read_json(request, self.hub.settings.max_rest_body_bytes)
            op = update_from_body(table, body, query.filters)
        else:
            op = Delete(table, query.filters)
        rows = await self._write(dataclasses.replace(op, caller=caller))
        return self._written(200, table, query, rows, prefer, single)

    @staticmethod
    def _written(
        status: int, table: Table, query: Query, rows: list[Row], prefer: Prefer, single: bool
    ) -> web.StreamResponse:
        total = len(rows) if prefer.count else None
        shown_total = "*" if total is None else str(total)
        headers = {
            "Content-Range": f"*/{shown_total}"
            if status == 201
            else content_range(0, len(rows), total)
        }
        if not prefer.representation:
            return no_body(201 if status == 201 else 204, headers)
        all_columns = range(len(table.columns))
        objects = rows_json(table, all_columns, rows)
        if tuple(all_columns) != query.positions:
            names = [table.columns[p].name for p in query.positions]
            objects = [{name: item[name] for name in names} for item in objects]
        return body_response(status, objects, single=single, headers=headers)


def add_rest_routes(app: web.Application, hub: HubState, limit: ClientLimit) -> None:
    api = RestApi(hub, limit)
    app.router.add_route("*", PREFIX + "{path:.*}", api.handle)
