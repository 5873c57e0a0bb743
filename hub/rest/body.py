"""Reading a request body: size-limited before it is read, strict JSON."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.data.errors import DataError, bad_body
from hub.protocol import loads_strict


def _too_large(limit: int) -> DataError:
    return DataError(
        413,
        "PGRST102",
        "Request body too large",
        f"The hub accepts request bodies of at most {limit} bytes.",
    )


async def read_json(request: web.Request, limit: int) -> Any:
    content_type = request.headers.get("Content-Type", "application/json")
    if "json" not in content_type.lower():
        raise DataError(415, "PGRST107", f"Content-Type not acceptable: {content_type[:80]}")
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise bad_body("Empty or invalid json", "The request body is empty.")
    try:
        return loads_strict(data)
    except ValueError as error:
        raise bad_body("Empty or invalid json", str(error)[:200]) from None
