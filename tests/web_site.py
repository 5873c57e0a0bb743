"""A web site on 127.0.0.1 for the yt-dlp tests: a page with a video in it, a 404, and a
trap for anything that tries to reach beyond this machine.

yt-dlp's generic extractor finds the page's ``<video src=...>`` (a file served by the same
server); the trap is an HTTP proxy that every process of the test is pointed at for
addresses other than 127.0.0.1 (``no_proxy``), so a request to the internet lands in it,
is refused and recorded, and the test can say that none was made.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

PAGE_TITLE = "Night <b>[red]\x1b[31m of the tests"
"""The page's title: markup and an escape sequence, as a hostile site would send."""
YTDL_OFFLINE_OPTIONS = "force-generic-extractor=,ignore-config="
"""yt-dlp's options for the tests (``player.ytdl_raw_options``): only the generic extractor
runs, and no yt-dlp config of the machine's user changes what it does."""


@dataclass
class WebSite:
    base: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, User-Agent) of every request the site served."""
    outside_requests: list[str] = field(default_factory=list)
    """The first line of every request that tried to leave 127.0.0.1 (through the trap)."""
    _served: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, path: str, agent: str) -> None:
        self.requests.append((path, agent))
        self._served.set()

    async def requested(self, path: str, agent: str) -> None:
        """Wait until ``path`` has been asked for by a client whose User-Agent is ``agent``."""
        while (path, agent) not in self.requests:
            self._served.clear()
            await self._served.wait()

    @property
    def page(self) -> str:
        return f"{self.base}/watch/episode-1"

    @property
    def missing_page(self) -> str:
        return f"{self.base}/watch/gone"

    def video(self, media: Path) -> str:
        return f"{self.base}/media/{media.name}"


def page_html(media: Path) -> str:
    return (
        "<!doctype html><html><head>"
        f"<title>{html.escape(PAGE_TITLE)}</title></head><body>"
        f'<h1>Episode 1</h1><video controls src="/media/{media.name}"></video>'
        "</body></html>"
    )


@contextlib.asynccontextmanager
async def serve_site(media: Path) -> AsyncIterator[WebSite]:
    site: WebSite | None = None

    @web.middleware
    async def note(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        assert site is not None
        site.note(request.path, request.headers.get("User-Agent", ""))
        return await handler(request)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=page_html(media), content_type="text/html")

    app = web.Application(middlewares=[note])
    app.router.add_get("/watch/episode-1", page)
    app.router.add_static("/media", media.parent)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    site = WebSite(f"http://127.0.0.1:{port}")
    try:
        yield site
    finally:
        await runner.cleanup()


async def start_trap(site: WebSite) -> tuple[asyncio.Server, int]:
    """An HTTP proxy that serves nothing: it records the request line and hangs up."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            line = await asyncio.wait_for(reader.readline(), 5)
            site.outside_requests.append(line.decode("latin-1").strip())
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@contextlib.asynccontextmanager
async def offline_site(media: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WebSite]:
    """The site serving ``media``, with every process of the test (mpv, yt-dlp, the hub's
    clients) kept off the internet: proxies for all but 127.0.0.1 point at the trap."""
    async with serve_site(media) as site:
        trap, port = await start_trap(site)
        proxy = f"http://127.0.0.1:{port}"
        for name in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy)
            monkeypatch.setenv(name.upper(), proxy)
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        try:
            yield site
        finally:
            trap.close()
            await trap.wait_closed()
