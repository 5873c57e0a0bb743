"""One PostgreSQL server per session, a database with Supabase's stand-ins and the migrations
applied, and per test a transaction that is rolled back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.supabase.dbkit import STAND_IN, Db, apply_migrations, run_script
from tests.supabase.pgserver import Server, find_server_binaries, running_server

STAND_IN_DB = "supabase_stand_in"
ROOM_DB = "watchparty"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    binaries = find_server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
            "`scripts/setup.sh --test` installs them (Debian/Ubuntu package postgresql)"
        )
    with running_server(binaries) as server:
        yield server


@pytest.fixture(scope="session")
def stand_in_template(pg_server: Server) -> str:
    """A database set up like a new Supabase project, to copy from: the API roles (which a
    server holds once, for all its databases), auth, realtime, the empty publication."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"create database {STAND_IN_DB}")
    with psycopg.connect(pg_server.conninfo(STAND_IN_DB), row_factory=dict_row) as conn:
        run_script(conn, STAND_IN)
    return STAND_IN_DB


@pytest.fixture(scope="session")
def room_db(pg_server: Server, stand_in_template: str) -> str:
    """The conninfo of a copy of the stand-in with supabase/migrations applied in order,
    unchanged."""
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"create database {ROOM_DB} template {stand_in_template}")
    with psycopg.connect(pg_server.conninfo(ROOM_DB), row_factory=dict_row) as conn:
        apply_migrations(conn)
    return pg_server.conninfo(ROOM_DB)


@pytest.fixture
def db(room_db: str) -> Iterator[Db]:
    with psycopg.connect(room_db, row_factory=dict_row) as conn:
        try:
            yield Db(conn)
        finally:
            conn.rollback()


def new_user_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def alice() -> str:
    return new_user_id()


@pytest.fixture
def bob() -> str:
    return new_user_id()


@pytest.fixture
def carol() -> str:
    return new_user_id()
