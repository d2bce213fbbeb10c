"""Incremental crawling: skip stored articles, re-check recent ones with conditional GETs.

A downloader middleware over :class:`crawler.state.CrawlState`. Stored articles published
more than `RECHECK_DAYS` ago are not fetched again. Recent ones are fetched with
If-None-Match / If-Modified-Since; a 304, or a 200 whose payload digest equals the stored
one, is an unchanged re-check (the WARC extension archives it as a revisit) and goes no
further. A changed article goes on to extraction and becomes a new version. Articles seen before
but not stored (dropped for their date) are skipped when their date is outside the window.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.run import crawl_now
from crawler.state import CrawlState
from crawler.urls import article_id as current_id

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: request.meta key holding what the last stored fetch of the article looked like.
RECHECK_KEY = "recheck"


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
        # The URL decides first: a legacy alias redirected to /article/N carries the alias id.
        article_id = current_id(request.url) or request.meta.get("article_id")
        if not article_id or RECHECK_KEY in request.meta:
            return
        known = self.state.lookup(article_id)
        if known is None:
            return
        stats = self.crawler.stats
        if not known.stored:
            window = getattr(self.crawler.spider, "window", None)
            if window is not None and not window.contains(known.published_at):
                stats.inc_value("incremental/skipped_out_of_window")
                raise IgnoreRequest(f"article {article_id} was published outside the window")
            return
        if known.published_at is not None and known.published_at < self.recheck_after:
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

    def process_response(self, request: Request, response: Response) -> Response:
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
        article_id = current_id(request.url) or request.meta["article_id"]
        self.state.touch(article_id, datetime.now(UTC))
        raise IgnoreRequest(f"article {article_id} unchanged ({kind})")

    def spider_closed(self, spider: Any) -> None:
        self.state.close()
