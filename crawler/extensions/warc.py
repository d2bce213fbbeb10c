"""Writes every HTTP exchange to WARC as received, and points ``request.meta["warc"]`` at it.

Needs :class:`crawler.warc.WarcCaptureDownloadHandler` for http/https, which supplies the raw
heads. Settings (read once into :class:`crawler.warc.WarcConfig`):

- ``WARC_ENABLED`` (default ``True``)
- ``WARC_MAX_SIZE`` (default ``1_000_000_000`` bytes; rotate once a file reaches it)
- ``WARC_PREFIX`` (default ``"newscrawl"``; files of requests no site claims, such as an
  off-site robots.txt; a site's files are named after the site)
- ``WARC_OPERATOR`` (default: ``CONTACT_URL``, else empty)
- ``WARC_GZIP_LEVEL`` (default ``4``; zlib level 1-9 of each record)
- ``RUN_ID`` (default: UTC timestamp and a random suffix, made once per run)
- ``OUTPUT_DIR`` (default ``"output"``; files go to ``OUTPUT_DIR/warc/``)
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Self

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured

import crawler
from crawler.fingerprint import crawl_sites, profile_of
from crawler.incremental import RECHECK_KEY
from crawler.run import run_id
from crawler.sitestats import inc_site_value
from crawler.warc.config import WarcConfig
from crawler.warc.handler import RAW_EXCHANGE_KEY, RawExchange
from crawler.warc.records import IDENTICAL_PAYLOAD_PROFILE, NOT_MODIFIED_PROFILE, digest
from crawler.warc.recovery import recover
from crawler.warc.writer import WarcPointer, WarcWriter

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

META_KEY = "warc"


def warcinfo_fields(config: WarcConfig) -> dict[str, str]:
    """The ``warcinfo`` block: who captured the files, with what, and under which policy."""
    return {
        "software": f"newscrawl/{crawler.__version__} Scrapy/{scrapy.__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "http-header-user-agent": config.user_agent,
        "robots": "obey" if config.robots_obey else "ignore",
        "operator": config.operator,
        "run-id": config.run_id,
    }


class WarcExtension:
    """One WARC writer per site, so every file holds one site's captures and says so in its
    name (`<site>-<UTC time>-<serial>-<host>-<pid>.warc.gz`)."""

    def __init__(self, config: WarcConfig, stats: StatsCollector, crawler: Crawler) -> None:
        self.config = config
        self.stats = stats
        self.crawler = crawler
        self.writers: dict[str, WarcWriter] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = WarcConfig.from_settings(crawler.settings, run_id(crawler))
        if not config.enabled:
            raise NotConfigured("WARC_ENABLED is False")
        assert crawler.stats is not None
        ext = cls(config, crawler.stats, crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def writer_for(self, request: Request) -> WarcWriter:
        profile = profile_of(request, crawl_sites(self.crawler))
        prefix = profile.name if profile is not None else self.config.prefix
        writer = self.writers.get(prefix)
        if writer is None:
            writer = self.writers[prefix] = WarcWriter(
                self.config.directory,
                prefix,
                self.config.max_size,
                warcinfo_fields(self.config),
                on_closed=partial(self._file_closed, site=prefix),
                gzip_level=self.config.gzip_level,
            )
        return writer

    def spider_opened(self, spider: Spider) -> None:
        if not self.config.directory.is_dir():
            return
        for path in recover(self.config.directory):
            logger.info("Recovered WARC file %s left open by an earlier run", path)
            self.stats.inc_value("warc/recovered_files")

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        raw = request.meta.pop(RAW_EXCHANGE_KEY, None)
        if not isinstance(raw, RawExchange) and request.meta.get("playwright"):
            # Rendered by Chromium: its own traffic is not ours to record, but the DOM it
            # built is kept, pointing at the plain response of the same URL.
            pointer = self.writer_for(request).write_conversion(
                response.url,
                response.body,
                "text/html; charset=utf-8",
                request.meta.get("rendered_from"),
            )
            request.meta[META_KEY] = pointer.as_meta()
            self.stats.inc_value("warc/records_written")
            self.stats.inc_value("warc/conversions_written")
            return
        if not isinstance(raw, RawExchange):
            # Not fetched by WarcCaptureDownloadHandler (e.g. another scheme): no wire bytes.
            self.stats.inc_value("warc/skipped/no_raw_exchange")
            return
        pointer = self._write(request, response, raw)
        request.meta[META_KEY] = pointer.as_meta()
        self.stats.inc_value("warc/records_written", 2)
        self.stats.inc_value(f"warc/{pointer.warc_type}s_written")
        self.stats.inc_value(f"warc/status_count/{response.status}")

    def _write(self, request: Request, response: Response, raw: RawExchange) -> WarcPointer:
        """A response record, or a revisit when a re-check met an unchanged article."""
        ip_address = str(response.ip_address) if response.ip_address else None
        recheck = request.meta.get(RECHECK_KEY)
        if recheck and recheck.get("warc_target_uri") and recheck.get("warc_date"):
            payload = digest(response.body)
            profile = None
            if response.status == 304:
                profile = NOT_MODIFIED_PROFILE
            elif response.status == 200 and payload == recheck.get("payload_digest"):
                profile = IDENTICAL_PAYLOAD_PROFILE
            if profile:
                return self.writer_for(request).write_revisit(
                    url=response.url,
                    request_head=raw.request_head,
                    request_body=request.body,
                    response_head=raw.response_head,
                    ip_address=ip_address,
                    profile=profile,
                    payload_digest=recheck.get("payload_digest"),
                    refers_to_uri=recheck["warc_target_uri"],
                    refers_to_date=recheck["warc_date"],
                )
        return self.writer_for(request).write_exchange(
            url=response.url,
            request_head=raw.request_head,
            request_body=request.body,
            response_head=raw.response_head,
            response_body=response.body,
            ip_address=ip_address,
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for writer in self.writers.values():
            writer.close()

    def _file_closed(self, path: Path, site: str) -> None:
        inc_site_value(self.stats, "warc/files_written", site)
        inc_site_value(self.stats, "warc/bytes_written", site, path.stat().st_size)
