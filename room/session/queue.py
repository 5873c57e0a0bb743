"""The room's queue: its items, the host's edits, and moving the whole room to an item.

An item change goes together (docs/sync.md, "The queue"): the host broadcasts
``item_change`` with an anchor paused at 0, names the item in the ``rooms`` row, and loads it;
every member stops, loads it paused at 0 and reports its readiness; the host starts it when
``room.wait_for`` says so (``room.queue.waiting``). Nobody plays an item before that start.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from typing import Any, Protocol

from room import events
from room.intents import (
    AddToQueue,
    GoOnWithoutWaiting,
    Intent,
    MoveInQueue,
    NextItem,
    PlayItem,
    PreviousItem,
    RemoveFromQueue,
)
from room.notices import cant_play_notice, item_notice
from room.queue.items import QueueItem, QueueItemRow, in_order, item_of, loaded_title, may_open
from room.queue.settings import RoomSettings
from room.queue.waiting import (
    MemberReadiness,
    Readiness,
    WaitFor,
    rebuffer_holders,
    start_verdict,
)
from room.roomdata import RoomData
from room.session.budget import RoomBudget
from room.session.context import RoomContext, wait_for_event
from room.session.playback import LocalPlayback
from room.state import QueueState, Waiting
from room.tables import TableError
from room.wire import HeartbeatEvent, ItemChanged, PresenceFields, RoomRow, parse_broadcast

log = logging.getLogger(__name__)

ItemLoader = Callable[[str], Coroutine[Any, Any, str | None]]
"""Opens a source on our player, paused at 0; returns why it could not (None: loaded)."""


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def is_host(self) -> bool: ...


class Reports(Protocol):
    """Who is here and what each last said (``room.session.roster.Roster`` fits)."""

    present: dict[str, PresenceFields]
    heartbeats: dict[str, HeartbeatEvent]

    def note_own_state(self, *, waited_for: bool = False) -> None: ...

    def name_of(self, user_id: str) -> str: ...


class ItemFeed(Protocol):
    """The comment feed, which follows the current item (``Comments`` fits)."""

    def switch_item(self, item_id: str | None) -> None: ...


class RoomQueue:
    def __init__(
        self,
        ctx: RoomContext,
        playback: LocalPlayback,
        host: HostView,
        reports: Reports,
        budget: RoomBudget,
        feed: ItemFeed,
        *,
        data: RoomData | None = None,
        settings: RoomSettings | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings or RoomSettings()
        self.loader: ItemLoader | None = None
        """Set by the app: how our player opens an item."""
        self._playback = playback
        self._host = host
        self._reports = reports
        self._budget = budget
        self._feed = feed
        self._data = data
        self._items: dict[str, QueueItem] = {}
        self._current: QueueItem | None = None
        self._own: Readiness | None = None
        """LOADING or CANT_PLAY while so; None once loaded (then ready or buffering)."""
        self._problem: str | None = None
        self._waiting: Waiting | None = None
        self._waiting_since_s: dict[str, float] = {}
        self._buffering_since_s: dict[str, float] = {}
        self._entries = 0
        """How many times we entered an item: a task for an earlier entry stops."""
        self._reported = asyncio.Event()
        self._go_on = False
        self._before: tuple[Readiness, str | None] = (Readiness.READY, None)
        """What we reported before the current item (repeated while it loads)."""
        self._ended: str | None = None
        """The item whose end we have acted on (the host moves on once per item)."""
        self._host_rules: tuple[WaitFor, float] | None = None
        """The host's ``wait_for`` and first-start timeout from its last item change: a
        follower shows whom the room waits for by the host's rules, not its own."""

    # --- what the roster publishes ------------------------------------------------------

    def own_readiness(self) -> tuple[Readiness, str | None]:
        """Our readiness for the current item and its id. Outside the queue too (with no
        item): a host that hears a report about no item or another one knows we are a
        client that will load the new item, not a browser that never reports.

        While loading we keep saying what we said about the item before: everyone reads a
        report about another item as "loading" already, so the room is spared one change
        in kind per member and item (ten members, ten broadcasts to ten)."""
        item_id = self.current_item_id
        if self._own is Readiness.LOADING:
            return self._before
        if self._own is not None:
            return self._own, item_id
        return (Readiness.BUFFERING if self._playback.buffering else Readiness.READY), item_id

    @property
    def current_item_id(self) -> str | None:
        return None if self._current is None else self._current.id

    # --- what the room tells us ---------------------------------------------------------

    async def load(self) -> None:
        """Joined: read the queue and the item the room is on (and load it if we are not)."""
        if self._data is None:
            return
        try:
            items = await self._data.tables.queue()
            row = await self._data.tables.room()
        except TableError as error:
            self.ctx.notices.notice(f"The queue is unavailable: {error}", force=True)
            return
        # Changes heard (or made) while the read was under way are newer than it.
        self._items = {**{item.id: item for item in items}, **self._items}
        self._show()
        if row is not None:
            self.on_room_row(row)

    def on_change(self, kind: object, record: object, old_record: object) -> None:
        """A ``queue_items`` change (postgres_changes)."""
        if kind == "DELETE":
            old_id = old_record.get("id") if isinstance(old_record, dict) else None
            if isinstance(old_id, str):
                self._items.pop(old_id, None)
        else:
            item = item_of(QueueItemRow.model_validate(record))
            self._items[item.id] = item
            if self._current is not None and self._current.id == item.id:
                self._current = item
        self._show()

    def on_item_change(self, payload: object) -> ItemChanged | None:
        """The host's item change; returns it when we followed it (None: dropped)."""
        model = parse_broadcast(events.ITEM_CHANGE, payload)
        if not isinstance(model, ItemChanged) or model.user_id == self.ctx.user_id:
            return None
        host = self._host.host_user_id
        if self._host.is_host or (host is not None and model.user_id != host):
            log.info("ignored item_change from %s: %s is the host", model.user_id, host)
            return None
        anchor = model.anchor()
        if anchor is not None:  # stop where we are: the item starts for everyone at once
            self._playback.follow(anchor, host_action=True)
        item = self._items.get(model.item_id) or QueueItem(
            id=model.item_id,
            source=model.source,
            title=model.title,
            anime_id=model.anime_id,
            episode_number=model.episode_number,
        )
        self.ctx.notices.notice(item_notice(model.username, item.shown_title))
        if model.wait_for is not None:
            timeout_s = model.first_start_timeout_s or self.settings.first_start_timeout_s
            self._host_rules = (WaitFor.parse(model.wait_for), timeout_s)
        self._enter(item)
        return model

    def on_room_row(self, row: RoomRow) -> None:
        """The ``rooms`` row names the item: a member that missed the change catches up."""
        item_id = row.current_item_id
        if self._host.is_host or item_id is None or item_id == self.current_item_id:
            return
        item = self._items.get(item_id)
        if item is None:
            log.info("the room is on item %s, which is not in the queue we know", item_id)
            return
        self._enter(item)

    def on_report(self, user_id: str) -> None:
        """A member published its state (a heartbeat or presence): the host may start."""
        if user_id not in self._waiting_since_s:
            self._waiting_since_s[user_id] = self.ctx.clock.monotonic_s()
        self._reported.set()

    def on_sample(self) -> None:
        """Our player moved: at the end of an item, the host moves the room on."""
        sample = self._playback.sample
        current = self._current
        if sample is None or current is None or not sample.eof:
            return
        if not self._host.is_host or self._ended == current.id or self._own is not None:
            return
        self._ended = current.id
        following = self._neighbour(1)
        if following is not None:
            self.ctx.tasks.spawn(self.change_to(following))
        else:
            self.ctx.notices.notice("That was the last item in the queue.", force=True)

    # --- the host's intents -------------------------------------------------------------

    async def submit(self, intent: Intent) -> None:
        try:
            await self._submit(intent)
        except TableError as error:
            self.ctx.notices.notice(f"The queue did not change: {error}", force=True)

    async def _submit(self, intent: Intent) -> None:
        if isinstance(intent, GoOnWithoutWaiting):
            self._go_on = True
            for user_id in self._buffering_since_s:  # and stop holding for these
                self._buffering_since_s[user_id] = -math.inf
            self._reported.set()
        elif isinstance(intent, NextItem | PreviousItem):
            item = self._neighbour(1 if isinstance(intent, NextItem) else -1)
            if item is not None:
                await self.change_to(item)
        elif isinstance(intent, PlayItem):
            item = self._items.get(intent.item_id)
            if item is not None:
                await self.change_to(item)
        elif self._data is None:
            self.ctx.notices.notice("This room keeps no queue (it has no tables).", force=True)
        elif isinstance(intent, AddToQueue):
            await self._add(intent)
        elif isinstance(intent, RemoveFromQueue):
            self._spend()
            await self._data.tables.delete_item(intent.item_id)
            self._items.pop(intent.item_id, None)
            self._show()
        elif isinstance(intent, MoveInQueue):
            await self._move(intent)

    async def _add(self, intent: AddToQueue) -> None:
        assert self._data is not None
        ordered = in_order(self._items.values())
        position = ordered[-1].position + 1 if ordered else 1.0
        source = intent.source.strip()
        item_id = str(uuid.uuid4())
        row = {
            "id": item_id,
            "position": position,
            "source": source,
            "title": intent.title,
            "added_by": self.ctx.user_id,
        }
        self._spend()
        await self._data.tables.add_item(row)
        self._items[item_id] = QueueItem(item_id, source, position, intent.title)
        self._show()

    async def _move(self, intent: MoveInQueue) -> None:
        assert self._data is not None
        ordered = list(in_order(self._items.values()))
        index = next((i for i, item in enumerate(ordered) if item.id == intent.item_id), None)
        if index is None or not 0 <= index + intent.by < len(ordered):
            return
        moved, other = ordered[index], ordered[index + intent.by]
        if moved.position == other.position:  # equal positions cannot be swapped apart
            other = replace(other, position=other.position + 0.5 * intent.by)
        self._spend(2)
        await self._data.tables.update_item(moved.id, {"position": other.position})
        await self._data.tables.update_item(other.id, {"position": moved.position})
        self._items[moved.id] = replace(moved, position=other.position)
        self._items[other.id] = replace(other, position=moved.position)
        self._show()

    def _neighbour(self, step: int) -> QueueItem | None:
        ordered = in_order(self._items.values())
        if not ordered:
            return None
        current = self.current_item_id
        index = next((i for i, item in enumerate(ordered) if item.id == current), None)
        if index is None:
            return ordered[0] if step > 0 else None
        target = index + step
        return ordered[target] if 0 <= target < len(ordered) else None

    def _spend(self, sends: int = 1) -> None:
        """A queue write reaches every member as a postgres change: it counts."""
        now = self.ctx.clock.monotonic_s()
        for _ in range(sends):
            self._budget.try_send(now)  # never held: the host asked for it

    # --- moving the room ----------------------------------------------------------------

    async def change_to(self, item: QueueItem) -> None:
        """As the host: move everyone to ``item``, paused at 0, and start it together."""
        playback = self._playback
        clock = self.ctx.clock
        playback.driver.cancel()
        update = playback.anchors.plan_new_item(clock.monotonic_ms())
        sent_at = clock.wall_ms()
        payload = {
            **self.ctx.member_payload(),
            **update.anchor.model_dump(),
            "item_id": item.id,
            "source": item.source,
            "title": item.title,
            "anime_id": item.anime_id,
            "episode_number": item.episode_number,
            "duration": item.duration,
            "wait_for": self.settings.wait_for,
            "first_start_timeout_s": self.settings.first_start_timeout_s,
            "sent_at": sent_at,
        }
        playback.host_action_wall_ms = sent_at
        self._spend()
        await self.ctx.link.send(events.ITEM_CHANGE, payload)
        self._enter(item)
        self.ctx.tasks.spawn(self._save(item, sent_at))

    async def _save(self, item: QueueItem, at_ms: int) -> None:
        if self._data is None:
            return
        url = item.source if item.source.startswith(("http://", "https://")) else None
        try:
            await self._data.save_item(
                host_user_id=self._host.host_user_id,
                item_id=item.id,
                anime_id=item.anime_id,
                episode_number=item.episode_number,
                media_url=url,
                at_ms=at_ms,
            )
        except TableError as error:
            log.warning("%s", error)

    def _enter(self, item: QueueItem) -> None:
        """We are on ``item`` now: load it, and (as the host) start it when the room is."""
        if self._own is not Readiness.LOADING:
            self._before = self.own_readiness()
        self._current = item
        self._ended = None
        self._go_on = False
        now = self.ctx.clock.monotonic_s()
        self._waiting_since_s = dict.fromkeys(self._reports.present, now)
        self._feed.switch_item(item.id)
        self._set_own(Readiness.LOADING, None)
        self._entries += 1
        self.ctx.tasks.spawn(self._load_and_start(item, self._entries))

    def _still_on(self, entry: int) -> bool:
        """The room is still on the item we entered as ``entry`` (a row update of the same
        item, its duration say, is no move; entering it again is)."""
        return entry == self._entries

    async def _load_and_start(self, item: QueueItem, entry: int) -> None:
        reason = may_open(item.source, open_paths=self.settings.open_paths)
        if reason is None and self.loader is None:
            reason = "this app cannot open media"
        if reason is None:
            assert self.loader is not None
            reason = await self.loader(item.source)
        if not self._still_on(entry):
            return  # the room moved on while we loaded
        if reason is not None:
            self.ctx.notices.notice(cant_play_notice(item.shown_title, reason), force=True)
            self._set_own(Readiness.CANT_PLAY, reason)
            return
        self._set_own(None, None)
        self._playback.resync()
        if self._host.is_host and (item.duration is None or item.title is None):
            self.ctx.tasks.spawn(self._note_details(item))
        await self._wait_until_started(item, entry)

    async def _note_details(self, item: QueueItem) -> None:
        """The host's player knows the item's length and title now (mpv's ``media-title``:
        a page's title as yt-dlp read it, or the file's name): the queue shows them to
        everyone. A title the host typed is kept."""
        details: dict[str, object] = {}
        duration = self._playback.duration
        if item.duration is None and duration is not None:
            details["duration"] = duration
        media = self._playback.media
        title = loaded_title(media.title, item.source) if media.source == item.source else None
        if item.title is None and title is not None:
            details["title"] = title
        if self._data is None or not details:
            return
        try:
            await self._data.tables.update_item(item.id, details)
        except TableError as error:
            log.info("could not note the item's duration and title: %s", error)

    def _set_own(self, readiness: Readiness | None, problem: str | None) -> None:
        self._own, self._problem = readiness, problem
        self._reports.note_own_state(waited_for=readiness is not Readiness.LOADING)
        self._show()

    async def _wait_until_started(self, item: QueueItem, entry: int) -> None:
        """The host starts the item when the room is ready; a follower shows whom the room
        waits for, by the same rules on what it hears, until the host's start arrives."""
        clock = self.ctx.clock
        while self._still_on(entry) and not self._started_by_host():
            now_s = clock.monotonic_s()
            waiting, timeout_s = self._start_rules()
            verdict = start_verdict(
                waiting,
                self._readiness(),
                item_id=item.id,
                host_user_id=self._host.host_user_id or self.ctx.user_id,
                now_s=now_s,
                timeout_s=timeout_s,
                go_on=self._go_on,
            )
            if verdict.start:
                self._set_waiting(None)
                if self._host.is_host:
                    self._start()
                    self.ctx.tasks.spawn(self._hold_for_rebuffering(item, entry))
                return
            deadline_ms = None
            if verdict.deadline_s is not None:
                deadline_ms = clock.wall_ms() + round((verdict.deadline_s - now_s) * 1000)
            self._set_waiting(Waiting(verdict.waiting_for, deadline_ms))
            self._reported.clear()
            wait_s = (verdict.deadline_s - now_s) if verdict.deadline_s is not None else 1.0
            await wait_for_event(clock, self._reported, max(0.01, wait_s))
        self._set_waiting(None)

    def _start_rules(self) -> tuple[WaitFor, float]:
        """Ours as the host; as a follower, the host's when it said (older hosts do not)."""
        if self._host.is_host or self._host_rules is None:
            return self.settings.waiting, self.settings.first_start_timeout_s
        return self._host_rules

    async def _hold_for_rebuffering(self, item: QueueItem, entry: int) -> None:
        """While the item plays, the host pauses the room for a member that re-buffers, each
        for at most ``room.rebuffer_timeout_s`` (Jellyfin PR #17349's 10 s), then resumes."""
        clock = self.ctx.clock
        held = False
        while self._still_on(entry) and self._host.is_host:
            now_s = clock.monotonic_s()
            verdict = rebuffer_holders(
                self.settings.waiting,
                self._buffering_reports(now_s),
                item_id=item.id,
                host_user_id=self.ctx.user_id,
                now_s=now_s,
                timeout_s=self.settings.rebuffer_timeout_s,
            )
            sample = self._playback.sample
            if sample is None or sample.eof:
                break
            if not verdict.start and not held and not sample.paused:
                held = True
                self._playback.toggle_play()  # the host's pause: the room stops together
            elif verdict.start and held:
                held = False
                if sample.paused:
                    self._playback.toggle_play()  # and starts together
            waiting = None
            if held and verdict.deadline_s is not None:
                deadline_ms = clock.wall_ms() + round((verdict.deadline_s - now_s) * 1000)
                waiting = Waiting(verdict.waiting_for, deadline_ms)
            self._set_waiting(waiting)
            self._reported.clear()
            wait_s = verdict.deadline_s - now_s if verdict.deadline_s is not None else 5.0
            await wait_for_event(clock, self._reported, max(0.01, wait_s))
        if self._still_on(entry):
            self._set_waiting(None)

    def _buffering_reports(self, now_s: float) -> list[MemberReadiness]:
        """Every other member's report, each since when it has been buffering (for the
        others the time does not matter). ``w`` set theirs in the past: no longer held."""
        reports = []
        for member in self._readiness():
            if member.user_id == self.ctx.user_id:
                continue
            if member.readiness is Readiness.BUFFERING and member.item_id == self.current_item_id:
                since = self._buffering_since_s.setdefault(member.user_id, now_s)
            else:
                self._buffering_since_s.pop(member.user_id, None)
                since = now_s
            reports.append(replace(member, waiting_since_s=since))
        return reports

    def _started_by_host(self) -> bool:
        if self._host.is_host:
            return False
        anchor = self._playback.follower.anchor
        return anchor is not None and anchor.is_playing

    def _start(self) -> None:
        sample = self._playback.sample
        if sample is not None and sample.paused:
            self._playback.toggle_play()

    def _readiness(self) -> Iterable[MemberReadiness]:
        now_s = self.ctx.clock.monotonic_s()
        own, own_item = self.own_readiness()
        yield MemberReadiness(self.ctx.user_id, self.ctx.username, own, own_item, now_s)
        for user_id, fields in self._reports.present.items():
            if user_id == self.ctx.user_id:
                continue
            beat = self._reports.heartbeats.get(user_id)
            if beat is not None and beat.last_update >= fields.last_update:
                fields = beat
            since = self._waiting_since_s.setdefault(user_id, now_s)
            name = fields.username or user_id
            yield MemberReadiness(user_id, name, fields.readiness, fields.item_id, since)

    def _set_waiting(self, waiting: Waiting | None) -> None:
        if waiting != self._waiting:
            self._waiting = waiting
            self._show()

    def _show(self) -> None:
        store = self.ctx.store
        queue = QueueState(
            items=in_order(self._items.values()),
            current_item_id=self.current_item_id,
            waiting=self._waiting,
            problem=self._problem,
        )
        if queue != store.state.queue:
            store.set(replace(store.state, queue=queue))
