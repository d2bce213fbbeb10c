"""Article -> the clean-text store (`OUTPUT_DIR/text/<run_id>/`).

Each complete part is then recorded in the crawl state, so the next run knows what it has.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.items import Article
from crawler.run import run_id
from crawler.shared.state import CrawlStateStore, open_crawl_state
from crawler.sitestats import inc_site_value
from crawler.textstore import TextStoreWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class TextStorePipeline:
    def __init__(self, crawler: Crawler, writer: TextStoreWriter, state: CrawlStateStore) -> None:
        self.crawler = crawler
        self.writer = writer
        self.state = state
        writer.on_part_written = state.record_stored

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextStorePipeline:
        settings = crawler.settings
        output_dir = Path(settings.get("OUTPUT_DIR", "output"))
        writer = TextStoreWriter(
            output_dir,
            run_id(crawler),
            records_per_part=settings.getint("TEXTSTORE_RECORDS_PER_PART", 200),
        )
        return cls(crawler, writer, open_crawl_state(settings))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.writer.write(item)
            inc_site_value(self.crawler.stats, "textstore/records", item.site)
        return item

    def close_spider(self) -> None:
        self.writer.flush()
        self.state.close()
        stats = self.crawler.stats
        stats.set_value("textstore/parts", len(self.writer.parts_written))
        stats.set_value("textstore/bytes", self.writer.bytes_written)
        logger.info(
            "text store: %d records in %d parts under %s",
            self.writer.records_written,
            len(self.writer.parts_written),
            self.writer.directory,
        )
