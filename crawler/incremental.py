"""Incremental crawling: skip stored articles, re-check recent ones with conditional GETs.

A downloader middleware over :class:`crawler.state.CrawlState`. Stored articles published
more than `RECHECK_DAYS` ago are not fetched again. Recent ones are fetched with
If-None-Match / If-Modified-Since; a 304, or a 200 whose payload digest equals the stored
one, is an unchanged re-check (the WARC extension archives it as a revisit) and goes no
further. A changed article goes on to extraction and becomes a new version. Articles seen before
but not stored (dropped for their date) are skipped when their date is outside the window.
A legacy link whose redirect to a current article was seen before counts as that article.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.run import crawl_now
from crawler.state import CrawlState, KnownArticle
from crawler.urls import article_id as url_article_id
from crawler.urls import is_current_id

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: request.meta key holding what the last stored fetch of the article looked like.
RECHECK_KEY = "recheck"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _article_id(request: Request) -> str | None:
    """The URL decides first: a legacy alias redirected to /article/N carries the alias id."""
    return url_article_id(request.url) or request.meta.get("article_id")


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, state: CrawlState, recheck_days: float) -> None:
        self.crawler = crawler
        self.state = state
        self.recheck_after = crawl_now(crawler.settings) - timedelta(days=recheck_days)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True):
            raise NotConfigured("INCREMENTAL_ENABLED is False")
        state = CrawlState.in_output(Path(settings.get("OUTPUT_DIR", "output")))
        middleware = cls(crawler, state, settings.getfloat("RECHECK_DAYS", 3))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> None:
        article_id = _article_id(request)
        if not article_id or RECHECK_KEY in request.meta:
            return
        known = self.state.lookup(article_id)
        if known is None:
            if is_current_id(article_id):
                return
            target = self.state.alias_target(article_id)
            if target is None:
                return
            known = self.state.lookup(target)
            if known is None or not self._past_recheck(known):
                return  # follow the redirect: its target is fetched or re-checked as usual
            self.crawler.stats.inc_value("incremental/skipped_stored_alias")
            raise IgnoreRequest(f"{article_id} redirects to stored article {target}")
        stats = self.crawler.stats
        if not known.stored:
            window = getattr(self.crawler.spider, "window", None)
            if window is not None and not window.contains(known.published_at):
                stats.inc_value("incremental/skipped_out_of_window")
                raise IgnoreRequest(f"article {article_id} was published outside the window")
            return
        if self._past_recheck(known):
            stats.inc_value("incremental/skipped_stored")
            raise IgnoreRequest(f"article {article_id} is stored and past the re-check window")
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta[RECHECK_KEY] = {
            "payload_digest": known.payload_digest,
            "warc_date": known.warc_date,
            "warc_target_uri": known.warc_target_uri,
        }
        stats.inc_value("incremental/rechecked")

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
        digest = (request.meta.get("warc") or {}).get("payload_digest")
        unchanged = response.status == 304 or (
            response.status == 200 and digest and digest == recheck["payload_digest"]
        )
        if not unchanged:
            stats.inc_value("incremental/changed")
            return response
        kind = "not_modified" if response.status == 304 else "identical_payload"
        stats.inc_value(f"incremental/unchanged/{kind}")
        article_id = _article_id(request)
        self.state.touch(article_id, datetime.now(UTC))
        raise IgnoreRequest(f"article {article_id} unchanged ({kind})")

    def _remember_alias(self, request: Request, response: Response) -> None:
        """A legacy id that redirects to a current article URL is that article."""
        alias = _article_id(request)
        location = response.headers.get(b"Location")
        if not alias or is_current_id(alias) or not location:
            return
        target = url_article_id(urljoin(request.url, location.decode("latin-1")))
        if target and is_current_id(target):
            self.state.record_alias(alias, target)

    def spider_closed(self, spider: Any) -> None:
        self.state.close()
