"""The run report: stats, and per site its field fill rates per template and drift alarm.

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

from crawler.accounting import drops, losses
from crawler.checks import float_setting, int_setting
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


def fill_rates(stats: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per site and template: pages seen and the share of them with each tracked field filled
    (from the `extract/pages/<site>/<template>` and `extract/filled/...` stats)."""
    rates: dict[str, dict[str, dict[str, Any]]] = {}
    for key, pages in stats.items():
        if not key.startswith("extract/pages/"):
            continue
        scope = key.removeprefix("extract/pages/")
        site, _, template = scope.partition("/")
        row: dict[str, Any] = {"pages": pages}
        for name in TRACKED_FIELDS:
            filled = stats.get(f"extract/filled/{scope}/{name}", 0)
            row[name] = round(filled / pages, 4) if pages else 0.0
        rates.setdefault(site, {})[template] = row
    return rates


def drift_alarms(
    rates: dict[str, dict[str, Any]],
    config: DriftConfig,
    floors: dict[str, float] | None = None,
) -> list[str]:
    """Alarms of one site's templates whose tracked fields fell below their floor: the
    site's own (`floors`, from its profile) or `DRIFT_MIN_FILL_RATE`."""
    alarms = []
    for template, row in sorted(rates.items()):
        if row["pages"] < config.min_pages:
            continue
        for name in TRACKED_FIELDS:
            floor = (floors or {}).get(name, config.min_fill_rate)
            if row[name] < floor:
                alarms.append(
                    f"{template}.{name} filled on {row[name]:.1%} of {row['pages']} pages"
                    f" (floor {floor:.0%})"
                )
    return alarms


def site_sections(
    stats: dict[str, Any], floors: dict[str, dict[str, float]], drift: DriftConfig
) -> dict[str, dict[str, Any]]:
    """Each site's part of the report: its own counters (`site/<name>/...` stats), fill rates
    per template and drift alarms, so the nightly runner can judge every site alone."""
    rates = fill_rates(stats)
    sections: dict[str, dict[str, Any]] = {}
    for site in sorted(set(floors) | set(rates)):
        prefix = f"site/{site}/"
        alarms = drift_alarms(rates.get(site, {}), drift, floors.get(site))
        sections[site] = {
            "stats": {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)},
            "fill_rates": rates.get(site, {}),
            "drift_alarm": bool(alarms),
            "drift_alarms": alarms,
        }
    return sections


def politeness_by_host(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per host: its effective delay, robots Crawl-delay and back-off / Retry-After events."""
    hosts: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if not key.startswith("politeness/"):
            continue
        _, kind, rest = key.split("/", 2)
        if kind == "events":
            host, event = rest.split("/", 1)
            hosts.setdefault(host, {}).setdefault("events", {})[event] = value
        else:
            hosts.setdefault(rest, {})[kind] = value
    return dict(sorted(hosts.items()))


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
            min_fill_rate=float_setting(settings, "DRIFT_MIN_FILL_RATE", 0.9, minimum=0),
            min_pages=int_setting(settings, "DRIFT_MIN_PAGES", 10, minimum=0),
        )
        extension = cls(crawler, Path(settings.get("OUTPUT_DIR", "output")), drift)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        profiles = getattr(spider, "profiles", {})
        floors = {name: dict(p.drift_floors) for name, p in profiles.items()}
        sites = site_sections(stats, floors, self.drift)
        alarms = [
            f"{site}: {alarm}" for site, part in sites.items() for alarm in part["drift_alarms"]
        ]
        for alarm in alarms:
            logger.warning("extraction drift: %s", alarm)
        self.crawler.stats.set_value("report/drift_alarm", bool(alarms))
        report = {
            "run_id": run_id(self.crawler),
            "spider": spider.name,
            "finish_reason": reason,
            "sites": sites,
            "drift_alarm": bool(alarms),
            "drift_alarms": alarms,
            "dropped": drops(stats),
            "lost": losses(stats),
            "politeness": politeness_by_host(stats),
            "stats": {key: _jsonable(value) for key, value in sorted(stats.items())},
        }
        for drop_reason, count in report["dropped"].items():
            logger.info("dropped %d: %s", count, drop_reason)
        self.path = self.output_dir / "runs" / f"{report['run_id']}.json"
        write_json_atomic(self.path, report)
        for site, part in sites.items():
            logger.info(
                "site %s: %s articles, %s responses, drift alarm %s",
                site,
                part["stats"].get("extract/articles", 0),
                part["stats"].get("response_count", 0),
                "ON" if part["drift_alarm"] else "off",
            )
        logger.info(
            "run report %s: %s articles, %s pages fetched, drift alarm %s",
            self.path,
            stats.get("extract/articles", 0),
            stats.get("downloader/response_count", 0),
            "ON" if alarms else "off",
        )
