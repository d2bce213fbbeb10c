"""The run report: stats, field fill rates per template, and the drift alarm.

Written to `OUTPUT_DIR/runs/<run_id>.json` when the spider closes, so a redesign of the site
shows up in the next morning's report, and the nightly runner can turn it into an exit code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.extract import TRACKED_FIELDS
from crawler.files import write_json_atomic
from crawler.run import run_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DriftConfig:
    min_fill_rate: float
    min_pages: int


def fill_rates(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per template: pages seen and the share of them with each tracked field filled."""
    rates: dict[str, dict[str, Any]] = {}
    for key, pages in stats.items():
        if not key.startswith("extract/pages/"):
            continue
        template = key.removeprefix("extract/pages/")
        rates[template] = {"pages": pages}
        for name in TRACKED_FIELDS:
            filled = stats.get(f"extract/filled/{template}/{name}", 0)
            rates[template][name] = round(filled / pages, 4) if pages else 0.0
    return rates


def drift_alarms(rates: dict[str, dict[str, Any]], config: DriftConfig) -> list[str]:
    alarms = []
    for template, row in sorted(rates.items()):
        if row["pages"] < config.min_pages:
            continue
        for name in TRACKED_FIELDS:
            if row[name] < config.min_fill_rate:
                alarms.append(
                    f"{template}.{name} filled on {row[name]:.1%} of {row['pages']} pages"
                    f" (floor {config.min_fill_rate:.0%})"
                )
    return alarms


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class RunReport:
    def __init__(self, crawler: Crawler, output_dir: Path, drift: DriftConfig) -> None:
        self.crawler = crawler
        self.output_dir = output_dir
        self.drift = drift
        self.path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        settings = crawler.settings
        drift = DriftConfig(
            min_fill_rate=settings.getfloat("DRIFT_MIN_FILL_RATE", 0.9),
            min_pages=settings.getint("DRIFT_MIN_PAGES", 10),
        )
        extension = cls(crawler, Path(settings.get("OUTPUT_DIR", "output")), drift)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        rates = fill_rates(stats)
        alarms = drift_alarms(rates, self.drift)
        for alarm in alarms:
            logger.warning("extraction drift: %s", alarm)
        self.crawler.stats.set_value("report/drift_alarm", bool(alarms))
        report = {
            "run_id": run_id(self.crawler),
            "spider": spider.name,
            "finish_reason": reason,
            "fill_rates": rates,
            "drift_alarm": bool(alarms),
            "drift_alarms": alarms,
            "stats": {key: _jsonable(value) for key, value in sorted(stats.items())},
        }
        self.path = self.output_dir / "runs" / f"{report['run_id']}.json"
        write_json_atomic(self.path, report)
        logger.info(
            "run report %s: %s articles, %s pages fetched, drift alarm %s",
            self.path,
            stats.get("extract/articles", 0),
            stats.get("downloader/response_count", 0),
            "ON" if alarms else "off",
        )
