"""Workers of one shared crawl: who seeds the frontier, who is alive, when the crawl is over.

- `SeedOnceMiddleware`: the spider's `async def start()` runs in the first worker only (a
  Redis `SET NX` flag per crawl); the others, and a resumed crawl, take their requests from
  the shared queue. scrapy-redis' own spiders read seeds from a Redis list with a sync
  `start_requests()`, which Scrapy >= 2.13 no longer calls; this keeps our `start()` as it is.
- `WorkerCoordinator`: a heartbeat key per worker (expiring after `SHARED_HEARTBEAT`, deleted
  once the engine has stopped, after the run report is written), and on
  `spider_idle` one Lua call that says whether the crawl is over: the shared queue is empty and
  no live worker is busy with requests it popped. Until then an idle worker polls the queue
  every `SHARED_POLL_INTERVAL`. A dead worker's busy mark is dropped with its heartbeat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from crawler.run import run_id
from crawler.shared import SharedConfig, connect

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_IDLE_AND_DONE = """
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('HKEYS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[2] .. worker) == 1 then return 0 end
  redis.call('HDEL', KEYS[2], worker)
end
return 1
"""


def _config(crawler: Crawler) -> SharedConfig:
    config = SharedConfig.from_settings(crawler.settings)
    if not config.enabled:
        raise NotConfigured("REDIS_URL is not set")
    return config


class SeedOnceMiddleware:
    """Spider middleware: the first worker of a crawl runs `start()`, the others skip it."""

    def __init__(self, crawler: Crawler, config: SharedConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.server = connect(config.redis_url)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnceMiddleware:
        return cls(crawler, _config(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        flag = self.config.crawl_key("seeded")
        if not self.server.set(flag, self.config.worker_id, nx=True):
            seeder = self.server.get(flag)
            logger.info(
                "crawl %s was seeded by worker %s: taking requests from the shared queue",
                self.config.crawl_id,
                seeder.decode() if seeder else "?",
            )
            self.crawler.stats.set_value("shared/seeded", False)
            return
        # Busy until its start() is read out, so no idle worker ends the crawl meanwhile.
        self.server.hset(self.config.crawl_key("busy"), self.config.worker_id, 1)
        self.crawler.stats.set_value("shared/seeded", True)
        async for request in start:
            yield request


class WorkerCoordinator:
    """Extension: heartbeat, and the shared decision of when the crawl is over."""

    def __init__(self, crawler: Crawler, config: SharedConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.server = connect(config.redis_url)
        self._alive_key = config.crawl_key("alive", config.worker_id)
        self._idle_and_done = self.server.register_script(_IDLE_AND_DONE)
        self._beat = task.LoopingCall(self._heartbeat)
        self._polls = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerCoordinator:
        coordinator = cls(crawler, _config(crawler))
        crawler.signals.connect(coordinator.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(coordinator.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(coordinator.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(coordinator.engine_stopped, signal=signals.engine_stopped)
        return coordinator

    def _heartbeat(self) -> None:
        self.server.set(self._alive_key, 1, px=int(self.config.heartbeat * 1000))

    def spider_opened(self, spider: Any) -> None:
        self._heartbeat()
        # The coordinator merges the reports of every worker that took part, by run id.
        self.server.hset(self.config.crawl_key("runs"), self.config.worker_id, run_id(self.crawler))
        self._beat.start(self.config.heartbeat / 3, now=False)
        logger.info("worker %s joined crawl %s", self.config.worker_id, self.config.crawl_id)

    def spider_idle(self, spider: Any) -> None:
        done = self._idle_and_done(
            keys=[self.config.crawl_key("requests"), self.config.crawl_key("busy")],
            args=[self.config.worker_id, self.config.crawl_key("alive", "")],
        )
        if done:
            return
        self._polls += 1
        self.crawler.stats.set_value("shared/idle_polls", self._polls)
        engine = self.crawler.engine
        # Scrapy looks at the scheduler again on its own heartbeat (5 s); sooner is better
        # when another worker is about to push the next listing's articles.
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            from twisted.internet import reactor

            reactor.callLater(self.config.poll_interval, slot.nextcall.schedule)
        raise DontCloseSpider("other workers are still busy on this crawl")

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.server.hdel(self.config.crawl_key("busy"), self.config.worker_id)
        logger.info(
            "worker %s left crawl %s (%s)", self.config.worker_id, self.config.crawl_id, reason
        )

    def engine_stopped(self) -> None:
        """Alive until every close-time handler has run: the coordinator reads this worker's
        run report once the key is gone, and the report is written on `spider_closed`."""
        if self._beat.running:
            self._beat.stop()
        self.server.delete(self._alive_key)
