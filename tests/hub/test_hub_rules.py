"""The room's rules (tests/rules_table.py) on the hub, through supabase-py signed in with the
hub's own tokens: the same cases, the same outcomes as the migrations on PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from datakit import RestFactory
from postgrest.exceptions import APIError

from hub import RunningHub
from tests.rules_table import (
    ALICE,
    ANON,
    CASE_IDS,
    CASES,
    REFUSED,
    SEED,
    Case,
    Outcome,
)


async def arrange(hub: RunningHub, rest: RestFactory, *, host_silent: bool) -> None:
    service = await rest()
    for table, rows in SEED:
        for row in rows:
            await service.table(table).insert(row).execute()
    if host_silent:
        # Past the hub's own stamping of last_heartbeat, as dbkit's silence() is on PostgreSQL.
        gone = (datetime.now(UTC) - timedelta(seconds=91)).isoformat(timespec="microseconds")
        with sqlite3.connect(hub.state.settings.database) as conn:
            conn.execute(
                "UPDATE room_members SET last_heartbeat = ? WHERE user_id = ?", (gone, ALICE)
            )


async def run(rest: RestFactory, case: Case) -> Outcome | str:
    client = await (rest(service=False) if case.actor == ANON else rest(user=case.actor))
    op = case.op
    request: Any
    if op.verb == "rpc":
        request = client.rpc(op.table, op.values)
    else:
        table = client.table(op.table)
        if op.verb == "select":
            request = table.select("*")
        elif op.verb == "insert":
            request = table.insert(op.values)
        elif op.verb == "upsert":
            request = table.upsert(
                op.values,
                on_conflict=",".join(op.conflict),
                ignore_duplicates=op.ignore_duplicates,
            )
        elif op.verb == "update":
            request = table.update(op.values)
        else:
            request = table.delete()
        for column, value in op.match.items():
            request = request.eq(column, value)
    try:
        response = await request.execute()
    except APIError as error:
        return REFUSED if error.code == "42501" else f"error {error.code}: {error.message}"
    return 1 if op.verb == "rpc" else len(response.data)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_the_rules_on_the_hub(hub: RunningHub, rest: RestFactory, case: Case) -> None:
    await arrange(hub, rest, host_silent=case.host_silent)
    assert await run(rest, case) == case.expected
