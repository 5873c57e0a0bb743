"""Many writers at once: every comment is stored once, and every subscriber gets each INSERT
exactly once, in commit (seq) order."""

from __future__ import annotations

import asyncio

import pytest
from datakit import RestFactory, comment, data_of, ensure_room, listening_channel, post_comment

pytestmark = pytest.mark.slow

ROOM = "abc"
WRITERS = 20
PER_WRITER = 10


async def test_twenty_writers_with_retries(rest: RestFactory, py_client) -> None:  # type: ignore[no-untyped-def]
    subscribers = [
        (
            await listening_channel(
                py_client(), ROOM, [("INSERT", "comments", f"room_id=eq.{ROOM}")], key=f"s{i}"
            )
        )[1]
        for i in range(3)
    ]
    clients = [await rest() for _ in range(WRITERS)]
    await ensure_room(clients[0], ROOM)
    rows = [
        [comment(ROOM, user_id=f"w{w}", message=f"{w}/{n}") for n in range(PER_WRITER)]
        for w in range(WRITERS)
    ]

    async def writer(index: int) -> int:
        stored = 0
        for row in rows[index]:
            # The outbox retries: the same id twice at once, and once more after the answer.
            first, second = await asyncio.gather(
                post_comment(clients[index], row), post_comment(clients[index - 1], row)
            )
            stored += len(first) + len(second)
            assert await post_comment(clients[index], row) == []
        return stored

    async with asyncio.timeout(60):
        stored = await asyncio.gather(*(writer(i) for i in range(WRITERS)))
    assert sum(stored) == WRITERS * PER_WRITER  # each row stored by exactly one of its tries

    every_id = {row["id"] for batch in rows for row in batch}
    table = await clients[0].table("comments").select("id,seq", count="exact").execute()
    assert table.count == WRITERS * PER_WRITER
    assert {r["id"] for r in table.data} == every_id

    sentinel = comment(ROOM, message="last")
    await post_comment(clients[0], sentinel)
    for inbox in subscribers:
        # Changes are delivered in commit order: once the sentinel is in, all others are.
        await inbox.wait_for(lambda p: data_of(p)["record"]["id"] == sentinel["id"], within=30)
        records = [data_of(p)["record"] for p in inbox.items]
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)) == WRITERS * PER_WRITER + 1
        assert set(ids) == every_id | {sentinel["id"]}
        seqs = [r["seq"] for r in records]
        assert seqs == sorted(seqs)
