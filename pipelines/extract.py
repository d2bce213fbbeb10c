"""Fetched page -> ArticleRecord, parsed in the extraction pool.

Pages without an article body are dropped with a reason, counted and logged; fill rates of
the tracked fields are counted per template for the drift report.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.dedup import DedupConfig
from crawler.extract import TRACKED_FIELDS, extract_page
from crawler.items import FetchedPage, article_record
from crawler.pool import ExtractionPool, PoolConfig
from crawler.run import run_id
from crawler.signals import text_sketched
from crawler.state import CrawlState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ExtractArticlePipeline:
    def __init__(
        self,
        crawler: Crawler,
        pool: ExtractionPool,
        state: CrawlState,
        dedup: DedupConfig | None = None,
    ) -> None:
        self.crawler = crawler
        self.pool = pool
        self.state = state
        self.stats = crawler.stats
        #: When the crawl exports at close, workers also sketch each text for its dedup.
        self.dedup = dedup

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractArticlePipeline:
        settings = crawler.settings
        output_dir = Path(settings.get("OUTPUT_DIR", "output"))
        pool = ExtractionPool(PoolConfig.from_settings(settings))
        exporting = settings.getbool("PARQUET_EXPORT_ENABLED", True)
        dedup = DedupConfig.from_settings(settings) if exporting else None
        return cls(crawler, pool, CrawlState.in_output(output_dir), dedup)

    def open_spider(self) -> None:
        self.pool.start()

    def close_spider(self) -> None:
        self.pool.close()
        self.state.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            fields = await self.pool.submit(
                extract_page, item.url, item.body, item.content_type, self.dedup
            )
        except Exception as exc:
            self.stats.inc_value(f"extract/failed/{type(exc).__name__}")
            raise DropItem(f"extraction failed for {item.url}: {exc!r}") from exc
        template = fields["template"]
        self.stats.inc_value(f"extract/pages/{template}")
        for name in TRACKED_FIELDS:
            if fields["filled"][name]:
                self.stats.inc_value(f"extract/filled/{template}/{name}")
        self.stats.inc_value(f"extract/extractor/{fields['extractor']}")
        if fields["no_body_reason"] or not fields["paragraphs"]:
            reason = fields["no_body_reason"] or "empty-body"
            self.stats.inc_value(f"extract/no_body/{reason}")
            logger.warning("no article body at %s (%s)", item.url, reason)
            raise DropItem(f"no article body at {item.url}: {reason}")
        spider = self.crawler.spider
        window = getattr(spider, "window", None)
        # A re-check of a stored article is kept whatever the window: it may be a new version.
        if (
            window is not None
            and not item.rechecked
            and not window.contains(fields["published_at"])
        ):
            self.stats.inc_value("extract/out_of_window")
            if item.article_id:
                self.state.record_seen(
                    item.article_id, item.url, fields["published_at"], item.fetched_at
                )
            raise DropItem(f"published {fields['published_at']} outside the window: {item.url}")
        self.stats.inc_value("extract/articles")
        record = article_record(
            fields,
            article_id=item.article_id,
            site=getattr(spider, "site", spider.name if spider else ""),
            url=item.url,
            crawled_at=item.fetched_at,
            http_status=item.status,
            warc=item.warc,
            run_id=run_id(self.crawler),
            discovered_via=item.discovered_via,
            etag=item.etag,
            last_modified=item.last_modified,
        )
        if fields["sketch"] is not None:
            self.crawler.signals.send_catch_log(
                text_sketched, url=record.url, text=record.text, sketch=fields["sketch"]
            )
        return record
