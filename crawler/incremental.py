"""Incremental crawling: skip stored articles, re-check recent ones with conditional GETs.

A downloader middleware over :class:`crawler.state.CrawlState`. Stored articles published
more than `RECHECK_DAYS` ago are not fetched again. Recent ones are fetched with
If-None-Match / If-Modified-Since; a 304, or a 200 whose payload digest equals the stored
one, is an unchanged re-check (the WARC extension archives it as a revisit) and goes no
further. A changed article goes on to extraction and becomes a new version. Articles seen before
but not stored (dropped for their date) are skipped when their date is outside the window.
A link whose redirect to another article of its site was seen before counts as that article.
Everything is keyed by (site, id), the site coming from the request's profile.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.fingerprint import crawl_sites, profile_of
from crawler.run import crawl_now
from crawler.shared.state import CrawlStateStore, open_crawl_state
from crawler.sitestats import inc_site_value
from crawler.state import KnownArticle

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: request.meta key holding what the last stored fetch of the article looked like.
RECHECK_KEY = "recheck"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _article_key(request: Request, crawler: Crawler) -> tuple[str, str] | None:
    """(site, id) of an article request. The URL decides first: an alias redirected to its
    article carries the alias id in its meta, the target's id in its URL."""
    profile = profile_of(request, crawl_sites(crawler))
    if profile is None:
        return None
    ident = profile.article_id(request.url) or request.meta.get("article_id")
    return (profile.name, ident) if ident else None


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, state: CrawlStateStore, recheck_days: float) -> None:
        self.crawler = crawler
        self.state = state
        self.recheck_after = crawl_now(crawler.settings) - timedelta(days=recheck_days)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True):
            raise NotConfigured("INCREMENTAL_ENABLED is False")
        state = open_crawl_state(settings)
        middleware = cls(crawler, state, settings.getfloat("RECHECK_DAYS", 3))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> None:
        key = _article_key(request, self.crawler)
        if key is None or RECHECK_KEY in request.meta:
            return
        site, article_id = key
        known = self.state.lookup(site, article_id)
        stats = self.crawler.stats
        if known is None:
            target = self.state.alias_target(site, article_id)
            if target is None:
                return
            known = self.state.lookup(site, target)
            if known is None or not self._past_recheck(known):
                return  # follow the redirect: its target is fetched or re-checked as usual
            inc_site_value(stats, "incremental/skipped_stored_alias", site)
            raise IgnoreRequest(f"{site} {article_id} redirects to stored article {target}")
        if not known.stored:
            window = _window_of(self.crawler, site)
            if window is not None and not window.contains(known.published_at):
                inc_site_value(stats, "incremental/skipped_out_of_window", site)
                raise IgnoreRequest(f"{site} {article_id} was published outside the window")
            return
        if self._past_recheck(known):
            inc_site_value(stats, "incremental/skipped_stored", site)
            raise IgnoreRequest(f"{site} {article_id} is stored and past the re-check window")
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta[RECHECK_KEY] = {
            "payload_digest": known.payload_digest,
            "warc_date": known.warc_date,
            "warc_target_uri": known.warc_target_uri,
        }
        inc_site_value(stats, "incremental/rechecked", site)

    def _past_recheck(self, known: KnownArticle) -> bool:
        return (
            known.stored
            and known.published_at is not None
            and known.published_at < self.recheck_after
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in _REDIRECTS:
            self._remember_alias(request, response)
        recheck: dict[str, Any] | None = request.meta.get(RECHECK_KEY)
        if recheck is None:
            return response
        stats = self.crawler.stats
        key = _article_key(request, self.crawler)
        site = key[0] if key else None
        digest = (request.meta.get("warc") or {}).get("payload_digest")
        unchanged = response.status == 304 or (
            response.status == 200 and digest and digest == recheck["payload_digest"]
        )
        if not unchanged:
            inc_site_value(stats, "incremental/changed", site)
            return response
        kind = "not_modified" if response.status == 304 else "identical_payload"
        inc_site_value(stats, f"incremental/unchanged/{kind}", site)
        if key is not None:
            self.state.touch(*key, datetime.now(UTC))
        raise IgnoreRequest(f"article {key} unchanged ({kind})")

    def _remember_alias(self, request: Request, response: Response) -> None:
        """An id that redirects to another article of the same site is that article."""
        profile = profile_of(request, crawl_sites(self.crawler))
        location = response.headers.get(b"Location")
        key = _article_key(request, self.crawler)
        if profile is None or key is None or not location:
            return
        target = profile.article_id(urljoin(request.url, location.decode("latin-1")))
        if target and target != key[1]:
            self.state.record_alias(profile.name, key[1], target)

    def spider_closed(self, spider: Any) -> None:
        self.state.close()


def _window_of(crawler: Crawler, site: str) -> Any:
    """The publication window the spider crawls `site` in, if it has one."""
    spider = crawler.spider
    window_for = getattr(spider, "window_for", None)
    return window_for(site) if window_for is not None else getattr(spider, "window", None)
