"""What a crawl may request: only its own origins, and no endless chains of empty pages.

`OriginScopeMiddleware` (downloader) checks every request before anything fetches it, robots.txt
included, so redirects, links from sitemaps and feeds, and start requests all pass one gate.
`TrapGuardMiddleware` (spider) stops following links from pages that bring no new article.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.accounting import count_drop
from crawler.errors import ConfigError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Schemes that pages link to but a crawl never fetches; each is counted by name.
NON_FETCHABLE_SCHEMES = frozenset({"javascript", "mailto", "tel", "data", "file", "ftp"})


def origin_of(url: str) -> str | None:
    """`scheme://host:port` with the port always written, or None if `url` has no http(s)
    origin or is malformed."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}"


def allowed_origins(spider: Any) -> frozenset[str]:
    """The spider's `allowed_origins`, or the origin of its `base_url` when it has none."""
    declared = getattr(spider, "allowed_origins", None)
    if declared is None:
        base_url = getattr(spider, "base_url", None)
        declared = {base_url} if base_url else set()
    origins = set()
    for value in declared:
        origin = origin_of(value)
        if origin is None:
            raise ConfigError(f"allowed origin {value!r} is not a scheme://host[:port] URL")
        origins.add(origin)
    return frozenset(origins)


def refusal(url: str, origins: frozenset[str], max_length: int) -> str | None:
    """Why `url` must not be requested (a stats reason), or None if it may be."""
    if max_length and len(url) > max_length:
        return "url_too_long"
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme in NON_FETCHABLE_SCHEMES:
        return f"scheme/{scheme}"
    origin = origin_of(url)
    if origin is None:
        return "malformed_url"
    if origin not in origins:
        return "offsite"
    return None


class OriginScopeMiddleware:
    """Downloader middleware: a request off the spider's origins never reaches a handler.

    Placed before RobotsTxtMiddleware (100), so not even robots.txt is asked of another host;
    it replaces Scrapy's OffsiteMiddleware, which looks at the host only.
    Refusals are counted as `dropped/offsite`, `dropped/scheme/<name>`, `dropped/malformed_url`
    and `dropped/url_too_long`.
    """

    def __init__(self, crawler: Crawler, max_url_length: int) -> None:
        self.crawler = crawler
        self.max_url_length = max_url_length
        self._origins: frozenset[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OriginScopeMiddleware:
        return cls(crawler, crawler.settings.getint("URLLENGTH_LIMIT", 2083))

    def process_request(self, request: Request) -> None:
        if self._origins is None:
            self._origins = allowed_origins(self.crawler.spider)
        reason = refusal(request.url, self._origins, self.max_url_length)
        if reason is None:
            return
        redirected_from = (request.meta.get("redirect_urls") or [None])[-1]
        why = "off the allowed origins" if reason == "offsite" else reason
        if redirected_from:
            why += f" (redirect from {redirected_from})"
        count_drop(self.crawler, request, reason, why)
        raise IgnoreRequest(f"{reason}: {request.url[:200]}")


@dataclass(frozen=True, slots=True)
class TrapConfig:
    """`SCOPE_MAX_BARREN_PAGES`: links are followed through at most this many pages in a row
    that bring no new article; `SCOPE_MAX_DEPTH`: hops from a start request."""

    max_barren_pages: int
    max_depth: int

    @classmethod
    def from_settings(cls, settings: Any) -> TrapConfig:
        barren = settings.getint("SCOPE_MAX_BARREN_PAGES", 5)
        depth = settings.getint("SCOPE_MAX_DEPTH", 0)
        if barren < 1:
            raise ConfigError(f"SCOPE_MAX_BARREN_PAGES must be 1 or more, got {barren}")
        if depth < 0:
            raise ConfigError(f"SCOPE_MAX_DEPTH must be 0 (no cap) or more, got {depth}")
        return cls(barren, depth)


BARREN_KEY = "scope_barren_pages"
DEPTH_KEY = "scope_depth"


class TrapGuardMiddleware:
    """Spider middleware against calendar and pagination traps.

    A page whose callback yields no article request (the spider asks for each article once,
    so an article request means a new article) is barren; the navigation requests it yields
    carry the length of the barren run that led to them, and past `max_barren_pages` they are
    dropped as `dropped/listing_trap`. Requests past `max_depth` hops are `dropped/depth`.
    """

    def __init__(self, crawler: Crawler, config: TrapConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        return cls(crawler, TrapConfig.from_settings(crawler.settings))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        for output in self._guard(response, outputs):
            yield output

    def _guard(self, response: Response, outputs: list[Any]) -> Iterable[Any]:
        requests = [o for o in outputs if isinstance(o, Request)]
        brings_articles = any(_is_article_request(r) for r in requests)
        barren = 0 if brings_articles else response.meta.get(BARREN_KEY, 0) + 1
        depth = response.meta.get(DEPTH_KEY, 0) + 1
        stats = self.crawler.stats
        assert stats is not None
        for output in outputs:
            if not isinstance(output, Request) or _is_article_request(output):
                yield output
                continue
            if self.config.max_depth and depth > self.config.max_depth:
                stats.inc_value("dropped/depth")
                continue
            if barren >= self.config.max_barren_pages:
                stats.inc_value("dropped/listing_trap")
                logger.info(
                    "dropped %s: %d pages in a row brought no new article (trap)",
                    output.url[:200],
                    barren,
                )
                continue
            output.meta.setdefault(BARREN_KEY, barren)
            output.meta.setdefault(DEPTH_KEY, depth)
            yield output


def _is_article_request(request: Request) -> bool:
    return bool(request.meta.get("article_id"))
