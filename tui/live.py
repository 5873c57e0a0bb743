"""The live room as the app runs it: find or start the hub, open the player, run the session.

This is the only place that knows all three layers: it turns ``player`` states into the
``room`` session's samples and hands the session the player to command.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import replace
from pathlib import Path

from hub import HubConfigError, HubSettings
from hub.local import LocalHub, ensure_local_hub
from player.base import Chapter as PlayerChapter
from player.base import PlayerState
from player.errors import MediaLoadError, PlayerError
from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.sources import demo_chapters, render_demo_file
from room.backend import Backend, BackendError, open_backend
from room.backoff import Backoff
from room.chapters import Chapter
from room.controller import NoticeSink, StateSink
from room.intents import Intent, SetOffset
from room.link import RoomLink
from room.outbox import Outbox
from room.publisher import PresenceBudget, PresencePublisher
from room.roomdata import RoomData
from room.session import MediaInfo, RoomSession
from room.state import Connection, ConnectionStatus, RoomState
from room.sync.sample import PlaybackSample
from room.tables import RoomTables
from tui.config import Settings
from tui.identity import data_dir
from tui.offsets import OffsetStore
from tui.video import VideoOutput

log = logging.getLogger(__name__)

DEMO_TITLE = "Demo: test pattern with a tone"
LOCAL_KEY = "local"
"""The key we present to a hub that needs none (the protocol wants one)."""


def sample_of(state: PlayerState) -> PlaybackSample:
    return PlaybackSample(
        position_s=state.position or 0.0,
        observed_at_ms=state.position_at * 1000,
        paused=state.paused,
        speed=state.speed,
        seeking=state.seeking,
        buffering=state.buffering,
        eof=state.eof,
        restarts=state.restarts,
    )


def title_of_loaded(source: str, media_title: object) -> str:
    """What mpv calls what it opened (a page's title, from yt-dlp), else the file's name."""
    if isinstance(media_title, str) and media_title.strip() and media_title != source:
        return media_title
    return Path(source).name if "://" not in source else source


def demo_file() -> Path:
    # Short and small so the first run renders it in seconds; seekable, unlike live lavfi.
    # Named for its MP2 audio: earlier renders with AAC have broken timestamps, never reuse them.
    return data_dir() / "demo-320x180-5min-mp2.mkv"


class LiveRoom:
    """The ``RoomController`` for a real room (embedded hub or Supabase)."""

    def __init__(
        self,
        settings: Settings,
        initial: RoomState,
        *,
        claim_host: bool = False,
        video: VideoOutput | None = None,
    ) -> None:
        self.settings = settings
        self.video = video
        self.initial = initial
        self.claim_host = claim_host
        self.session: RoomSession | None = None
        self.player: MpvPlayer | None = None
        self._hub: LocalHub | None = None
        self._outbox: Outbox | None = None
        self._on_state: StateSink = lambda state: None
        self._offsets = OffsetStore(data_dir() / "offsets.json")

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None:
        self._on_state = on_state
        try:
            server_url, key, shown = await self._backend()
            backend = await self._sign_in(server_url, key)
        except (HubConfigError, BackendError) as error:
            self._offline(str(error))
            return
        initial = self.initial
        if backend.user_id is not None and backend.user_id != initial.self_user_id:
            log.info("signed in: the room knows us by our auth user id")
            initial = replace(initial, self_user_id=backend.user_id)
        self._outbox = Outbox(data_dir() / "outbox.sqlite3", server=server_url)
        data = RoomData(
            RoomTables(backend.client, initial.room_id), self._outbox, initial.self_user_id
        )
        try:
            player = await self._open_player()
        except PlayerError as error:
            self._offline(str(error))
            return
        self.player = player
        if self.video is not None:
            self.video.attach(player)
        restart_hub = self._restart_hub if self._hub is not None else None
        session = RoomSession(
            lambda listener: RoomLink(
                server_url,
                key,
                initial.room_id,
                initial.self_user_id,
                listener,
                backoff=Backoff(),
                on_refused=restart_hub,
                access_token=backend.access_token if backend.user_id else None,
                ssl_context=backend.ssl_context,
            ),
            replace(initial, connection=Connection(ConnectionStatus.CONNECTING, server=shown)),
            player,
            sync_settings=self.settings.sync,
            publisher=PresencePublisher(
                PresenceBudget(
                    self.settings.presence.budget_calls, self.settings.presence.budget_window_s
                ),
                refresh_s=self.settings.presence.heartbeat_s,
            ),
            budget=self.settings.presence.budget(),
            claim_host=self.claim_host,
            notices=self.settings.ui.notifications,
            data=data,
            room_settings=self.settings.room,
        )
        self.session = session
        remembered = self._offsets.get(self._source) if self._source else None
        if remembered is not None:
            session.playback.set_offset(remembered)
        session.item_loader = self._load_item
        if not self.settings.player.media:
            session.on_media_announced = self._load_announced
        media = self._media(player.state)
        player.add_listener(
            lambda state: session.on_player_sample(sample_of(state), self._media(state))
        )
        session.on_player_sample(sample_of(player.state), media)
        await session.start(on_state, on_notice)

    def _media(self, state: PlayerState) -> MediaInfo:
        url = (
            self._source
            if self._source and self._source.startswith(("http://", "https://"))
            else None
        )
        return MediaInfo(
            self._title, state.duration, url, self._chapters(state), source=self._source
        )

    def _chapters(self, state: PlayerState) -> tuple[Chapter, ...]:
        """The player's chapters as the room's, converted once per new list."""
        if state.chapters is not self._player_chapters:
            self._player_chapters = state.chapters
            self._room_chapters = tuple(
                Chapter(chapter.start, chapter.title) for chapter in state.chapters
            )
        return self._room_chapters

    _player_chapters: tuple[PlayerChapter, ...] = ()
    _room_chapters: tuple[Chapter, ...] = ()

    async def _load_announced(self, url: str) -> None:
        """We opened nothing ourselves: play what the host announced."""
        if self.player is None or self.session is None:
            return
        try:
            await self.player.load(url)
        except PlayerError as error:
            self.session.notice(f"Could not open the host's media: {error}")
            return
        self._title, self._source = url, url
        self.session.resync()

    async def _load_item(self, source: str) -> str | None:
        """A queue item, paused at 0 (the room starts it); why not, in words, if it fails."""
        player = self.player
        if player is None:
            return "the player is not open"
        try:
            await player.load(source, paused=True)
        except MediaLoadError as error:
            return error.reason
        except PlayerError as error:
            return str(error)
        self._title = title_of_loaded(source, player.mpv_property("media-title"))
        self._source = source
        if self.session is not None:  # the room hears the title now, not at the next frame
            self.session.on_player_sample(sample_of(player.state), self._media(player.state))
        return None

    async def submit(self, intent: Intent) -> None:
        if self.session is not None:
            await self.session.submit(intent)
        if isinstance(intent, SetOffset) and self._source:
            self._offsets.remember(self._source, intent.offset_s)

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.stop()
        if self.video is not None:
            self.video.detach()
        if self.player is not None:
            self.player.close()
        if self._outbox is not None:
            self._outbox.close()
        if self._hub is not None and self._hub.running is not None:
            await self._hub.running.close()

    # ---------------------------------------------------------------------------------

    async def _backend(self) -> tuple[str, str, str]:
        """(server URL, key, what to show the user) for the configured backend."""
        server = self.settings.server
        key = server.key.get_secret_value() if server.key else LOCAL_KEY
        if server.url:
            return server.url, key, server.url.split("://", 1)[-1].rstrip("/")
        self._offline_status("starting the embedded hub")
        hub = await ensure_local_hub(self._hub_settings())
        self._hub = hub
        return hub.url, key, hub.url.split("://", 1)[-1]

    def _hub_settings(self) -> HubSettings:
        return HubSettings(port=self.settings.hub.port, db_path=self.settings.hub.db)

    async def _sign_in(self, server_url: str, key: str) -> Backend:
        """supabase-py for the server, signed in: on a Supabase project and on a hub alike."""
        server = self.settings.server
        self._offline_status("signing in")
        # One file per server (a session belongs to the server that issued it) and per
        # --user-id, so two members on one machine can be two users.
        user_id = self.settings.user.id
        profile = server_url if not user_id else f"{server_url}\n{user_id}"
        return await open_backend(
            server_url,
            key,
            sign_in=server.sign_in,
            user_token=server.user_token.get_secret_value() if server.user_token else None,
            session_file=data_dir()
            / f"auth-{hashlib.sha256(profile.encode()).hexdigest()[:12]}.json",
            allow_plain_http=server.allow_plain_http,
            pin=server.pin,
        )

    async def _restart_hub(self) -> None:
        """The hub we were using went away (the app that ran it quit): run one ourselves."""
        if self._hub is not None and self._hub.running is None:
            hub = await ensure_local_hub(self._hub_settings())
            if hub.running is not None:
                log.info("the room's hub went away; this app now runs it")
            self._hub = hub

    async def _open_player(self) -> MpvPlayer:
        player_settings: PlayerSettings = self.settings.player
        player = MpvPlayer(settings=player_settings)
        media = self.settings.player.media
        if media:
            self._title = Path(media).name if "://" not in media else media
            source = media
        else:
            self._offline_status("preparing the demo video (first run only)")
            path = await asyncio.to_thread(
                render_demo_file,
                demo_file(),
                duration_s=300.0,
                size="320x180",
                chapters=demo_chapters(300.0),  # so PgUp/PgDn can be tried
            )
            self._title, source = DEMO_TITLE, str(path)
        try:
            await player.load(source)
        except PlayerError:
            player.close()
            raise
        self._source = source
        return player

    _title: str | None = None
    _source: str | None = None

    def _offline_status(self, detail: str) -> None:
        self._on_state(
            replace(self.initial, connection=Connection(ConnectionStatus.CONNECTING, detail))
        )

    def _offline(self, reason: str) -> None:
        log.error("room unavailable: %s", reason)
        with contextlib.suppress(Exception):
            self._on_state(
                replace(self.initial, connection=Connection(ConnectionStatus.OFFLINE, reason))
            )
