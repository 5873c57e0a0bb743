"""The room tables of docs/data.md as data: columns in order with their PostgreSQL types, keys,
checks and foreign keys. The SQLite DDL (`ddl.py`), value checks (`values.py`), filters and the
postgres_changes `columns` list all read these definitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum


class PgType(StrEnum):
    """The PostgreSQL type names (`pg_type.typname`) that postgres_changes frames carry."""

    TEXT = "text"
    FLOAT8 = "float8"
    BOOL = "bool"
    INT4 = "int4"
    INT8 = "int8"
    UUID = "uuid"
    TIMESTAMPTZ = "timestamptz"


class Generated(Enum):
    """Defaults the hub computes per row (PostgreSQL functions on Supabase)."""

    NOW = "now()"
    RANDOM_UUID = "gen_random_uuid()"
    IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: PgType
    nullable: bool = False
    default: object = None
    """A constant, a `Generated`, or None (no default: null, or an error when not nullable)."""
    min_length: int | None = None
    max_length: int | None = None
    non_negative: bool = False

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'

    @property
    def has_check(self) -> bool:
        return self.min_length is not None or self.max_length is not None or self.non_negative

    def check_name(self, table: str) -> str:
        return f"{table}_{self.name}_check"


@dataclass(frozen=True, slots=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str
    on_delete: str  # "CASCADE" or "SET NULL"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c.name: i for i, c in enumerate(self.columns)})

    def position(self, name: str) -> int | None:
        return self._index.get(name)

    def column(self, name: str) -> Column | None:
        position = self._index.get(name)
        return None if position is None else self.columns[position]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def unique_keys(self) -> tuple[tuple[str, ...], ...]:
        """Column sets an ON CONFLICT may name: the primary key, then each unique constraint."""
        return (self.primary_key, *self.unique)

    def key_constraint(self, columns: tuple[str, ...]) -> str:
        if columns == self.primary_key:
            return f"{self.name}_pkey"
        return f"{self.name}_{'_'.join(columns)}_key"

    def fkey_constraint(self, fk: ForeignKey) -> str:
        return f"{self.name}_{fk.column}_fkey"


TEXT, FLOAT8, BOOL, INT4, INT8, UUID, TIMESTAMPTZ = PgType

MAX_COMMENT_CHARS = 2000
"""The ``comments.message`` limit (docs/data.md). The client's ``room.wire.MAX_COMMENT_CHARS``
and the migrations hold the same number (the hub imports no client code);
tests/test_comment_cap.py checks that all of them agree."""

ROOMS = Table(
    "rooms",
    (
        Column("room_id", TEXT, min_length=1, max_length=64),
        Column("host_user_id", TEXT, nullable=True),
        Column("current_time", FLOAT8, default=0.0, non_negative=True),
        Column("is_playing", BOOL, default=False),
        Column("media_url", TEXT, nullable=True),
        Column("anime_id", TEXT, nullable=True),
        Column("episode_number", INT4, nullable=True),
        Column("created_at", TIMESTAMPTZ, default=Generated.NOW),
        Column("updated_at", TIMESTAMPTZ, default=Generated.NOW),
        Column("current_item_id", UUID, nullable=True),
    ),
    primary_key=("room_id",),
)

ROOM_MEMBERS = Table(
    "room_members",
    (
        Column("id", UUID, default=Generated.RANDOM_UUID),
        Column("room_id", TEXT),
        Column("user_id", TEXT),
        Column("username", TEXT, min_length=1, max_length=64),
        Column("avatar_url", TEXT, nullable=True),
        Column("is_host", BOOL, default=False),
        Column("is_synced", BOOL, default=True),
        Column("current_time", FLOAT8, default=0.0, non_negative=True),
        Column("last_heartbeat", TIMESTAMPTZ, default=Generated.NOW),
        Column("joined_at", TIMESTAMPTZ, default=Generated.NOW),
    ),
    primary_key=("id",),
    unique=(("room_id", "user_id"),),
    foreign_keys=(ForeignKey("room_id", "rooms", "room_id", "CASCADE"),),
)

COMMENTS = Table(
    "comments",
    (
        Column("id", UUID, default=Generated.RANDOM_UUID),
        Column("seq", INT8, default=Generated.IDENTITY),
        Column("anime_id", TEXT, nullable=True),
        Column("room_id", TEXT),
        Column("episode_number", INT4, nullable=True),
        Column("parent_id", UUID, nullable=True),
        Column("user_id", TEXT),
        Column("username", TEXT, min_length=1, max_length=64),
        Column("avatar_url", TEXT, nullable=True),
        Column("message", TEXT, min_length=1, max_length=MAX_COMMENT_CHARS),
        Column("video_timestamp", FLOAT8, nullable=True, non_negative=True),
        Column("is_anchor", BOOL, default=False),
        Column("is_system_message", BOOL, default=False),
        Column("created_at", TIMESTAMPTZ, default=Generated.NOW),
        Column("item_id", UUID, nullable=True),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey("room_id", "rooms", "room_id", "CASCADE"),
        ForeignKey("parent_id", "comments", "id", "SET NULL"),
    ),
)

MAX_SOURCE_CHARS = 2048
MAX_TITLE_CHARS = 512

QUEUE_ITEMS = Table(
    "queue_items",
    (
        Column("id", UUID, default=Generated.RANDOM_UUID),
        Column("room_id", TEXT),
        Column("position", FLOAT8, default=0.0),
        Column("source", TEXT, min_length=1, max_length=MAX_SOURCE_CHARS),
        Column("title", TEXT, nullable=True, max_length=MAX_TITLE_CHARS),
        Column("duration", FLOAT8, nullable=True, non_negative=True),
        Column("anime_id", TEXT, nullable=True),
        Column("episode_number", INT4, nullable=True),
        Column("added_by", TEXT),
        Column("created_at", TIMESTAMPTZ, default=Generated.NOW),
    ),
    primary_key=("id",),
    foreign_keys=(ForeignKey("room_id", "rooms", "room_id", "CASCADE"),),
)

TABLES: dict[str, Table] = {
    table.name: table for table in (ROOMS, ROOM_MEMBERS, COMMENTS, QUEUE_ITEMS)
}
SCHEMA = "public"
