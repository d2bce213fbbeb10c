"""The shared frontier: scrapy-redis' scheduler and priority queue, with our fingerprints.

- `SharedScheduler` is scrapy-redis' `Scheduler` on keys named by the crawl
  (`<prefix>:crawl:<SHARED_CRAWL_ID>:requests` / `:dupefilter`), always persisted, so a
  stopped crawl resumes where it was and our `Request.priority` orders the shared queue.
- `FingerprintDupeFilter` asks the crawler's request fingerprinter
  (`crawler.fingerprint.ArticleRequestFingerprinter`, keyed on (site, id)): scrapy-redis'
  `RFPDupeFilter` hashes the canonical URL itself and ignores `REQUEST_FINGERPRINTER_CLASS`.
  With `SHARED_DUPEFILTER = "bloom"` it uses the server's Bloom filter commands (BF.RESERVE,
  BF.ADD) when the server has them, else a plain set, and says so.
- `ClaimingPriorityQueue` pops a request and marks its worker busy in one Lua call, so an
  idle worker never ends the crawl while another one is still working on what it popped
  (see `crawler.shared.workers`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import ResponseError
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.errors import ConfigError
from crawler.shared import SharedConfig, connect

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_POP_AND_CLAIM = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0)
if #item == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return item[1]
"""


class ClaimingPriorityQueue(PriorityQueue):
    """scrapy-redis' sorted-set queue (score = -priority); a pop also marks the worker busy."""

    def __init__(self, server: Any, spider: Spider, key: str, busy_key: str, worker: str) -> None:
        super().__init__(server, spider, key, serializer=picklecompat)
        self.busy_key = busy_key
        self.worker = worker
        self._pop = server.register_script(_POP_AND_CLAIM)

    def pop(self, timeout: int = 0) -> Request | None:
        data = self._pop(keys=[self.key, self.busy_key], args=[self.worker, 1])
        return self._decode_request(data) if data else None


class FingerprintDupeFilter(RFPDupeFilter):
    """scrapy-redis' Redis dupefilter, keyed on our (site, id) request fingerprints."""

    def __init__(
        self, server: Any, key: str, crawler: Crawler, bloom: bool = False, debug: bool = False
    ) -> None:
        super().__init__(server, key, debug=debug)
        self.fingerprinter = crawler.request_fingerprinter
        self.bloom = bloom

    @classmethod
    def from_spider(cls, spider: Spider) -> FingerprintDupeFilter:
        crawler = spider.crawler
        config = SharedConfig.from_settings(crawler.settings)
        server = connect(config.redis_url)
        key = config.crawl_key("dupefilter")
        bloom = config.dupefilter == "bloom" and _reserve_bloom(server, key, config)
        if config.dupefilter == "bloom" and not bloom:
            logger.warning(
                "SHARED_DUPEFILTER is bloom but the Redis server has no Bloom filter commands"
                " (the RedisBloom module, BF.*): using a plain set of fingerprints instead"
            )
            crawler.stats.set_value("shared/dupefilter_bloom_unavailable", 1)
        crawler.stats.set_value("shared/dupefilter", "bloom" if bloom else "set")
        debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        return cls(server, key, crawler, bloom=bloom, debug=debug)

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.request_fingerprint(request)
        if self.bloom:
            return not self.server.execute_command("BF.ADD", self.key, fingerprint)
        return self.server.sadd(self.key, fingerprint) == 0

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers, and a resumed crawl, still need them."""


def _reserve_bloom(server: Any, key: str, config: SharedConfig) -> bool:
    """Create the crawl's Bloom filter (if new); False when the server lacks BF.*."""
    try:
        server.execute_command(
            "BF.RESERVE", key, config.bloom_error_rate, config.bloom_capacity, "NONSCALING"
        )
    except ResponseError as exc:
        message = str(exc).lower()
        if "exists" in message:
            return True
        if "unknown command" in message:
            return False
        raise
    return True


class SharedScheduler(Scheduler):
    """scrapy-redis' scheduler on this crawl's keys, persisted, with our dupefilter."""

    def __init__(self, server: Any, config: SharedConfig, crawler: Crawler) -> None:
        super().__init__(
            server,
            persist=True,
            queue_key=config.crawl_key("requests"),
            dupefilter_key=config.crawl_key("dupefilter"),
            serializer=picklecompat,
        )
        self.config = config
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        config = SharedConfig.from_settings(crawler.settings)
        server = connect(config.redis_url)
        try:
            server.ping()
        except OSError as exc:  # redis' ConnectionError is an OSError
            raise ConfigError(f"REDIS_URL {config.redis_url!r} does not answer: {exc}") from exc
        return cls(server, config, crawler)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = ClaimingPriorityQueue(
            self.server,
            spider,
            self.queue_key,
            busy_key=self.config.crawl_key("busy"),
            worker=self.config.worker_id,
        )
        self.df = FingerprintDupeFilter.from_spider(spider)
        pending = len(self.queue)
        if pending:
            logger.info("crawl %s: resuming, %d requests queued", self.config.crawl_id, pending)

    def close(self, reason: str) -> None:
        """The frontier stays in Redis: other workers go on, a stopped crawl resumes."""

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            self.stats.inc_value("shared/dupefilter/filtered")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
