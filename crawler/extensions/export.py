"""Export to Parquet when the crawl closes, so a plain `scrapy crawl` leaves Parquet behind.

Runs after the item pipelines have flushed the text store. It exports every text part not
yet exported, including those of an earlier run that was killed before its own export.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.checks import bool_setting, int_setting
from crawler.dedup import Sketch
from crawler.export import ExportConfig, export_corpus
from crawler.run import run_id
from crawler.signals import text_sketched

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ParquetExportOnClose:
    def __init__(
        self, crawler: Crawler, output_dir: Path, config: ExportConfig, sketches_kept: int
    ) -> None:
        self.crawler = crawler
        self.output_dir = output_dir
        self.config = config
        #: Sketches from the extraction pool, by (url, hash of the text): about 1.2 KB an
        #: article, held until the export; past `sketches_kept`, the export computes them.
        self._sketches: dict[tuple[str, int], Sketch] = {}
        self._sketches_kept = sketches_kept

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetExportOnClose:
        settings = crawler.settings
        if not bool_setting(settings, "PARQUET_EXPORT_ENABLED", True):
            raise NotConfigured("PARQUET_EXPORT_ENABLED is False")
        extension = cls(
            crawler,
            Path(settings.get("OUTPUT_DIR", "output")),
            ExportConfig.from_settings(settings),
            int_setting(settings, "EXPORT_SKETCHES_KEPT", 200_000, minimum=0),
        )
        # EXTENSIONS orders the close handlers: WARC files close first, the report comes last.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.text_sketched, signal=text_sketched)
        return extension

    def text_sketched(self, url: str, text: str, sketch: Sketch) -> None:
        if len(self._sketches) < self._sketches_kept:
            self._sketches[url, hash(text)] = sketch

    def _sketch(self, url: str, text: str) -> Sketch | None:
        return self._sketches.get((url, hash(text)))

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        result = export_corpus(
            self.output_dir, run_id(self.crawler), config=self.config, sketches=self._sketch
        )
        self._sketches.clear()
        stats.set_value("export/rows", result.rows)
        stats.set_value("export/versions", result.versions)
        stats.set_value("export/files", len(result.files))
        stats.set_value("export/bytes", result.bytes)
        stats.set_value("export/text_parts", result.text_parts)
        stats.set_value("export/recovered_runs", len(result.recovered))
        stats.set_value("export/sketches_reused", result.sketches_reused)
        for kind, count in result.duplicates.items():
            stats.set_value(f"export/duplicates/{kind}", count)
        for site, counts in result.by_site.items():
            for key, value in counts.items():
                stats.set_value(f"site/{site}/export/{key}", value)
        logger.info(
            "parquet export %s: %d rows (%d new versions) in %d files, %d bytes; duplicates %s",
            result.run_id,
            result.rows,
            result.versions,
            len(result.files),
            result.bytes,
            dict(result.duplicates) or "none",
        )
