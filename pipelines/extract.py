"""Fetched page -> ArticleRecord, parsed in the extraction pool.

Pages without an article body are dropped with a reason, counted and logged; fill rates of
the tracked fields are counted per template for the drift report.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.extract import TRACKED_FIELDS, extract_page
from crawler.items import ArticleRecord, FetchedPage
from crawler.pool import ExtractionPool, PoolConfig
from crawler.run import run_id
from crawler.state import CrawlState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ExtractArticlePipeline:
    def __init__(self, crawler: Crawler, pool: ExtractionPool, state: CrawlState) -> None:
        self.crawler = crawler
        self.pool = pool
        self.state = state
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractArticlePipeline:
        output_dir = Path(crawler.settings.get("OUTPUT_DIR", "output"))
        pool = ExtractionPool(PoolConfig.from_settings(crawler.settings))
        return cls(crawler, pool, CrawlState.in_output(output_dir))

    def open_spider(self) -> None:
        self.pool.start()

    def close_spider(self) -> None:
        self.pool.close()
        self.state.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            fields = await self.pool.submit(extract_page, item.url, item.body, item.content_type)
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
        return ArticleRecord(
            article_id=fields["article_id"] or item.article_id,
            site=getattr(spider, "site", spider.name if spider else ""),
            url=item.url,
            canonical_url=fields["canonical_url"],
            title=fields["title"],
            subtitle=fields["subtitle"],
            authors=fields["authors"],
            section=fields["section"],
            published_at=fields["published_at"],
            updated_at=fields["updated_at"],
            crawled_at=item.fetched_at,
            language=fields["language"],
            keywords=fields["keywords"],
            images=fields["images"],
            paragraphs=fields["paragraphs"],
            text=fields["text"],
            word_count=fields["word_count"],
            template=template,
            extractor=fields["extractor"],
            field_sources=fields["field_sources"],
            http_status=item.status,
            discovered_via=item.discovered_via,
            warc_filename=item.warc.get("warc_filename"),
            warc_offset=item.warc.get("warc_offset"),
            warc_length=item.warc.get("warc_length"),
            warc_record_id=item.warc.get("warc_record_id"),
            warc_date=item.warc.get("warc_date"),
            payload_digest=item.warc.get("payload_digest"),
            etag=item.etag,
            last_modified=item.last_modified,
            run_id=run_id(self.crawler),
        )
