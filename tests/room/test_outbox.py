"""The outbox keeps a written comment on disk until the server has it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

from room.outbox import Outbox

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""Where the killed child imports the project from, whatever folder the tests run in."""


def row(comment_id: str, message: str = "hi") -> dict[str, object]:
    return {"id": comment_id, "user_id": "u", "username": "me", "message": message}


async def test_rows_wait_per_server_and_room_in_order_until_removed(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    hub, other_server = Outbox(path, "http://127.0.0.1:1"), Outbox(path, "https://x.supabase.co")
    await hub.add("room-a", row("1"))
    await hub.add("room-a", row("2", "second"))
    await hub.add("room-a", row("1"))  # queued twice: kept once
    await hub.add("room-b", row("3"))
    await hub.add("room-a", {**row("5"), "user_id": "someone-else-on-this-login"})
    await other_server.add("room-a", row("4"))
    assert [r["id"] for r in await hub.pending("room-a", "u")] == ["1", "2"]
    assert (await hub.pending("room-a", "u"))[1]["message"] == "second"
    assert [r["id"] for r in await other_server.pending("room-a", "u")] == ["4"]
    assert [r["id"] for r in await hub.pending("room-a", "someone-else-on-this-login")] == ["5"]
    await hub.remove("1")
    assert [r["id"] for r in await hub.pending("room-a", "u")] == ["2"]
    hub.close()
    other_server.close()


async def test_a_queued_comment_survives_the_app_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from pathlib import Path
        from room.outbox import Outbox

        async def main():
            outbox = Outbox(Path({str(path)!r}), "server")
            await outbox.add("room", {{"id": "kept", "user_id": "u", "message": "killed"}})
            print("queued", flush=True)
            time.sleep(60)

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line.decode().strip() == "queued"
    process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), timeout=10)
    outbox = Outbox(path, "server")
    assert await outbox.pending("room", "u") == [
        {"id": "kept", "user_id": "u", "message": "killed"}
    ]
    outbox.close()
