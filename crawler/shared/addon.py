"""`REDIS_URL` turns a crawl into a worker of a shared crawl (a Scrapy add-on, in ADDONS).

Without `REDIS_URL` it changes nothing. With it: scrapy-redis' scheduler on the shared
frontier (`crawler.shared.frontier`), `start()` seeded once per crawl and the crawl's end
decided across workers (`crawler.shared.workers`), the shared per-host budget
(`crawler.shared.politeness`), robots.txt read once per crawl (`crawler.shared.robots`), the
crawl state in Redis (`crawler.shared.state`), and no export at close: one export step merges
every worker's text parts (`scrapy export`, or `newscrawl-nightly --workers N`). Settings
given on the command line still win.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES

from crawler.errors import ConfigError
from crawler.shared import SharedConfig


class SharedCrawl:
    def update_settings(self, settings: Any) -> None:
        config = SharedConfig.from_settings(settings)
        if not config.enabled:
            return
        if not config.crawl_id:
            raise ConfigError(
                "REDIS_URL is set: SHARED_CRAWL_ID must name the crawl its workers share"
                " (e.g. -s SHARED_CRAWL_ID=2025-01-31)"
            )
        for name, value in [
            ("SCHEDULER", "crawler.shared.frontier.SharedScheduler"),
            ("DUPEFILTER_CLASS", "crawler.shared.frontier.FingerprintDupeFilter"),
            ("SCHEDULER_PERSIST", True),
            ("PARQUET_EXPORT_ENABLED", False),
        ]:
            _over_project(settings, name, value)
        for name, path, order in [
            ("EXTENSIONS", "crawler.shared.workers.WorkerCoordinator", 100),
            ("SPIDER_MIDDLEWARES", "crawler.shared.workers.SeedOnceMiddleware", 10),
        ]:
            _over_project(settings, name, {**settings.getdict(name), path: order})
        robots = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
        middlewares = {
            **settings.getdict("DOWNLOADER_MIDDLEWARES"),
            robots: None,
            "crawler.shared.robots.SharedRobotsTxtMiddleware": 100,
            # Just below crawler.politeness (560): reads the delay it has just set.
            "crawler.shared.politeness.SharedFloorMiddleware": 555,
        }
        _over_project(settings, "DOWNLOADER_MIDDLEWARES", middlewares)
        handler = "crawler.shared.politeness.SharedBudgetDownloadHandler"
        handlers = {**settings.getdict("DOWNLOAD_HANDLERS"), "http": handler, "https": handler}
        _over_project(settings, "DOWNLOAD_HANDLERS", handlers)


def _over_project(settings: Any, name: str, value: Any) -> None:
    """Set `name` over the project's settings.py (add-ons rank below it), not over `-s`."""
    if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
        settings.set(name, value, "project")
