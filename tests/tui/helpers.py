"""Small helpers the Pilot tests share: keys, notices, what a widget shows, new room states."""

from __future__ import annotations

from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from room.state import RoomState
from tui.app import WatchPartyApp


def notices(app: WatchPartyApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


async def publish(pilot: Pilot[None], state: RoomState) -> None:
    """A new room state from the controller, delivered the way the app receives one."""
    app = pilot.app
    assert isinstance(app, WatchPartyApp)
    await app.workers.wait_for_complete()  # the controller's own first state comes first
    await pilot.pause()
    app.post_message(WatchPartyApp.RoomUpdated(state))
    await pilot.pause()


async def wheel_up(pilot: Pilot[None], widget: Widget, times: int) -> None:
    for _ in range(times):
        await pilot._post_mouse_events([events.MouseScrollUp], widget, offset=(2, 2))


def screen_lines(widget: Widget) -> list[str]:
    """The widget's lines as shown, borders included."""
    region = Region(0, 0, *widget.outer_size)
    return [strip.text for strip in widget.render_lines(region)]


def screen_text(widget: Widget) -> str:
    return "\n".join(screen_lines(widget))
