"""Following the host: its play/pause/seek and anchors, and the ``rooms`` row it writes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from room import events
from room.notices import playback_notice, speed_notice, undo_notice
from room.session.context import MediaLoader, RoomContext
from room.session.playback import LocalPlayback
from room.sync.anchor import Anchor
from room.timefmt import format_time
from room.wire import PlaybackEvent, RoomRow, parse_broadcast

log = logging.getLogger(__name__)

MEDIA_LENGTH_TOLERANCE_S = 1.0
ROOM_ROW_TOLERANCE_S = 0.05
"""A ``rooms`` UPDATE whose position is this close to the anchor we follow repeats it."""


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def is_host(self) -> bool: ...


def web_command_anchor(
    event: str, current_time: float, following: Anchor | None, host_now_ms: float
) -> Anchor:
    """A browser's plain command carries no clock: take it as sent just now, one step on
    from the anchor we follow (a seek keeps playing or paused as it was)."""
    playing = {events.PLAY: True, events.PAUSE: False}.get(
        event, following.is_playing if following else False
    )
    seq = following.seq + 1 if following is not None else 0
    return Anchor(is_playing=playing, current_time=current_time, at=host_now_ms, seq=seq)


class HostFollowing:
    """Turns the host's commands into anchors for our player, once per host action."""

    def __init__(
        self,
        ctx: RoomContext,
        playback: LocalPlayback,
        host: HostView,
        *,
        name_of: Callable[[str], str],
    ) -> None:
        self.ctx = ctx
        self.on_media_announced: MediaLoader | None = None
        """Set by an app that opened no media itself: it loads the host's URL."""
        self._playback = playback
        self._host = host
        self._name_of = name_of
        self._host_action_at: tuple[str, int] | None = None
        """(host, ``sent_at``) of the newest host action applied: older room rows are stale."""
        self._warned_media = False
        self._announced_url: str | None = None

    def on_playback(self, event: str, payload: object) -> None:
        model = parse_broadcast(events.SEEK, payload)  # the playback events share a shape
        if not isinstance(model, PlaybackEvent) or model.user_id == self.ctx.user_id:
            return
        host = self._host.host_user_id
        if host is not None and model.user_id != host:
            log.info("ignored %s from %s: %s is the host", event, model.user_id, host)
            return
        if self._host.is_host:
            return
        if model.sent_at is not None:
            last = self._host_action_at
            if last is None or last[0] != model.user_id or model.sent_at > last[1]:
                self._host_action_at = (model.user_id, model.sent_at)
        anchor = model.anchor()
        if anchor is None:
            if event not in events.WEB_PLAYBACK_EVENTS:
                return
            follower = self._playback.follower
            anchor = web_command_anchor(
                event,
                model.current_time,
                follower.anchor,
                follower.host_now_ms(self.ctx.clock.monotonic_ms()),
            )
        host_action = event != events.SYNC_ANCHOR
        self._playback.follow(anchor, host_action=host_action)
        if event == events.SPEED:
            self.ctx.notices.notice(speed_notice(model.username, anchor.rate))
        elif event == events.SEEK and model.undo:
            self.ctx.notices.notice(undo_notice(model.username, model.current_time))
        elif host_action:
            self.ctx.notices.notice(playback_notice(event, model.username, model.current_time))
        self._take_media_url(model)
        self._check_same_media(model)
        self._playback.refresh_pane(force=True)

    def note_host_action(self, user_id: str, sent_at: int) -> None:
        """A host action that reached us another way (a queue item change): a ``rooms`` row
        written before it is stale, and must not move the player (a late row of the last
        item's play would start the new item early)."""
        last = self._host_action_at
        if last is None or last[0] != user_id or sent_at > last[1]:
            self._host_action_at = (user_id, sent_at)

    def on_room_row(self, row: RoomRow) -> None:
        """The web client syncs from ``rooms`` UPDATEs; so do we, once per host action.

        The host's broadcast usually comes first and is more precise (it carries the anchor's
        clock). An UPDATE is dropped when it is the row written for a broadcast already
        applied, or an older one (our hosts stamp both with the same ``sent_at``), or when it
        says what the anchor we follow already says (a web host's broadcast, then its row).
        The rest (a host that only writes the table, a broadcast we missed) is applied like
        a browser's command.
        """
        host = row.host_user_id
        if host is None or host == self.ctx.user_id or self._host.is_host:
            return
        last = self._host_action_at
        written = round(row.updated_at.timestamp() * 1000) if row.updated_at else None
        if last is not None and last[0] == host and written is not None and written <= last[1]:
            log.debug("room row dropped (stale) written=%s last=%s", written, last)
            return
        anchor = self._playback.follower.anchor
        if (
            anchor is not None
            and anchor.is_playing == row.is_playing
            and abs(anchor.current_time - row.current_time) <= ROOM_ROW_TOLERANCE_S
        ):
            return
        log.debug("room row applied: %s last=%s written=%s anchor=%s", row, last, written, anchor)
        event = events.PLAY if row.is_playing else events.PAUSE
        payload = {
            "user_id": host,
            "username": self._name_of(host),
            "current_time": row.current_time,
        }
        self.on_playback(event, payload)

    def _take_media_url(self, model: PlaybackEvent) -> None:
        url = model.media_url
        if url is None or url == self._announced_url or self.on_media_announced is None:
            return
        self._announced_url = url
        self._warned_media = False
        self.ctx.tasks.spawn(self.on_media_announced(url))

    def _check_same_media(self, model: PlaybackEvent) -> None:
        """Warn once when the host's media is not as long as ours: probably not the same."""
        ours, theirs = self._playback.media.duration, model.duration
        if self._warned_media or ours is None or theirs is None:
            return
        if abs(ours - theirs) > MEDIA_LENGTH_TOLERANCE_S:
            self._warned_media = True
            self.ctx.notices.notice(
                f"Your media is {format_time(ours)} long but the host's is "
                f"{format_time(theirs)}: you may not be watching the same thing.",
                force=True,
            )
