"""ArticleRecord -> the clean-text store (`OUTPUT_DIR/text/<run_id>/`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.items import ArticleRecord
from crawler.run import run_id
from crawler.textstore import TextStoreWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class TextStorePipeline:
    def __init__(self, crawler: Crawler, writer: TextStoreWriter) -> None:
        self.crawler = crawler
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextStorePipeline:
        settings = crawler.settings
        writer = TextStoreWriter(
            Path(settings.get("OUTPUT_DIR", "output")),
            run_id(crawler),
            records_per_part=settings.getint("TEXTSTORE_RECORDS_PER_PART", 200),
        )
        return cls(crawler, writer)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleRecord):
            self.writer.write(item)
            self.crawler.stats.inc_value("textstore/records")
        return item

    def close_spider(self) -> None:
        self.writer.flush()
        stats = self.crawler.stats
        stats.set_value("textstore/parts", len(self.writer.parts_written))
        stats.set_value("textstore/bytes", self.writer.bytes_written)
        logger.info(
            "text store: %d records in %d parts under %s",
            self.writer.records_written,
            len(self.writer.parts_written),
            self.writer.directory,
        )
