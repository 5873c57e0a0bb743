"""The queue in a session, on a fake clock: item changes from the host, hostile items, and
the host's wait for readiness with its per-member timeout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from room import events
from room.intents import GoOnWithoutWaiting, NextItem
from room.queue.settings import RoomSettings
from room.queue.waiting import Readiness
from room.state import Waiting
from room.sync.follower import FIRST_VERDICT_WAIT_MS
from tests.room.session.fakes import (
    Room,
    answer_clock_pings,
    member,
    paused_at,
    playing_at,
    presence,
)

ITEM = {"id": "item-1", "room_id": "r1", "position": 1.0, "source": "/srv/ep1.mkv"}


def item_change(source: str, **fields: Any) -> dict[str, Any]:
    return {
        "user_id": "host",
        "username": "H",
        "current_time": 0.0,
        "is_playing": False,
        "at": 0,
        "seq": 5,
        "item_id": "item-9",
        "source": source,
        **fields,
    }


async def follower(**settings: Any) -> tuple[Room, list[str]]:
    room = Room("f", room_settings=RoomSettings(**settings))
    loaded: list[str] = []

    async def load(source: str) -> str | None:
        loaded.append(source)
        return None

    room.session.item_loader = load
    await room.start()
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    room.session.on_player_sample(paused_at(0.0, room.clock))
    await room.clock.advance(0.5)
    answer_clock_pings(room)
    return room, loaded


async def test_a_follower_loads_the_hosts_item_and_says_it_is_ready() -> None:
    room, loaded = await follower(open_paths=True)
    room.session.on_player_sample(playing_at(30.0, room.clock))  # the old item, playing
    room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/ep1.mkv"))
    await room.clock.advance(1.0)
    assert loaded == ["/srv/ep1.mkv"]
    assert room.state.queue.current_item_id == "item-9"
    # The fake player never lands the follower's seek to 0, so its first verdict ("not in
    # sync") comes only when the wait for a measurement ends; mpv's would come sooner.
    await room.clock.advance(FIRST_VERDICT_WAIT_MS / 1000)
    beat = room.link.events(events.HEARTBEAT)[-1]
    assert (beat["readiness"], beat["item_id"]) == ("ready", "item-9")
    assert room.player.did("pause"), "stopped where it was before loading"
    await room.stop()


async def test_hostile_sources_are_never_opened_and_the_member_says_so() -> None:
    room, loaded = await follower()  # room.open_paths off: the default
    for source in ("file:///etc/passwd", "/home/me/.ssh/id_rsa", "av://v4l2:/dev/video0"):
        room.session.on_broadcast(events.ITEM_CHANGE, item_change(source, item_id=source[:9]))
        await room.clock.advance(1.0)
        beat = room.link.events(events.HEARTBEAT)[-1]
        assert beat["readiness"] == Readiness.CANT_PLAY.value
        assert "open_paths" in (room.state.queue.problem or "")
    room.session.on_broadcast(
        events.ITEM_CHANGE,
        item_change("file:///x", item_id="t", title="\x1b[2J\x1b]52;c;aGk=\x07[red]EP[/]"),
    )
    await room.clock.advance(10.0)  # notices come one a second
    assert loaded == []
    assert any("Can't play" in text for text in room.notices)
    assert any("moved on to [red]EP[/]" in text for text in room.notices), room.notices
    assert not any("\x1b" in text or "\x07" in text for text in room.notices)
    await room.stop()


async def test_bad_item_changes_and_rows_are_dropped() -> None:
    room, loaded = await follower(open_paths=True)
    for payload in (
        item_change("x" * 5000),
        item_change("/srv/a.mkv", item_id=""),
        item_change("/srv/a.mkv", current_time="soon"),
        "not an object",
        item_change("/srv/a.mkv", user_id="mallory"),  # not the host
    ):
        room.session.on_broadcast(events.ITEM_CHANGE, payload)
    for record in ({**ITEM, "position": "first"}, {**ITEM, "source": ""}, None):
        change = {"data": {"table": "queue_items", "type": "INSERT", "record": record}}
        room.session.on_postgres_change(change)
    await room.clock.advance(1.0)
    assert loaded == [] and room.state.queue.items == ()
    assert room.state.queue.current_item_id is None
    await room.stop()


async def host_with_a_slow_member(timeout_s: float) -> Room:
    room = Room(
        "host",
        claim_host=True,
        room_settings=RoomSettings(first_start_timeout_s=timeout_s, open_paths=True),
    )

    async def load(source: str) -> str | None:
        return None

    room.session.item_loader = load
    await room.start()
    room.session.on_player_sample(paused_at(0.0, room.clock))
    fields = {"readiness": "ready", "item_id": None}
    room.session.on_presence(presence(member("host"), member("slow", **fields)))
    await room.clock.advance(1.0)
    row = {"data": {"table": "queue_items", "type": "INSERT", "record": ITEM}}
    room.session.on_postgres_change(row)
    return room


async def test_the_host_waits_for_a_member_at_most_its_timeout() -> None:
    room = await host_with_a_slow_member(timeout_s=10.0)
    assert room.session.host.is_host
    await room.session.submit(NextItem())
    await room.clock.advance(1.0)
    assert room.link.events(events.ITEM_CHANGE)[-1]["item_id"] == "item-1"
    waiting = room.state.queue.waiting
    assert isinstance(waiting, Waiting) and waiting.names == ("SLOW",)
    assert not room.player.did("play")
    await room.clock.advance(8.5)
    assert room.state.queue.waiting is not None and not room.player.did("play")
    await room.clock.advance(1.0)  # past slow's 10 s
    assert room.state.queue.waiting is None
    await room.stop()


async def test_the_host_starts_once_the_member_is_ready_or_on_w() -> None:
    room = await host_with_a_slow_member(timeout_s=60.0)
    await room.session.submit(NextItem())
    await room.clock.advance(1.0)
    assert room.state.queue.waiting is not None
    # The item's row changes meanwhile (the host noted its duration): no move, still waiting.
    noted = {**ITEM, "duration": 1420.0}
    room.session.on_postgres_change(
        {"data": {"table": "queue_items", "type": "UPDATE", "record": noted}}
    )
    await room.clock.advance(0.1)
    assert room.state.queue.waiting is not None
    beat = {"user_id": "slow", "readiness": "ready", "item_id": "item-1", "last_update": 1}
    room.session.on_broadcast(events.HEARTBEAT, beat)
    await room.clock.advance(0.1)
    assert room.state.queue.waiting is None
    assert room.player.did("play") or room.session.playback.driver.busy, "started"

    room2 = await host_with_a_slow_member(timeout_s=60.0)
    await room2.session.submit(NextItem())
    await room2.clock.advance(1.0)
    await room2.session.submit(GoOnWithoutWaiting())
    await room2.clock.advance(0.1)
    assert room2.state.queue.waiting is None
    await room.stop()
    await room2.stop()


async def test_a_member_that_cannot_open_the_item_says_why_and_is_not_out_of_sync() -> None:
    room = Room("f", room_settings=RoomSettings(open_paths=True))

    async def missing(source: str) -> str | None:
        return f"{source} does not exist"

    room.session.item_loader = missing
    await room.start()
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    room.session.on_player_sample(paused_at(0.0, room.clock))
    room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/gone.mkv"))
    await room.clock.advance(2.0)  # notices come one a second
    beat = room.link.events(events.HEARTBEAT)[-1]
    assert (beat["readiness"], beat["item_id"]) == ("cant_play", "item-9")
    assert beat["off_reason"] == "cant_play", "the member list says why, for browsers too"
    assert room.state.queue.problem == "/srv/gone.mkv does not exist"
    assert any("Can't play /srv/gone.mkv: /srv/gone.mkv does not exist" in n for n in room.notices)
    await room.stop()


async def test_the_host_pauses_the_room_for_a_rebuffering_member_at_most_its_timeout() -> None:
    room = await host_with_a_slow_member(timeout_s=60.0)
    await room.session.submit(NextItem())
    ready = {"user_id": "slow", "readiness": "ready", "item_id": "item-1", "last_update": 1}
    room.session.on_broadcast(events.HEARTBEAT, ready)
    await room.clock.advance(1.0)
    assert room.player.did("play"), "started once everyone was ready"
    room.session.on_player_sample(playing_at(0.5, room.clock))
    await room.clock.advance(2.0)
    pauses = len(room.player.did("pause"))

    buffering = {**ready, "readiness": "buffering", "last_update": 2}
    room.session.on_broadcast(events.HEARTBEAT, buffering)
    await room.clock.advance(0.1)
    assert len(room.player.did("pause")) == pauses + 1, "the room waits for the member"
    waiting = room.state.queue.waiting
    assert waiting is not None and waiting.names == ("slow",)
    room.session.on_player_sample(paused_at(2.6, room.clock))
    plays = len(room.player.did("play"))
    await room.clock.advance(9.0)
    assert len(room.player.did("play")) == plays, "still within the member's 10 s"
    await room.clock.advance(2.0)
    assert len(room.player.did("play")) == plays + 1, "went on without it after 10 s"
    assert room.state.queue.waiting is None
    await room.stop()


async def test_a_late_rooms_row_of_the_last_items_play_does_not_start_the_new_item() -> None:
    room, loaded = await follower(open_paths=True)
    played_at = room.clock.wall_ms()
    await room.clock.advance(1.0)
    change = item_change("/srv/ep2.mkv", sent_at=room.clock.wall_ms())
    room.session.on_broadcast(events.ITEM_CHANGE, change)
    await room.clock.advance(0.5)
    plays = len(room.player.did("play"))
    # The host's rooms row for its play of the previous item, delivered only now.
    late = {
        "room_id": "r1",
        "host_user_id": "host",
        "current_time": 0.0,
        "is_playing": True,
        "updated_at": datetime.fromtimestamp(played_at / 1000, UTC).isoformat(),
    }
    room.session.on_postgres_change({"data": {"table": "rooms", "type": "UPDATE", "record": late}})
    await room.clock.advance(2.0)
    assert loaded == ["/srv/ep2.mkv"]
    assert len(room.player.did("play")) == plays, "nobody plays the new item before the host"
    await room.stop()


async def follower_of_a_room_with_a_slow_member(**settings: Any) -> Room:
    room, _ = await follower(open_paths=True, **settings)
    host = member("host", is_host=True, host_since=1, readiness="ready", item_id="item-9")
    slow = member("slow", readiness="ready", item_id=None)  # ready for the item before
    room.session.on_presence(presence(host, member("f"), slow))
    await room.clock.advance(0)
    return room


async def test_a_follower_shows_the_countdown_by_the_hosts_rules_not_its_own() -> None:
    room = await follower_of_a_room_with_a_slow_member(wait_for="off")
    changed_at_ms = room.clock.wall_ms()
    rules = {"wait_for": "everyone", "first_start_timeout_s": 20.0}
    room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/ep1.mkv", **rules))
    await room.clock.advance(1.0)
    waiting = room.state.queue.waiting
    assert isinstance(waiting, Waiting) and waiting.names == ("SLOW",), waiting
    assert waiting.deadline_ms is not None
    assert abs(waiting.deadline_ms - (changed_at_ms + 20_000)) <= 1_000  # 20 s, not 60
    await room.stop()


async def test_a_hosts_rules_that_are_not_rules_leave_the_followers_own() -> None:
    for bad in ({"wait_for": "sometimes"}, {"wait_for": True}, {"first_start_timeout_s": -1}):
        room = await follower_of_a_room_with_a_slow_member(first_start_timeout_s=30.0)
        changed_at_ms = room.clock.wall_ms()
        room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/ep1.mkv", **bad))
        await room.clock.advance(1.0)
        waiting = room.state.queue.waiting  # the item change itself was followed
        assert room.state.queue.current_item_id == "item-9", bad
        assert isinstance(waiting, Waiting) and waiting.deadline_ms is not None, bad
        assert abs(waiting.deadline_ms - (changed_at_ms + 30_000)) <= 1_000, bad
        await room.stop()


async def test_a_browsers_comment_belongs_to_the_item_playing_when_it_arrives() -> None:
    """The web client knows no queue, so its comments carry no ``item_id``; its user wrote
    about what the room was playing, so that item's feed shows it, and no other's."""
    room, _ = await follower(open_paths=True)
    room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/ep1.mkv"))
    await room.clock.advance(1.0)
    browser = {"id": "c1", "user_id": "web", "username": "web", "message": "this episode!"}
    elsewhere = {"id": "c2", "user_id": "bob", "username": "bob", "message": "x", "item_id": "i2"}
    room.session.on_broadcast("new_comment", browser)
    room.session.on_broadcast("new_comment", elsewhere)
    assert [c.id for c in room.state.comments] == ["c1"]
    room.session.on_broadcast(events.ITEM_CHANGE, item_change("/srv/ep2.mkv", item_id="i2"))
    await room.clock.advance(1.0)
    assert room.state.queue.current_item_id == "i2"
    assert "c1" not in [c.id for c in room.state.comments], "not carried to the next item"
    await room.stop()
