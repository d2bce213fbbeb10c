"""Per-site counters (`site/<name>/...` stats): responses by status and download errors.

The nightly runner judges each site of a multi-site crawl on its own from these, so one
unreachable site cannot hide behind another's successes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.fingerprint import crawl_sites, profile_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector


def inc_site_value(stats: StatsCollector, key: str, site: str | None, count: int = 1) -> None:
    """Count `key` for the whole crawl and, when the site is known, under `site/<site>/`."""
    stats.inc_value(key, count)
    if site:
        stats.inc_value(f"site/{site}/{key}", count)


class SiteStatsMiddleware:
    """A downloader middleware next to the downloader, so it sees what came off the wire."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteStatsMiddleware:
        return cls(crawler)

    def _prefix(self, request: Request) -> str | None:
        profile = profile_of(request, crawl_sites(self.crawler))
        return f"site/{profile.name}/" if profile is not None else None

    def process_response(self, request: Request, response: Response) -> Response:
        prefix = self._prefix(request)
        if prefix is not None:
            stats = self.crawler.stats
            stats.inc_value(f"{prefix}response_count")
            stats.inc_value(f"{prefix}response_status_count/{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Download errors; our own skips (IgnoreRequest) are not errors."""
        prefix = self._prefix(request)
        if prefix is not None and not isinstance(exception, IgnoreRequest):
            name = type(exception).__name__
            self.crawler.stats.inc_value(f"{prefix}exception_count/{name}")
