"""One comment cap everywhere: the client posts and keeps what the table accepts.

The client (``room.wire``) and the hub (``hub.data.schema``) may not import each other, so
each holds the number once and this test binds them to the migrations and the contract."""

from __future__ import annotations

import re
from pathlib import Path

from hub.data.ddl import TABLES_SQL
from hub.data.schema import COMMENTS
from hub.data.schema import MAX_COMMENT_CHARS as HUB_CAP
from room.wire import MAX_COMMENT_CHARS, CommentRow

ROOT = Path(__file__).resolve().parent.parent


def test_the_client_the_hub_the_migrations_and_the_contract_agree() -> None:
    migrations = "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "supabase" / "migrations").glob("*.sql"))
    )
    [migration_cap] = re.findall(r"char_length\(message\) between 1 and (\d+)", migrations)
    [hub_ddl_cap] = re.findall(r'length\("message"\) BETWEEN 1 AND (\d+)', TABLES_SQL)
    [contract_cap] = re.findall(
        r"\| `message` \| text \| no \| \| 1 to (\d+) characters \|",
        (ROOT / "docs" / "data.md").read_text(encoding="utf-8"),
    )
    assert HUB_CAP == MAX_COMMENT_CHARS
    assert COMMENTS.column("message").max_length == MAX_COMMENT_CHARS
    assert int(migration_cap) == int(hub_ddl_cap) == int(contract_cap) == MAX_COMMENT_CHARS


def test_a_longer_comment_from_elsewhere_is_kept_cut_to_the_cap() -> None:
    row = CommentRow.model_validate({"id": "c", "user_id": "u", "message": "m" * 5000})
    assert len(row.message) == MAX_COMMENT_CHARS
