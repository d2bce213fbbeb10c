"""robots.txt read once per crawl, not once per worker: Scrapy's robots.txt middleware with
its answers shared through Redis.

The first worker to need a host's robots.txt claims it (`SET NX`), fetches it as Scrapy
does and stores the body in the crawl's hash `<prefix>:crawl:<id>:robots`; the others wait
for that body (up to `ROBOTS_WAIT` seconds, then fetch it themselves) and parse the same
bytes, so N workers put one robots.txt request on each host, as one process does. Its
Crawl-delay reaches each worker's crawler.politeness as if that worker had fetched it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from protego import Protego
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.politeness import PolitenessMiddleware
from crawler.shared import SharedConfig, connect

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

ROBOTS_WAIT = 30.0  # seconds a worker waits for another one's robots.txt before fetching it


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        config = SharedConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("REDIS_URL is not set")
        self.server = connect(config.redis_url)
        self.bodies = config.crawl_key("robots")
        self.claims = config.crawl_key("robots-claimed")
        self.worker = config.worker_id

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = await self._shared_body(netloc)
            if body is not None:
                parser = build_from_crawler(self._parserimpl, self.crawler, body)
                self._parsers[netloc] = parser
                self._stats.inc_value("shared/robots_from_redis")
                self._learn_crawl_delay(request, body)
        return await super().robot_parser(request)

    def _learn_crawl_delay(self, request: Request, body: bytes) -> None:
        """What crawler.politeness learns from a robots.txt it fetched, from one it did not."""
        for middleware in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(middleware, PolitenessMiddleware):
                robots = Protego.parse(body.decode("utf-8", "replace"))
                host = urlparse_cached(request).hostname or ""
                middleware.politeness.robots_seen(host, robots.crawl_delay(middleware.user_agent))

    async def _shared_body(self, netloc: str) -> bytes | None:
        """Another worker's robots.txt body for `netloc`; None when this worker fetches it."""
        if self.server.hsetnx(self.claims, netloc, self.worker):
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ROBOTS_WAIT
        while loop.time() < deadline:
            body = self.server.hget(self.bodies, netloc)
            if body is not None:
                return bytes(body)
            await asyncio.sleep(0.05)
        return None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self.server.hset(self.bodies, netloc, response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self.server.hset(self.bodies, netloc, b"")  # no robots.txt: everything is allowed
        super()._robots_error(exc, netloc)
