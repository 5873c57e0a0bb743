"""Responses as PostgREST shapes them: JSON bodies, Content-Range, errors as
`{code, details, hint, message}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from hub.data.errors import DataError
from hub.data.schema import Table
from hub.data.values import Row, to_json
from hub.protocol import dumps

JSON_TYPE = "application/json"
SINGLE_OBJECT = "application/vnd.pgrst.object+json"


def error_response(error: DataError) -> web.Response:
    return web.Response(
        status=error.status,
        text=dumps(error.as_json()),
        content_type=JSON_TYPE,
        charset="utf-8",
        headers=error.headers,
    )


def rows_json(table: Table, positions: Sequence[int], rows: Sequence[Row]) -> list[dict[str, Any]]:
    columns = [table.columns[p] for p in positions]
    return [
        {c.name: to_json(c, value) for c, value in zip(columns, row, strict=True)} for row in rows
    ]


def content_range(offset: int, count: int, total: int | None) -> str:
    shown_total = "*" if total is None else str(total)
    if count == 0:
        return f"*/{shown_total}"
    return f"{offset}-{offset + count - 1}/{shown_total}"


def wants_single(accept: str) -> bool:
    return SINGLE_OBJECT in accept


def body_response(
    status: int,
    objects: list[dict[str, Any]],
    *,
    single: bool,
    headers: dict[str, str],
    head_only: bool = False,
) -> web.Response:
    payload: Any = objects
    if single:
        if len(objects) != 1:
            raise DataError(
                406,
                "PGRST116",
                "Cannot coerce the result to a single JSON object",
                f"The result contains {len(objects)} rows",
            )
        payload = objects[0]
    content_type = SINGLE_OBJECT if single else JSON_TYPE
    return web.Response(
        status=status,
        text=None if head_only else dumps(payload),
        content_type=content_type,
        charset="utf-8",
        headers=headers,
    )


def no_body(status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(status=status, headers=headers)
