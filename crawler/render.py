"""JavaScript rendering through scrapy-playwright, beside byte-faithful WARC capture.

Requests with `meta["playwright"]` go to scrapy-playwright's handler, which drives Chromium;
it is created on the first such request, so crawls that never render start no browser.
Every other request goes to `WarcCaptureDownloadHandler`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
    """PLAYWRIGHT_ABORT_REQUEST: keep the browser on the page's own host, and skip what does
    not change the DOM, so rendering adds no traffic a plain fetch would not."""
    if request.is_navigation_request():
        return False
    if request.resource_type in _SKIPPED_RESOURCES:
        return True
    page_host = urlsplit(request.frame.url).netloc
    return bool(page_host) and urlsplit(request.url).netloc != page_host
