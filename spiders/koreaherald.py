"""The Korea Herald: decides what to fetch; parsing lives in crawler.parsers.

Discovery runs from feeds, the sitemaps named in robots.txt, the home page and the section
listings (current `/National`-style paths, and legacy `list.php?ct=` pages when the window
reaches back before the current site). Articles are requested once per site id.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.incremental import RECHECK_KEY
from crawler.items import FetchedPage
from crawler.parsers.discovery import (
    Link,
    needs_rendering,
    parse_feed,
    parse_listing,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.parsers.encoding import decode_html
from crawler.parsers.koreaherald import SECTIONS
from crawler.run import crawl_now
from crawler.urls import article_id, canonical_url, rebase
from crawler.window import KST, Window

DEFAULT_BASE_URL = "https://www.koreaherald.com"
#: The current CMS (`/article/N`) went live in December 2024; older articles are legacy.
CURRENT_SITE_START = datetime(2024, 12, 1, tzinfo=KST)
#: Legacy listing of all sections.
LEGACY_ALL_NEWS_CT = "020000000000"

_MONTHLY_SITEMAP = re.compile(r"(20\d\d)[-_/]?(0[1-9]|1[0-2])(?!\d)")


class Priority:
    """Articles first, so a capped or interrupted crawl keeps what it found.

    The first render of a listing that needs the browser goes before everything: starting
    Chromium takes seconds, so it should run beside the plain fetches rather than after
    them. Its later pages are pagination like any other. The entry listings (home page,
    section roots) are a handful and come next, so such a listing is found early.
    """

    RENDER = 30
    ENTRY = 25
    ARTICLE = 20
    FEED = 10
    SITEMAP = 5
    LISTING = 0


class KoreaHeraldSpider(scrapy.Spider):
    name = "koreaherald"
    site = "koreaherald"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        sections: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_articles: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        if urlsplit(self.base_url).scheme not in {"http", "https"}:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.sections = _parse_sections(sections)
        self._since_arg, self._until_arg = since, until
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        if self.max_articles is not None and self.max_articles < 1:
            raise ValueError(f"max_articles must be a positive integer, got {max_articles!r}")
        self.window: Window = Window.from_args(since, until, default_days=2)
        self.discovery: Window = self.window
        self._scheduled_ids: set[str] = set()
        self.render_js = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> KoreaHeraldSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        days = crawler.settings.getfloat("KH_DEFAULT_WINDOW_DAYS", 2)
        now = crawl_now(crawler.settings)
        spider.window = Window.from_args(
            spider._since_arg, spider._until_arg, default_days=days, now=now
        )
        spider.discovery = spider.window
        if crawler.settings.getbool("INCREMENTAL_ENABLED", True):
            # Discovery also reaches back over the re-check horizon, so stored recent
            # articles are found and re-checked even when the window starts later.
            horizon = now - timedelta(days=crawler.settings.getfloat("RECHECK_DAYS", 3))
            spider.discovery = Window(min(spider.window.since, horizon), spider.window.until)
        spider.max_listing_pages = crawler.settings.getint("KH_MAX_LISTING_PAGES", 1000)
        spider.render_js = _browser_available(crawler.settings, spider.logger)
        return spider

    # --- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.logger.info(
            "window since=%s until=%s sections=%s max_articles=%s base_url=%s",
            self.window.since.isoformat(),
            self.window.until.isoformat() if self.window.until else "open",
            ",".join(self.sections),
            self.max_articles,
            self.base_url,
        )
        # Scrapy reads start() only while it has free download slots, so the entry listings
        # come first: yielded after the feeds, they waited behind the feeds' articles.
        yield self._request("/", self.parse_listing, Priority.ENTRY, start=True)
        for name in self.sections:
            yield self._request(f"/{SECTIONS[name].path}", self.parse_listing, Priority.ENTRY)
        yield self._request("/robots.txt", self.parse_robots, Priority.SITEMAP)
        yield self._request("/rss/newsAll", self.parse_feed, Priority.FEED)
        for name in self.sections:
            yield self._request(f"/rss/{SECTIONS[name].feed}", self.parse_feed, Priority.FEED)
        if self.discovery.since < CURRENT_SITE_START:
            for code in self._legacy_codes():
                yield self._request(
                    f"/list.php?ct={code}&np=1", self.parse_listing, Priority.LISTING
                )

    def _legacy_codes(self) -> list[str]:
        if set(self.sections) == set(SECTIONS):
            return [LEGACY_ALL_NEWS_CT]
        return sorted(
            {SECTIONS[name].legacy_ct for name in self.sections if SECTIONS[name].legacy_ct}
        )

    # --- discovery callbacks ----------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        for url in sitemaps_from_robots(response.text, self.base_url):
            yield self._request(url, self.parse_sitemap, Priority.SITEMAP)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        kind, links = parse_sitemap(response.body)
        self.crawler.stats.inc_value(f"discovery/sitemap_{kind}")
        if kind == "index":
            for link in links:
                if self._sitemap_may_hold_window(link):
                    yield self._request(link.url, self.parse_sitemap, Priority.SITEMAP)
                else:
                    self.crawler.stats.inc_value("discovery/sitemap_skipped_out_of_window")
            return
        yield from self._article_requests(links, via="sitemap")

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        yield from self._article_requests(parse_feed(response.body, response.url), via="feed")

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        html = decode_html(response.body, _header(response, b"Content-Type"))
        rendered = bool(response.meta.get("playwright"))
        if not rendered and self.render_js and needs_rendering(html):
            self.crawler.stats.inc_value("discovery/listings_rendered")
            yield self._request(
                response.url,
                self.parse_listing,
                Priority.RENDER,
                page_number=response.meta.get("page_number", 1),
                render=True,
                again=True,
                rendered_from=(response.meta.get("warc") or {}).get("warc_record_id"),
            )
            return
        listing = parse_listing(response.url, html)
        via = "rendered_listing" if rendered else "listing"
        yield from self._article_requests(listing.articles, via=via)
        if response.meta.get("start") or self._is_section_root(response.url):
            for url in listing.section_links:
                if self._wanted_section(url):
                    yield self._request(url, self.parse_listing, Priority.LISTING)
        page_number = response.meta.get("page_number", 1)
        dated = [link.published_at for link in listing.articles if link.published_at]
        if dated and self.discovery.older_than_window(dated[-1]):
            self.crawler.stats.inc_value("discovery/pagination_stopped_by_date")
            return
        if page_number >= self.max_listing_pages:
            self.crawler.stats.inc_value("discovery/pagination_stopped_by_cap")
            return
        for url in listing.next_pages:
            # Pages after a rendered one need the browser too: go there directly.
            yield self._request(
                url,
                self.parse_listing,
                Priority.LISTING,
                page_number=page_number + 1,
                render=rendered,
            )

    # --- articles ---------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[FetchedPage]:
        yield FetchedPage(
            url=response.url,
            article_id=article_id(response.url) or response.meta.get("article_id"),
            status=response.status,
            body=response.body,
            content_type=_header(response, b"Content-Type"),
            fetched_at=datetime.now(UTC),
            request_url=response.meta.get("source_url", response.url),
            discovered_via=response.meta.get("discovered_via", ""),
            rechecked=RECHECK_KEY in response.meta,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            warc=dict(response.meta.get("warc") or {}),
        )

    def _article_requests(self, links: Iterable[Link], via: str) -> Iterable[scrapy.Request]:
        stats = self.crawler.stats
        for link in links:
            url = rebase(link.url, self.base_url)
            ident = article_id(url)
            if ident is None:
                continue
            stats.inc_value(f"discovery/links_from_{via}")
            if ident in self._scheduled_ids:
                continue
            if not self.discovery.contains(link.published_at):
                stats.inc_value("discovery/articles_out_of_window")
                continue
            if self.max_articles is not None and len(self._scheduled_ids) >= self.max_articles:
                stats.inc_value("discovery/articles_over_max")
                continue
            self._scheduled_ids.add(ident)
            stats.inc_value("discovery/articles_scheduled")
            yield scrapy.Request(
                rebase(canonical_url(url), self.base_url),
                callback=self.parse_article,
                priority=Priority.ARTICLE,
                meta={"article_id": ident, "discovered_via": via, "source_url": link.url},
            )

    # --- helpers ----------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        callback: Any,
        priority: int,
        *,
        start: bool = False,
        page_number: int = 1,
        render: bool = False,
        again: bool = False,
        rendered_from: str | None = None,
    ) -> scrapy.Request:
        absolute = rebase(urljoin(self.base_url + "/", url), self.base_url)
        meta: dict[str, Any] = {"start": start, "page_number": page_number}
        if render:
            # Scripts that fill a list fetch after "load": wait until the network is quiet.
            meta.update(
                playwright=True,
                playwright_page_goto_kwargs={"wait_until": "networkidle"},
                rendered_from=rendered_from,
            )
        return scrapy.Request(
            absolute,
            callback=callback,
            priority=priority,
            meta=meta,
            dont_filter=again,  # a re-render of a URL the dupefilter has already seen
        )

    def _sitemap_may_hold_window(self, link: Link) -> bool:
        """Skip archive sitemaps whose month (or last change) ends before the window."""
        if link.published_at is not None and self.discovery.older_than_window(link.published_at):
            return False
        match = _MONTHLY_SITEMAP.search(urlsplit(link.url).path)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            month_end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=KST)
            if self.discovery.older_than_window(month_end):
                return False
        return True

    def _section_of(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.path.endswith("/list.php"):
            code = (parse_qs(parts.query).get("ct") or [""])[0]
            for name, section in SECTIONS.items():
                if section.legacy_ct and code[:4] == section.legacy_ct[:4]:
                    return name
            return None
        first = parts.path.strip("/").split("/")[0]
        return first if first in SECTIONS else None

    def _wanted_section(self, url: str) -> bool:
        return self._section_of(url) in self.sections

    def _is_section_root(self, url: str) -> bool:
        path = urlsplit(url).path.strip("/")
        return path in SECTIONS


def _parse_sections(value: str | None) -> list[str]:
    if not value:
        return list(SECTIONS)
    names = [name.strip() for name in value.split(",") if name.strip()]
    by_lower = {name.lower(): name for name in SECTIONS}
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        raise ValueError(
            f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}"
        )
    return [by_lower[name.lower()] for name in names]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _browser_available(settings: Any, logger: Any) -> bool:
    """`KH_RENDER_JS`, if the configured Chromium exists; otherwise say so once and go on."""
    if not settings.getbool("KH_RENDER_JS", True):
        return False
    executable = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
    if executable and not Path(executable).exists():
        logger.warning(
            "KH_RENDER_JS is on but %s is missing: listings that need JavaScript are skipped",
            executable,
        )
        return False
    return True
