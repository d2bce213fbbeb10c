"""The news spider: decides what to fetch on one or several sites; parsing lives elsewhere.

`scrapy crawl news -a sites=koreaherald,koreatimes` crawls the named site profiles in one
process, each host in its own download slot. Discovery runs from each site's entry listings
and section listings, its feeds and the sitemaps named in its robots.txt; archive listings are
walked when the window reaches back before the site's `archive_before`. Articles are requested
once per (site, id).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import scrapy
from lxml.html import HtmlElement
from scrapy import signals
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.config import NewsConfig
from crawler.errors import ConfigError
from crawler.fingerprint import SITE_KEY, SITES_ATTRIBUTE
from crawler.incremental import RECHECK_KEY
from crawler.items import FetchedPage
from crawler.parsers.discovery import (
    Link,
    listing_root,
    needs_rendering,
    parse_feed,
    parse_listing,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.parsers.encoding import decode_html
from crawler.shared.state import ScheduledIds, scheduled_ids
from crawler.sites import SiteProfile, find_profile, load_profile, shipped_profiles
from crawler.sites.profile import Section
from crawler.window import Window

_MONTHLY_SITEMAP = re.compile(r"(20\d\d)[-_/]?(0[1-9]|1[0-2])(?!\d)")
T = TypeVar("T")


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


@dataclass
class SiteCrawl:
    """One site's part of a crawl: its profile, window, wanted sections and scheduled ids."""

    profile: SiteProfile
    window: Window
    discovery: Window
    sections: list[Section]
    max_articles: int | None
    max_listing_pages: int
    #: Scheduled ids, held per process or, for workers of a shared crawl, in Redis.
    scheduled: ScheduledIds = field(default_factory=ScheduledIds)

    @property
    def all_sections(self) -> bool:
        return len(self.sections) == len(self.profile.sections)

    def wants(self, url: str) -> bool:
        return self.profile.section_of(url) in self.sections

    def is_section_root(self, url: str) -> bool:
        path = urlsplit(url).path.rstrip("/")
        return any(path == s.listing.split("?", 1)[0].rstrip("/") for s in self.sections)


class NewsSpider(scrapy.Spider):
    name = "news"
    #: Sites crawled when `-a sites=` is not given (a site's own spider names itself).
    default_sites: str = ""

    def __init__(
        self,
        sites: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        sections: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_articles: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        profiles = _select_profiles(sites or self.default_sites, profile)
        bases = _per_site("base_url", base_url, profiles, _text)
        self.profiles = {
            name: p.with_base_url(bases[name]) if name in bases else p
            for name, p in profiles.items()
        }
        self.allowed_domains = sorted(
            {host for p in self.profiles.values() for host in (p.host, *p.extra_hosts)}
        )
        #: scheme://host[:port] of every site: nothing else is requested.
        self.allowed_origins = {origin for p in self.profiles.values() for origin in p.origins}
        self._sections = _select_sections(sections, self.profiles)
        self._since = _per_site("since", since, self.profiles, _text)
        self._until = _per_site("until", until, self.profiles, _text)
        self._max_articles = _per_site("max_articles", max_articles, self.profiles, _positive)
        self.crawls: dict[str, SiteCrawl] = {}
        self.render_js = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        config = NewsConfig.from_settings(crawler.settings)
        for name, profile in spider.profiles.items():
            window = Window.from_args(
                spider._since.get(name),
                spider._until.get(name),
                default_days=config.default_window_days or profile.default_window_days,
                tz=profile.tz,
                now=config.now,
            )
            discovery = window
            if config.incremental:
                # Discovery also reaches back over the re-check horizon, so stored recent
                # articles are found and re-checked even when the window starts later.
                horizon = config.now - timedelta(days=config.recheck_days)
                discovery = Window(min(window.since, horizon), window.until)
            spider.crawls[name] = SiteCrawl(
                profile=profile,
                window=window,
                discovery=discovery,
                sections=spider._sections[name],
                max_articles=spider._max_articles.get(name),
                max_listing_pages=min(profile.max_listing_pages, config.max_listing_pages),
                scheduled=scheduled_ids(crawler.settings, name),
            )
        setattr(crawler, SITES_ATTRIBUTE, dict(spider.profiles))
        spider.render_js = config.render_js and _browser_available(crawler.settings, spider.logger)
        crawler.signals.connect(spider._apply_site_politeness, signal=signals.engine_started)
        return spider

    def window_for(self, site: str) -> Window:
        return self.crawls[site].window

    def _apply_site_politeness(self) -> None:
        """Each site's delay and concurrency from its profile, on its host's download slot;
        `-s DOWNLOAD_DELAY=` / `-s CONCURRENT_REQUESTS_PER_DOMAIN=` on the command line win."""
        settings = self.crawler.settings
        cmdline = SETTINGS_PRIORITIES["cmdline"]
        delay_given = settings.getpriority("DOWNLOAD_DELAY") >= cmdline
        concurrency_given = settings.getpriority("CONCURRENT_REQUESTS_PER_DOMAIN") >= cmdline
        slots = self.crawler.engine.downloader.per_slot_settings
        for profile in self.profiles.values():
            overrides = slots.setdefault(profile.host, {})
            if profile.download_delay is not None and not delay_given:
                overrides.setdefault("delay", profile.download_delay)
            if profile.concurrency is not None and not concurrency_given:
                overrides.setdefault("concurrency", profile.concurrency)

    # --- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for crawl in self.crawls.values():
            window = crawl.window
            self.logger.info(
                "site %s: window since=%s until=%s sections=%s max_articles=%s base_url=%s",
                crawl.profile.name,
                window.since.isoformat(),
                window.until.isoformat() if window.until else "open",
                ",".join(s.name for s in crawl.sections),
                crawl.max_articles,
                crawl.profile.base_url,
            )
        # Scrapy reads start() only while it has free download slots, so the entry listings
        # come first: yielded after the feeds, they waited behind the feeds' articles.
        for crawl in self.crawls.values():
            for path in crawl.profile.listings:
                yield self._request(crawl, path, self.parse_listing, Priority.ENTRY, start=True)
            for section in crawl.sections:
                if section.listing:
                    yield self._request(crawl, section.listing, self.parse_listing, Priority.ENTRY)
        for crawl in self.crawls.values():
            for request in self._feeds_and_sitemaps(crawl):
                yield request
            for path in self._archives(crawl):
                yield self._request(crawl, path, self.parse_listing, Priority.LISTING)

    def _feeds_and_sitemaps(self, crawl: SiteCrawl) -> Iterable[scrapy.Request]:
        profile = crawl.profile
        if profile.robots_sitemaps:
            yield self._request(crawl, "/robots.txt", self.parse_robots, Priority.SITEMAP)
        for path in profile.sitemaps:
            yield self._request(crawl, path, self.parse_sitemap, Priority.SITEMAP)
        for path in profile.feeds:
            yield self._request(crawl, path, self.parse_feed, Priority.FEED)
        for section in crawl.sections:
            if section.feed:
                yield self._request(crawl, section.feed, self.parse_feed, Priority.FEED)

    def _archives(self, crawl: SiteCrawl) -> list[str]:
        """Archive listings, when the window reaches back before the site's current listings."""
        profile = crawl.profile
        if profile.archive_before is None or crawl.discovery.since >= profile.archive_before:
            return []
        if crawl.all_sections and profile.archive_all:
            return [profile.archive_all]
        return sorted({s.archive for s in crawl.sections if s.archive})

    # --- discovery callbacks ----------------------------------------------------------------

    def _crawl_of(self, response: Response) -> SiteCrawl:
        return self.crawls[response.meta[SITE_KEY]]

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        crawl = self._crawl_of(response)
        for url in sitemaps_from_robots(response.text, crawl.profile.base_url):
            yield self._request(crawl, url, self.parse_sitemap, Priority.SITEMAP)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        crawl = self._crawl_of(response)
        kind, links = parse_sitemap(response.body, crawl.profile.tz)
        self.crawler.stats.inc_value(f"discovery/sitemap_{kind}")
        if kind == "index":
            for link in links:
                if self._sitemap_may_hold_window(crawl, link):
                    yield self._request(crawl, link.url, self.parse_sitemap, Priority.SITEMAP)
                else:
                    self.crawler.stats.inc_value("discovery/sitemap_skipped_out_of_window")
            return
        yield from self._article_requests(crawl, links, via="sitemap")

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        crawl = self._crawl_of(response)
        links = parse_feed(response.body, response.url, crawl.profile.tz)
        yield from self._article_requests(crawl, links, via="feed")

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        crawl = self._crawl_of(response)
        profile = crawl.profile
        html = decode_html(response.body, _header(response, b"Content-Type"))
        root = listing_root(html)
        rendered = bool(response.meta.get("playwright"))
        if not rendered and self._should_render(profile, response.url, html, root):
            self.crawler.stats.inc_value("discovery/listings_rendered")
            yield self._request(
                crawl,
                response.url,
                self.parse_listing,
                Priority.RENDER,
                page_number=response.meta.get("page_number", 1),
                render=True,
                again=True,
                rendered_from=(response.meta.get("warc") or {}).get("warc_record_id"),
            )
            return
        listing = parse_listing(response.url, html, profile, root)
        via = "rendered_listing" if rendered else "listing"
        yield from self._article_requests(crawl, listing.articles, via=via)
        if response.meta.get("start") or crawl.is_section_root(response.url):
            for url in listing.section_links:
                if crawl.wants(url):
                    yield self._request(crawl, url, self.parse_listing, Priority.LISTING)
        page_number = response.meta.get("page_number", 1)
        dated = [link.published_at for link in listing.articles if link.published_at]
        if dated and crawl.discovery.older_than_window(dated[-1]):
            self.crawler.stats.inc_value("discovery/pagination_stopped_by_date")
            return
        if page_number >= crawl.max_listing_pages:
            self.crawler.stats.inc_value("discovery/pagination_stopped_by_cap")
            return
        for url in listing.next_pages:
            # Pages after a rendered one need the browser too: go there directly.
            yield self._request(
                crawl,
                url,
                self.parse_listing,
                Priority.LISTING,
                page_number=page_number + 1,
                render=rendered,
            )

    def _should_render(
        self, profile: SiteProfile, url: str, html: str, root: HtmlElement | None
    ) -> bool:
        if not self.render_js or profile.render_mode == "never":
            return False
        if profile.render_mode == "always":
            return True
        return needs_rendering(url, html, profile, root)

    # --- articles ---------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[FetchedPage]:
        crawl = self._crawl_of(response)
        yield FetchedPage(
            url=response.url,
            site=crawl.profile.name,
            article_id=crawl.profile.article_id(response.url) or response.meta.get("article_id"),
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

    def _article_requests(
        self, crawl: SiteCrawl, links: Iterable[Link], via: str
    ) -> Iterable[scrapy.Request]:
        stats = self.crawler.stats
        profile = crawl.profile
        for link in links:
            url = profile.rebase(profile.rewrite(link.url))
            ident = profile.article_id(url)
            if ident is None and not profile.is_short_link(url):
                continue
            stats.inc_value(f"discovery/links_from_{via}")
            scheduled_key = ident or profile.canonical_url(url)
            if scheduled_key in crawl.scheduled:
                continue
            if not crawl.discovery.contains(link.published_at):
                stats.inc_value("discovery/articles_out_of_window")
                continue
            claim = crawl.scheduled.claim(scheduled_key, crawl.max_articles)
            if claim == "held":  # another worker of a shared crawl scheduled it meanwhile
                continue
            if claim == "full":
                stats.inc_value("discovery/articles_over_max")
                continue
            stats.inc_value("discovery/articles_scheduled")
            stats.inc_value(f"site/{profile.name}/discovery/articles_scheduled")
            yield scrapy.Request(
                profile.canonical_url(url),
                callback=self.parse_article,
                priority=Priority.ARTICLE,
                meta={
                    SITE_KEY: profile.name,
                    "article_id": ident,
                    "discovered_via": via,
                    "source_url": link.url,
                },
            )

    # --- helpers ----------------------------------------------------------------------------

    def _request(
        self,
        crawl: SiteCrawl,
        url: str,
        callback: Callable[[Response], Any],
        priority: int,
        *,
        start: bool = False,
        page_number: int = 1,
        render: bool = False,
        again: bool = False,
        rendered_from: str | None = None,
    ) -> scrapy.Request:
        meta: dict[str, Any] = {
            SITE_KEY: crawl.profile.name,
            "start": start,
            "page_number": page_number,
        }
        if render:
            # Scripts that fill a list fetch after "load": wait until the network is quiet.
            meta.update(
                playwright=True,
                playwright_page_goto_kwargs={"wait_until": "networkidle"},
                rendered_from=rendered_from,
            )
        return scrapy.Request(
            crawl.profile.absolute(url),
            callback=callback,
            priority=priority,
            meta=meta,
            dont_filter=again,  # a re-render of a URL the dupefilter has already seen
        )

    def _sitemap_may_hold_window(self, crawl: SiteCrawl, link: Link) -> bool:
        """Skip archive sitemaps whose month (or last change) ends before the window."""
        if link.published_at is not None and crawl.discovery.older_than_window(link.published_at):
            return False
        match = _MONTHLY_SITEMAP.search(urlsplit(link.url).path)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            month_end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=crawl.profile.tz)
            if crawl.discovery.older_than_window(month_end):
                return False
        return True


# --- arguments ------------------------------------------------------------------------------


def _select_profiles(sites: str, profile_paths: str | None) -> dict[str, SiteProfile]:
    """Shipped profiles by name or host (`all` for every one), plus profile files by path."""
    names = [name.strip() for name in (sites or "").split(",") if name.strip()]
    profiles: dict[str, SiteProfile] = {}
    if names == ["all"]:
        profiles.update(shipped_profiles())
    else:
        for name in names:
            found = find_profile(name)
            profiles[found.name] = found
    for path in (p.strip() for p in (profile_paths or "").split(",") if p.strip()):
        loaded = load_profile(Path(path).expanduser())
        profiles[loaded.name] = loaded
    if not profiles:
        raise ConfigError(
            "no site given: use -a sites=NAME[,NAME...] (shipped: "
            f"{', '.join(shipped_profiles())}, or all) or -a profile=PATH"
        )
    return profiles


def _per_site(
    argument: str,
    value: Any,
    profiles: dict[str, SiteProfile],
    convert: Callable[[str, str], T],
) -> dict[str, T]:
    """`VALUE` for every site, or `SITE=VALUE[,SITE=VALUE...]` site by site."""
    if value in (None, ""):
        return {}
    text = str(value).strip()
    if "=" not in text:
        converted = convert(argument, text)
        return dict.fromkeys(profiles, converted)
    pairs = [item.strip().partition("=") for item in text.split(",") if item.strip()]
    if all(sep and name.strip() in profiles for name, sep, _ in pairs):
        return {name.strip(): convert(argument, v.strip()) for name, _, v in pairs}
    raise ConfigError(
        f"{argument}: expected one value or SITE=VALUE pairs for sites"
        f" {', '.join(profiles)}, got {text!r}"
    )


def _text(argument: str, value: str) -> str:
    return value


def _positive(argument: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{argument} must be a positive integer, got {value!r}")
    return number


def _select_sections(
    value: str | None, profiles: dict[str, SiteProfile]
) -> dict[str, list[Section]]:
    """Sections per site: all by default; names apply to each site that has them, and
    `SITE:NAME` to one site only."""
    if not value:
        return {name: list(p.sections) for name, p in profiles.items()}
    wanted: dict[str, list[Section]] = {name: [] for name in profiles}
    for item in (i.strip() for i in value.split(",") if i.strip()):
        site, sep, section_name = item.rpartition(":")
        targets = [site] if sep else list(profiles)
        if sep and site not in profiles:
            raise ConfigError(f"sections: {item!r} names site {site!r}, not one of this crawl")
        found = False
        for name in targets:
            section = profiles[name].section(section_name)
            if section is not None:
                found = True
                if section not in wanted[name]:
                    wanted[name].append(section)
        if not found:
            choices = "; ".join(
                f"{name}: {', '.join(s.name for s in p.sections) or 'none'}"
                for name, p in profiles.items()
            )
            raise ConfigError(f"unknown section {item!r}; choose from {choices}")
    for name, sections in wanted.items():
        if not sections:
            raise ConfigError(
                f"sections: none of {value!r} is a section of {name}; choose from "
                + ", ".join(s.name for s in profiles[name].sections)
            )
    return wanted


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _browser_available(settings: Any, logger: Any) -> bool:
    """Whether the configured Chromium exists; if not, say so once and go on without it."""
    executable = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
    if executable and not Path(executable).exists():
        logger.warning(
            "NEWS_RENDER_JS is on but %s is missing: listings that need JavaScript are skipped",
            executable,
        )
        return False
    return True
