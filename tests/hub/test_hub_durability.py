"""An acknowledged write survives the hub being killed: a hub process gets SIGKILL right after
answering 201, and the next hub on the same file has the rows (replayed from the WAL)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from datakit import comment, ensure_room, post_comment
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from hub.data.ddl import SCHEMA_VERSION, TABLES_SQL
from hub.data.schema import TABLES
from hub.tokens import Tokens

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


COMMANDS = {
    "python -m hub": [sys.executable, "-m", "hub", "--log-level", "WARNING"],
    "watchparty-tui serve": [sys.executable, "-c", "from tui.cli import main; main()", "serve"],
}


class HubProcess:
    """A hub in a child process: `python -m hub` or `watchparty-tui serve`, on port 0."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    @classmethod
    async def start(cls, db: Path, command: str = "python -m hub") -> HubProcess:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(db.parent / "config"),  # no user config for `serve`
        }
        process = await asyncio.create_subprocess_exec(
            *COMMANDS[command],
            "--port",
            "0",
            "--db",
            str(db),
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None
        async with asyncio.timeout(20):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("watchparty hub on "), line
        return cls(process, line.split()[3])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        return await self.process.wait()


@pytest.fixture
async def hub_processes() -> AsyncIterator[list[HubProcess]]:
    started: list[HubProcess] = []
    yield started
    for hub in started:
        if hub.process.returncode is None:
            hub.kill()
            await hub.wait()


async def service_client(url: str, db: Path) -> AsyncClient:
    """A client with the service key of the hub whose database is ``db`` (its secret is the
    0600 file the hub made beside it)."""
    secret = (db.parent / "hub-jwt-secret").read_text(encoding="ascii").strip()
    token = Tokens(secret.encode()).service_token()
    options = AsyncClientOptions(headers={"Authorization": f"Bearer {token}"})
    return await acreate_client(url, "anon", options)


@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_rows_acknowledged_before_a_sigkill_are_there_after_a_restart(
    tmp_path: Path, hub_processes: list[HubProcess], command: str
) -> None:
    db = tmp_path / "hub.sqlite3"
    first = await HubProcess.start(db, command)
    hub_processes.append(first)
    client = await service_client(first.url, db)
    await ensure_room(client, "abc")
    rows = [comment("abc", message=f"m{i}") for i in range(30)]
    for row in rows[:-1]:
        await post_comment(client, row)
    assert await post_comment(client, rows[-1])  # acknowledged with the row...
    first.kill()  # ...and killed at once: no shutdown, no checkpoint
    assert await first.wait() == -signal.SIGKILL
    await client.postgrest.aclose()
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0  # the rows are (only) in the write-ahead log

    second = await HubProcess.start(db, command)
    hub_processes.append(second)
    client = await service_client(second.url, db)
    stored = await client.table("comments").select("id,seq").eq("room_id", "abc").execute()
    assert sorted(r["id"] for r in stored.data) == sorted(r["id"] for r in rows)
    assert sorted(r["seq"] for r in stored.data) == list(range(1, 31))
    # The next insert continues the sequence (AUTOINCREMENT is in the same WAL).
    assert (await post_comment(client, comment("abc")))[0]["seq"] == 31
    await client.postgrest.aclose()


async def test_the_database_file_is_in_wal_mode(tmp_path: Path, make_hub) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "hub.sqlite3"
    await make_hub(db_path=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert {"rooms", "room_members", "comments", "queue_items"} <= set(names)


async def test_a_version_1_file_gets_the_queue_and_keeps_its_rows(tmp_path: Path, make_hub) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "hub.sqlite3"
    with sqlite3.connect(db) as conn:  # the file as the hub before the queue left it
        conn.executescript(TABLES_SQL)
        conn.executescript(
            'DROP TABLE "queue_items"; ALTER TABLE "rooms" DROP COLUMN "current_item_id";'
            ' ALTER TABLE "comments" DROP COLUMN "item_id"; PRAGMA user_version = 1;'
        )
        conn.execute("INSERT INTO rooms (room_id, created_at, updated_at) VALUES ('old', 'x', 'x')")
    await make_hub(db_path=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT room_id, current_item_id FROM rooms").fetchall() == [
            ("old", None)
        ]
        for table in TABLES.values():
            found = tuple(row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")'))
            assert found == table.names
