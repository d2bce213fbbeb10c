"""Crawl progress every PROGRESS_LOG_INTERVAL seconds: articles per minute and the queue size.

Scrapy's LogStats counts pages and items; a long crawl also needs to show whether articles
are still coming out and how much is left to fetch. The final rate goes to the stats.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.checks import float_setting

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CrawlProgress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: Any = None
        self._articles_before = 0
        self._pages_before = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = float_setting(crawler.settings, "PROGRESS_LOG_INTERVAL", 60.0, minimum=0)
        if not interval:
            raise NotConfigured("PROGRESS_LOG_INTERVAL is 0")
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats
        articles = stats.get_value("extract/articles", 0)
        pages = stats.get_value("response_received_count", 0)
        per_minute = 60.0 / self.interval
        logger.info(
            "progress: %d articles (at %.0f articles/min), %d pages (at %.0f pages/min),"
            " %d requests queued, %d downloading",
            articles,
            (articles - self._articles_before) * per_minute,
            pages,
            (pages - self._pages_before) * per_minute,
            self.queued(),
            self.downloading(),
        )
        self._articles_before, self._pages_before = articles, pages

    def queued(self) -> int:
        """Requests waiting in the scheduler (what is left to fetch, as far as known)."""
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if scheduler is not None and hasattr(scheduler, "__len__"):
            return len(scheduler)
        stats = self.crawler.stats
        return stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)

    def downloading(self) -> int:
        engine = self.crawler.engine
        return len(engine.downloader.active) if engine is not None else 0

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        start, finish = (self.crawler.stats.get_value(k) for k in ("start_time", "finish_time"))
        minutes = (finish - start).total_seconds() / 60 if start and finish else 0
        if minutes > 0:
            rate = self.crawler.stats.get_value("extract/articles", 0) / minutes
            self.crawler.stats.set_value("progress/articles_per_minute", round(rate, 1))
