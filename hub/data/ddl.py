"""The SQLite schema of the room tables (docs/data.md), and the change capture.

Types map to STRICT SQLite columns: text/uuid/timestamptz TEXT, float8 REAL, int4/int8/bool
INTEGER (bool 0/1). `comments.seq` is the rowid (INTEGER PRIMARY KEY AUTOINCREMENT, so never
reused) while `comments.id` stays the key clients use: unique, and what `parent_id` references.
Constraint names are PostgreSQL's defaults, so errors name what a hosted project would name.

Change capture: temporary triggers (on the writer's connection only) copy every changed row,
old and new, into a temporary table, including rows a foreign key cascades to. The writer reads
and empties it in the same transaction, so a change exists exactly when its commit does.
"""

from __future__ import annotations

from hub.data.schema import (
    MAX_COMMENT_CHARS,
    MAX_SOURCE_CHARS,
    MAX_TITLE_CHARS,
    TABLES,
    Table,
)

SCHEMA_VERSION = 2
"""1: rooms, room_members, comments. 2: the queue (queue_items, rooms.current_item_id,
comments.item_id); a version 1 file is upgraded in place (``UPGRADES``)."""

QUEUE_SQL = (
    """
CREATE TABLE IF NOT EXISTS "queue_items" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "room_id" TEXT NOT NULL
    CONSTRAINT "queue_items_room_id_fkey" REFERENCES "rooms" ("room_id") ON DELETE CASCADE,
  "position" REAL NOT NULL DEFAULT 0,
  "source" TEXT NOT NULL
    CONSTRAINT "queue_items_source_check" CHECK (length("source") BETWEEN 1 AND """
    + str(MAX_SOURCE_CHARS)
    + """),
  "title" TEXT
    CONSTRAINT "queue_items_title_check" CHECK (length("title") <= """
    + str(MAX_TITLE_CHARS)
    + """),
  "duration" REAL
    CONSTRAINT "queue_items_duration_check" CHECK ("duration" >= 0),
  "anime_id" TEXT,
  "episode_number" INTEGER,
  "added_by" TEXT NOT NULL,
  "created_at" TEXT NOT NULL
) STRICT;

-- The queue in order.
CREATE INDEX IF NOT EXISTS "queue_items_room_id_position_idx"
  ON "queue_items" ("room_id", "position");
"""
)

UPGRADES: dict[int, str] = {
    1: 'ALTER TABLE "rooms" ADD COLUMN "current_item_id" TEXT;\n'
    'ALTER TABLE "comments" ADD COLUMN "item_id" TEXT;\n' + QUEUE_SQL,
}
"""The script that takes a file from version N to N + 1 (columns added at the end, as
PostgreSQL's ALTER TABLE ADD COLUMN does, so the `columns` order stays docs/data.md's)."""

TABLES_SQL = (
    """
CREATE TABLE IF NOT EXISTS "rooms" (
  "room_id" TEXT NOT NULL PRIMARY KEY
    CONSTRAINT "rooms_room_id_check" CHECK (length("room_id") BETWEEN 1 AND 64),
  "host_user_id" TEXT,
  "current_time" REAL NOT NULL DEFAULT 0
    CONSTRAINT "rooms_current_time_check" CHECK ("current_time" >= 0),
  "is_playing" INTEGER NOT NULL DEFAULT 0 CHECK ("is_playing" IN (0, 1)),
  "media_url" TEXT,
  "anime_id" TEXT,
  "episode_number" INTEGER,
  "created_at" TEXT NOT NULL,
  "updated_at" TEXT NOT NULL,
  "current_item_id" TEXT
) STRICT;

CREATE TABLE IF NOT EXISTS "room_members" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "room_id" TEXT NOT NULL
    CONSTRAINT "room_members_room_id_fkey" REFERENCES "rooms" ("room_id") ON DELETE CASCADE,
  "user_id" TEXT NOT NULL,
  "username" TEXT NOT NULL
    CONSTRAINT "room_members_username_check" CHECK (length("username") BETWEEN 1 AND 64),
  "avatar_url" TEXT,
  "is_host" INTEGER NOT NULL DEFAULT 0 CHECK ("is_host" IN (0, 1)),
  "is_synced" INTEGER NOT NULL DEFAULT 1 CHECK ("is_synced" IN (0, 1)),
  "current_time" REAL NOT NULL DEFAULT 0
    CONSTRAINT "room_members_current_time_check" CHECK ("current_time" >= 0),
  "last_heartbeat" TEXT NOT NULL,
  "joined_at" TEXT NOT NULL,
  CONSTRAINT "room_members_room_id_user_id_key" UNIQUE ("room_id", "user_id")
) STRICT;

CREATE TABLE IF NOT EXISTS "comments" (
  "id" TEXT NOT NULL CONSTRAINT "comments_pkey" UNIQUE,
  "seq" INTEGER PRIMARY KEY AUTOINCREMENT,
  "anime_id" TEXT,
  "room_id" TEXT NOT NULL
    CONSTRAINT "comments_room_id_fkey" REFERENCES "rooms" ("room_id") ON DELETE CASCADE,
  "episode_number" INTEGER,
  "parent_id" TEXT
    CONSTRAINT "comments_parent_id_fkey" REFERENCES "comments" ("id") ON DELETE SET NULL,
  "user_id" TEXT NOT NULL,
  "username" TEXT NOT NULL
    CONSTRAINT "comments_username_check" CHECK (length("username") BETWEEN 1 AND 64),
  "avatar_url" TEXT,
  "message" TEXT NOT NULL
    CONSTRAINT "comments_message_check" CHECK (length("message") BETWEEN 1 AND """
    + str(MAX_COMMENT_CHARS)
    + """),
  "video_timestamp" REAL
    CONSTRAINT "comments_video_timestamp_check" CHECK ("video_timestamp" >= 0),
  "is_anchor" INTEGER NOT NULL DEFAULT 0 CHECK ("is_anchor" IN (0, 1)),
  "is_system_message" INTEGER NOT NULL DEFAULT 0 CHECK ("is_system_message" IN (0, 1)),
  "created_at" TEXT NOT NULL,
  "item_id" TEXT
) STRICT;
"""
    + QUEUE_SQL
    + """
-- The comment feed's page: newest first per room.
CREATE INDEX IF NOT EXISTS "comments_room_id_seq_idx" ON "comments" ("room_id", "seq" DESC);
-- The anchors of a room in video order.
CREATE INDEX IF NOT EXISTS "comments_room_id_anchor_idx"
  ON "comments" ("room_id", "is_anchor", "video_timestamp");
-- ON DELETE SET NULL of replies looks children up by parent.
CREATE INDEX IF NOT EXISTS "comments_parent_id_idx" ON "comments" ("parent_id");
"""
)

CAPTURE_WIDTH = max(len(table.columns) for table in TABLES.values())
"""Columns of old and of new values in the capture table (the widest table's)."""


def capture_sql() -> str:
    """The temporary capture table and one trigger per table and operation."""
    old = ", ".join(f"o{i}" for i in range(CAPTURE_WIDTH))
    new = ", ".join(f"n{i}" for i in range(CAPTURE_WIDTH))
    parts = [
        f"CREATE TEMP TABLE _changes (n INTEGER PRIMARY KEY, tbl TEXT, op TEXT, {old}, {new});"
    ]
    for table in TABLES.values():
        parts.extend(_triggers(table))
    return "\n".join(parts)


def _triggers(table: Table) -> list[str]:
    count = len(table.columns)
    old_slots = ", ".join(f"o{i}" for i in range(count))
    new_slots = ", ".join(f"n{i}" for i in range(count))
    old_values = ", ".join(f"OLD.{c.quoted}" for c in table.columns)
    new_values = ", ".join(f"NEW.{c.quoted}" for c in table.columns)
    name = table.name
    return [
        f'CREATE TEMP TRIGGER "_capture_{name}_insert" AFTER INSERT ON main."{name}" BEGIN '
        f"INSERT INTO _changes (tbl, op, {new_slots}) VALUES ('{name}', 'INSERT', {new_values}); "
        "END;",
        f'CREATE TEMP TRIGGER "_capture_{name}_update" AFTER UPDATE ON main."{name}" BEGIN '
        f"INSERT INTO _changes (tbl, op, {old_slots}, {new_slots}) "
        f"VALUES ('{name}', 'UPDATE', {old_values}, {new_values}); END;",
        f'CREATE TEMP TRIGGER "_capture_{name}_delete" AFTER DELETE ON main."{name}" BEGIN '
        f"INSERT INTO _changes (tbl, op, {old_slots}) VALUES ('{name}', 'DELETE', {old_values}); "
        "END;",
    ]
