"""The two baselines, driving real players the way existing clients do."""

from __future__ import annotations

import asyncio
import time

from player.mpv_player import MpvPlayer


class NaiveFollower:
    """The room's web client: on play/pause/seek, jump to `current_time`, then play/pause.
    No clock, no latency compensation, no drift correction."""

    name = "naive"

    def __init__(self, player: MpvPlayer) -> None:
        self.player = player

    def on_speed(self, current_time: float, rate: float) -> None:
        """Speed sync done the web client's way (it has none; this is the obvious addition):
        take the host's rate and jump to the position it sent, no latency compensation."""
        self.player.set_speed(rate)
        self.player.seek(current_time)

    def on_event(self, event: str, current_time: float, playing: bool) -> None:
        self.player.seek(current_time)
        if playing:
            self.player.play()
        else:
            self.player.pause()


class SyncplayFollower:
    """Syncplay's client rules: the server's state every second plus on changes, one-way
    delay taken as half a smoothed round trip (avg = 0.85 avg + 0.15 rtt), the player polled
    every 0.1 s; slow to 0.95x beyond 1.5 s ahead (back to 1.0 under 0.1 s), rewind beyond
    4 s ahead, fast-forward beyond 5 s behind, follow seeks and pauses."""

    name = "syncplay"
    SLOWDOWN_THRESHOLD_S = 1.5
    SLOWDOWN_RESET_S = 0.1
    SLOWDOWN_RATE = 0.95
    REWIND_THRESHOLD_S = 4.0
    FASTFORWARD_THRESHOLD_S = 5.0
    POLL_S = 0.1

    def __init__(self, player: MpvPlayer) -> None:
        self.player = player
        self.avg_rtt_s: float | None = None
        self._host_position = 0.0
        self._host_playing = False
        self._received_at = 0.0
        self._slowed = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def on_rtt(self, rtt_s: float) -> None:
        self.avg_rtt_s = rtt_s if self.avg_rtt_s is None else 0.85 * self.avg_rtt_s + 0.15 * rtt_s

    def _host_now(self) -> float:
        if not self._host_playing:
            return self._host_position
        one_way = (self.avg_rtt_s or 0.0) / 2
        return self._host_position + one_way + (time.monotonic() - self._received_at)

    def on_state(self, position: float, playing: bool, seeked: bool) -> None:
        self._host_position, self._received_at = position, time.monotonic()
        was_playing, self._host_playing = self._host_playing, playing
        if seeked:
            self.player.seek(self._host_now())
        if playing != was_playing:
            if playing:
                self.player.play()
            else:
                self.player.pause()
                self.player.seek(position)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.POLL_S)
            state = self.player.state
            if state.paused or state.seeking or not self._host_playing:
                continue
            local = state.position_now(time.monotonic())
            if local is None:
                continue
            ahead = local - self._host_now()
            if ahead > self.REWIND_THRESHOLD_S or -ahead > self.FASTFORWARD_THRESHOLD_S:
                self.player.seek(self._host_now())
            elif ahead > self.SLOWDOWN_THRESHOLD_S and not self._slowed:
                self._slowed = True
                self.player.set_speed(self.SLOWDOWN_RATE)
            elif self._slowed and ahead < self.SLOWDOWN_RESET_S:
                self._slowed = False
                self.player.set_speed(1.0)
