"""Fetched page -> Article, parsed in the extraction pool.

Pages without an article body are dropped with a reason, counted and logged; fill rates of
the tracked fields are counted per site and template for the drift report.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from crawler.dedup import DedupConfig
from crawler.extract import TRACKED_FIELDS, extract_page, filled_fields
from crawler.fingerprint import crawl_sites
from crawler.items import Article, FetchedPage
from crawler.pool import ExtractionLimitError, ExtractionPool, PoolConfig
from crawler.run import run_id
from crawler.shared.state import CrawlStateStore, open_crawl_state
from crawler.signals import text_sketched
from crawler.sitestats import inc_site_value

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ExtractArticlePipeline:
    def __init__(
        self,
        crawler: Crawler,
        pool: ExtractionPool,
        state: CrawlStateStore,
        dedup: DedupConfig | None = None,
    ) -> None:
        self.crawler = crawler
        self.pool = pool
        self.state = state
        self.stats = crawler.stats
        #: When the crawl exports at close, workers also sketch each text for its dedup.
        self.dedup = dedup
        self.max_text_chars = crawler.settings.getint("EXTRACT_MAX_TEXT_CHARS", 200_000)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractArticlePipeline:
        settings = crawler.settings
        pool = ExtractionPool(PoolConfig.from_settings(settings))
        exporting = settings.getbool("PARQUET_EXPORT_ENABLED", True)
        dedup = DedupConfig.from_settings(settings) if exporting else None
        return cls(crawler, pool, open_crawl_state(settings), dedup)

    def open_spider(self) -> None:
        self.pool.start()

    def close_spider(self) -> None:
        self.pool.close()
        for reason, count in self.pool.replacements.items():
            self.stats.set_value(f"extract/workers_replaced/{reason}", count)
        self.state.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        profile = crawl_sites(self.crawler)[item.site]
        try:
            article, sketch = await self.pool.submit(
                extract_page, item.url, item.body, item.content_type, profile, self.dedup
            )
        except ExtractionLimitError as exc:
            # A page past the sandbox's limits: known bad, dropped alone, the crawl goes on.
            inc_site_value(self.stats, f"dropped/{exc.reason}", item.site)
            logger.warning("dropped %s: %s (%s)", item.url, exc.reason, exc)
            raise DropItem(f"{exc.reason} at {item.url}: {exc}") from exc
        except Exception as exc:
            inc_site_value(self.stats, f"extract/failed/{type(exc).__name__}", item.site)
            raise DropItem(f"extraction failed for {item.url}: {exc!r}") from exc
        self._count(article)
        if article.no_body_reason or not article.paragraphs:
            reason = article.no_body_reason or "empty-body"
            inc_site_value(self.stats, f"extract/no_body/{reason}", item.site)
            logger.warning("no article body at %s (%s)", item.url, reason)
            raise DropItem(f"no article body at {item.url}: {reason}")
        window = self.crawler.spider.window_for(item.site)
        # A re-check of a stored article is kept whatever the window: it may be a new version.
        if not item.rechecked and not window.contains(article.published_at):
            inc_site_value(self.stats, "extract/out_of_window", item.site)
            if item.article_id:
                self.state.record_seen(
                    item.site, item.article_id, item.url, article.published_at, item.fetched_at
                )
            raise DropItem(f"published {article.published_at} outside the window: {item.url}")
        if len(article.text) > self.max_text_chars:
            inc_site_value(self.stats, "dropped/text_too_large", item.site)
            logger.warning("dropped %s: text_too_large (%d chars)", item.url, len(article.text))
            raise DropItem(f"text_too_large at {item.url}")
        inc_site_value(self.stats, "extract/articles", item.site)
        article.record_fetch(
            crawled_at=item.fetched_at,
            http_status=item.status,
            warc=item.warc,
            run_id=run_id(self.crawler),
            discovered_via=item.discovered_via,
            etag=item.etag,
            last_modified=item.last_modified,
            article_id=item.article_id,
        )
        if sketch is not None:
            self.crawler.signals.send_catch_log(
                text_sketched, url=article.url, text=article.text, sketch=sketch
            )
        return article

    def _count(self, article: Article) -> None:
        """Pages, filled tracked fields and extractors, per site and template."""
        scope = f"{article.site}/{article.template}"
        self.stats.inc_value(f"extract/pages/{scope}")
        for name, filled in filled_fields(article).items():
            if filled and name in TRACKED_FIELDS:
                self.stats.inc_value(f"extract/filled/{scope}/{name}")
        self.stats.inc_value(f"extract/extractor/{article.extractor}")
