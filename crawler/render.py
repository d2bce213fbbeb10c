"""JavaScript rendering through scrapy-playwright, beside byte-faithful WARC capture.

Requests with `meta["playwright"]` go to scrapy-playwright's handler, which drives Chromium;
it is created on the first such request, so crawls that never render start no browser.
Every other request goes to `WarcCaptureDownloadHandler`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from crawler.scope import origin_of
from crawler.warc.handler import WarcCaptureDownloadHandler

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class RenderingDownloadHandler(WarcCaptureDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._renderer: ScrapyPlaywrightDownloadHandler | None = None
        self._starting: asyncio.Lock | None = None

    async def _browser(self) -> ScrapyPlaywrightDownloadHandler:
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if self._renderer is None:
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

                renderer = ScrapyPlaywrightDownloadHandler(self._crawler)
                # Created after engine_started, so start it here (what that signal would do).
                await renderer._launch()
                self._renderer = renderer
        return self._renderer

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            renderer = await self._browser()
            return await renderer.download_request(request)
        return await super().download_request(request)

    async def close(self) -> None:
        await super().close()
        if self._renderer is not None:
            await self._renderer.close()


#: What a rendered page needs is its DOM: images, media, fonts and styles are not fetched.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})


def abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: keep the browser on the page's own origin (scheme, host and
    port), frames, scripts and navigations alike, and skip what does not change the DOM, so
    rendering adds no traffic a plain fetch would not."""
    if request.resource_type in _SKIPPED_RESOURCES:
        return True
    try:
        origin = _page_origin(request)
    except Exception:  # a request without a frame (a service worker's): not ours to make
        return True
    return origin_of(request.url) != origin


def _page_origin(request: Any) -> str | None:
    """The origin of the page being rendered: its main frame's, or, while the first
    navigation is under way (the frame still blank), that of the URL Scrapy asked for."""
    origin = origin_of(request.frame.page.main_frame.url)
    if origin is not None:
        return origin
    first = request
    while first.redirected_from is not None:
        first = first.redirected_from
    return origin_of(first.url)
