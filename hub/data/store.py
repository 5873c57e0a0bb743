"""The hub's SQLite database: one writer thread, a few reader threads, none on the event loop.

Writes run one at a time on a dedicated thread that owns the only writing connection; each is
one transaction (BEGIN IMMEDIATE ... COMMIT) whose captured row changes are handed to the event
loop, in commit order, before the caller's await returns. Reads run on a small pool of threads,
each with its own connection; in WAL mode they never wait for the writer.

Durability: the database is in WAL mode with synchronous=NORMAL. A COMMIT appends the
transaction to the -wal file with write(2) before it returns, so once the hub has answered, the
transaction is in the operating system's page cache. Killing the hub process (even SIGKILL)
cannot lose it: the next open replays the WAL. Only an OS crash or power loss before the next
checkpoint's fsync can (synchronous=FULL would close that window at the cost of an fsync per
commit). tests/hub/test_hub_durability.py kills a hub right after the 201 and finds the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from hub.data.changes import Change, make_change
from hub.data.ddl import CAPTURE_WIDTH, SCHEMA_VERSION, TABLES_SQL, UPGRADES, capture_sql
from hub.data.errors import DataError
from hub.data.ops import ReadResult, Select, Write
from hub.data.reads import run_select
from hub.data.schema import TABLES
from hub.data.values import Row, commit_timestamp
from hub.data.writes import run_write

log = logging.getLogger("hub.data")

BUSY_TIMEOUT_MS = 5000
READER_THREADS = 2
T = TypeVar("T")
ChangeSink = Callable[[list[Change]], None]


class StoreOpenError(Exception):
    """The database file cannot be used; the message says why."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _busy(error: sqlite3.OperationalError) -> DataError | None:
    text = str(error)
    if "locked" in text or "busy" in text:
        return DataError(
            503,
            "PGRST003",
            "Timed out waiting for the database",
            "Another process holds the hub's database file.",
        )
    return None


class Store:
    def __init__(self, path: Path, on_changes: ChangeSink, max_pending_writes: int = 256) -> None:
        self.path = path
        self._on_changes = on_changes
        self.max_pending_writes = max_pending_writes
        self.pending_writes = 0
        """Writes submitted and not finished (counted on the event loop's thread)."""
        self._loop = asyncio.get_running_loop()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="hub-db-writer")
        self._reader_pool = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="hub-db-reader")
        self._writer: sqlite3.Connection | None = None
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self.closed = False

    @classmethod
    async def open(cls, path: Path, on_changes: ChangeSink, max_pending_writes: int = 256) -> Store:
        store = cls(path, on_changes, max_pending_writes)
        try:
            await asyncio.wrap_future(store._writer_pool.submit(store._open_writer))
        except BaseException:
            await store.close()
            raise
        return store

    # --- writer thread ---------------------------------------------------------------------
    def _open_writer(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(self.path)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                log.warning("%s: journal mode %s, not WAL (readers may wait)", self.path, mode)
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                # IF NOT EXISTS throughout: two hubs creating one file at once both succeed.
                conn.executescript(
                    f"BEGIN IMMEDIATE; {TABLES_SQL} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            while version in UPGRADES and version < SCHEMA_VERSION:
                conn.executescript(
                    f"BEGIN IMMEDIATE; {UPGRADES[version]} PRAGMA user_version = {version + 1};"
                    " COMMIT;"
                )
                log.info("%s: upgraded the schema to version %d", self.path, version + 1)
                version += 1
            if version != SCHEMA_VERSION:
                raise StoreOpenError(
                    f"{self.path} has schema version {version}; this hub knows {SCHEMA_VERSION}"
                )
            self._check_columns(conn)
            conn.executescript(capture_sql())
        except (sqlite3.Error, OSError) as error:
            raise StoreOpenError(f"cannot use {self.path} as the hub's database: {error}") from None
        self._writer = conn
        log.info("database %s (schema %d, WAL)", self.path, SCHEMA_VERSION)

    @staticmethod
    def _check_columns(conn: sqlite3.Connection) -> None:
        for table in TABLES.values():
            found = tuple(row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")'))
            if found != table.names:
                raise StoreOpenError(f"table {table.name} has columns {found}, not {table.names}")

    def _run_write(self, op: Write) -> list[Row]:
        conn = self._writer
        if conn is None:
            raise DataError(503, "PGRST000", "The database is closed")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise _busy(error) or error from None
        try:
            # _changes is empty here: each write empties it before COMMIT, ROLLBACK undoes it.
            rows = run_write(conn, op)
            captured = conn.execute("SELECT * FROM _changes ORDER BY n").fetchall()
            conn.execute("DELETE FROM _changes")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if captured:
            changes = self._changes(captured)
            try:
                self._loop.call_soon_threadsafe(self._deliver, changes)
            except RuntimeError:  # the loop is gone (shutdown): the write itself committed
                log.debug("%d changes after the event loop closed", len(changes))
        return rows

    @staticmethod
    def _changes(captured: list[Row]) -> list[Change]:
        at = commit_timestamp(datetime.now(UTC))
        changes = []
        for captured_row in captured:
            table = TABLES[captured_row[1]]
            kind = captured_row[2]
            width = len(table.columns)
            old = tuple(captured_row[3 : 3 + width])
            new = tuple(captured_row[3 + CAPTURE_WIDTH : 3 + CAPTURE_WIDTH + width])
            changes.append(
                make_change(
                    table,
                    kind,
                    new if kind != "DELETE" else None,
                    old if kind != "INSERT" else None,
                    at,
                )
            )
        return changes

    def _deliver(self, changes: list[Change]) -> None:
        if self.closed:
            return
        try:
            self._on_changes(changes)
        except Exception:
            log.exception("delivering %d changes failed", len(changes))

    # --- reader threads --------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def _run_select(self, query: Select) -> ReadResult:
        try:
            return run_select(self._reader(), query)
        except sqlite3.OperationalError as error:
            raise _busy(error) or error from None

    # --- the event loop's side -------------------------------------------------------------
    def submit(self, op: Write) -> Future[list[Row]]:
        """Queue a write; its changes reach `on_changes` before the future completes. A full
        queue refuses at once (`DataError` 503), so a flood costs no memory and no waiting."""
        if self.pending_writes >= self.max_pending_writes:
            raise DataError(
                503,
                "PGRST000",
                "The hub's database is busy: too many writes are waiting",
                f"{self.pending_writes} writes queued (the hub's max_pending_writes).",
                "Retry in a moment.",
            )
        future = self._writer_pool.submit(self._run_write, op)
        self.pending_writes += 1
        future.add_done_callback(self._write_done)
        return future

    def _write_done(self, _future: Future[list[Row]]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone
            self._loop.call_soon_threadsafe(self._count_done)

    def _count_done(self) -> None:
        self.pending_writes -= 1

    async def write(self, op: Write) -> list[Row]:
        return await asyncio.wrap_future(self.submit(op))

    def read(self, query: Select) -> asyncio.Future[ReadResult]:
        """Queue a read (RuntimeError once the store is closing); await the result."""
        return asyncio.wrap_future(self._reader_pool.submit(self._run_select, query))

    async def close(self) -> None:
        """Finish queued writes, then close every connection (the last close checkpoints)."""
        self.closed = True
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._reader_pool.shutdown(wait=True)
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._writer_pool.submit(self._close_writer)
        self._writer_pool.shutdown(wait=True)

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
