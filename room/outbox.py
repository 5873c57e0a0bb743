"""Comments waiting for the server, kept on disk so that none is lost.

A comment is written here (and synced to disk) before it is sent; it leaves only once the
server has confirmed it. Its id is made by the client, and the server ignores a second insert
of the same id, so sending it again after a crash, a kill or a lost answer stores it once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
create table if not exists outbox (
    id text primary key,
    server text not null,
    room_id text not null,
    user_id text not null,
    row text not null,
    queued_at real not null
)
"""


class Outbox:
    """A small SQLite file; several processes may share it (each row is sent idempotently)."""

    def __init__(self, path: Path, server: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.server = server
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10.0, check_same_thread=False)
        with self._lock, self._db:
            self._db.execute("pragma journal_mode=wal")
            # FULL: a comment the user saw as "sending" survives a power cut, not just a kill.
            self._db.execute("pragma synchronous=full")
            self._db.execute(SCHEMA)

    async def add(self, room_id: str, row: dict[str, Any]) -> None:
        """Keep ``row`` (a comment with its ``id`` and ``user_id``) until it is removed."""
        await asyncio.to_thread(self._add, room_id, row)

    async def remove(self, comment_id: str) -> None:
        await asyncio.to_thread(self._remove, comment_id)

    async def pending(self, room_id: str, user_id: str) -> list[dict[str, Any]]:
        """``user_id``'s waiting comments in ``room_id`` on this server, oldest first.

        Two apps of one login may share the file (a second terminal, another name): each
        sends only its own comments."""
        return await asyncio.to_thread(self._pending, room_id, user_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _add(self, room_id: str, row: dict[str, Any]) -> None:
        with self._lock, self._db:
            self._db.execute(
                "insert or ignore into outbox (id, server, room_id, user_id, row, queued_at)"
                " values (?, ?, ?, ?, ?, ?)",
                (row["id"], self.server, room_id, row["user_id"], json.dumps(row), time.time()),
            )

    def _remove(self, comment_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("delete from outbox where id = ?", (comment_id,))

    def _pending(self, room_id: str, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(
                "select row from outbox where server = ? and room_id = ? and user_id = ?"
                " order by queued_at, id",
                (self.server, room_id, user_id),
            )
            return [json.loads(text) for (text,) in cursor.fetchall()]
