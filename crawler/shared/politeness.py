"""One politeness budget per host across all workers: a next-allowed time and leases in Redis.

Design: a shared gate, not host-partitioned queues. Each request, just before it goes on the
wire (in the download handler, after the worker's own slot has paced it), asks one Lua script
on the Redis server for the host: "may I send now?". The script keeps, per host, the time
the next request may leave (`next_at`, on the Redis server's clock, so worker clocks do not
matter) and a sorted set of leases for requests in flight. It grants when the host's gap has
passed and fewer than its concurrency are in flight, and then moves `next_at` on by the gap;
otherwise it answers how long to wait. The gap is the largest delay any worker holds for the
host: its own slot's delay (which crawler.politeness sets from the profile or
`DOWNLOAD_DELAY`, robots Crawl-delay, back-off and AutoThrottle), and the delays other workers
reported after their last response from the host (`SharedFloorMiddleware`), each standing
until that worker reports again or `POLITENESS_BACKOFF_RESET` passes. So one worker that meets
a 429 slows them all. A Retry-After within `POLITENESS_MAX_RETRY_AFTER` holds the host for
everyone (`hold`). Leases expire after `DOWNLOAD_TIMEOUT`, so a dead worker's free themselves.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.politeness import RETRY_AFTER_STATUSES, PolitenessConfig, parse_retry_after
from crawler.render import RenderingDownloadHandler
from crawler.shared import SharedConfig, connect

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

#: KEYS: host hash, host leases, host floors.
#: ARGV: gap ms, concurrency, lease ttl ms, lease id.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[1])
local floors = redis.call('HGETALL', KEYS[3])
for i = 1, #floors, 2 do
  local sep = string.find(floors[i + 1], '|', 1, true)
  local floor = tonumber(string.sub(floors[i + 1], 1, sep - 1))
  if tonumber(string.sub(floors[i + 1], sep + 1)) <= now then
    redis.call('HDEL', KEYS[3], floors[i])
  elseif floor > gap then
    gap = floor
  end
end
local concurrency = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if concurrency > 0 and redis.call('ZCARD', KEYS[2]) >= concurrency then return -20 end
local at = tonumber(redis.call('HGET', KEYS[1], 'next_at') or '0')
local hold = tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0')
if hold > at then at = hold end
if now < at then return at - now end
redis.call('HSET', KEYS[1], 'next_at', now + gap)
if concurrency > 0 then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4]) end
return 0
"""

#: KEYS: host floors. ARGV: worker, its delay for the host (ms), how long it stands (ms).
_REPORT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. (now + tonumber(ARGV[3])))
return 1
"""

#: KEYS: host hash. ARGV: seconds (ms) the host asked everyone to wait.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local hold = tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0')
if until_ms > hold then redis.call('HSET', KEYS[1], 'not_before', until_ms) end
return until_ms
"""


class HostBudget:
    """The shared gate: `await acquire(host, gap, concurrency)`, then `release(host, lease)`."""

    def __init__(self, server: Any, config: SharedConfig, lease_seconds: float) -> None:
        self.server = server
        self.config = config
        self.lease_ms = int(lease_seconds * 1000)
        self._acquire = server.register_script(_ACQUIRE)
        self._report = server.register_script(_REPORT)
        self._hold = server.register_script(_HOLD)
        #: Seconds this worker has waited at the gate, for the stats.
        self.waited = 0.0

    def _keys(self, host: str) -> list[str]:
        key = self.config.state_key("host", host)
        return [key, f"{key}:leases", f"{key}:floors"]

    async def acquire(self, host: str, gap: float, concurrency: int) -> str:
        lease = secrets.token_hex(8)
        gap_ms = int(gap * 1000)
        while True:
            wait_ms = self._acquire(
                keys=self._keys(host), args=[gap_ms, concurrency, self.lease_ms, lease]
            )
            if wait_ms == 0:
                return lease
            seconds = abs(int(wait_ms)) / 1000
            self.waited += seconds
            await asyncio.sleep(seconds)

    def report(self, host: str, delay: float, stands_for: float) -> None:
        """This worker's delay for the host (base, Crawl-delay, back-off) holds for every
        worker until this worker reports again, or for `stands_for` seconds."""
        self._report(
            keys=self._keys(host)[2:],
            args=[self.config.worker_id, int(delay * 1000), int(stands_for * 1000)],
        )

    def release(self, host: str, lease: str) -> None:
        self.server.zrem(self._keys(host)[1], lease)

    def hold(self, host: str, seconds: float) -> None:
        """Retry-After: no worker asks the host again for `seconds`."""
        self._hold(keys=self._keys(host)[:1], args=[int(seconds * 1000)])


class SharedBudgetDownloadHandler(RenderingDownloadHandler):
    """Our download handler, with every request passing the host's shared gate first."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        config = SharedConfig.from_settings(crawler.settings)
        self.budget = HostBudget(
            connect(config.redis_url),
            config,
            lease_seconds=crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 5,
        )
        self.max_retry_after = PolitenessConfig.from_settings(crawler.settings).max_retry_after

    async def download_request(self, request: Request) -> Response:
        downloader = self._crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        gap = slot.delay if slot is not None else 0.0
        concurrency = slot.concurrency if slot is not None else 0
        lease = await self.budget.acquire(key, gap, concurrency)
        stats = self._crawler.stats
        stats.set_value("shared/politeness/waited_s", round(self.budget.waited, 3))
        try:
            response = await super().download_request(request)
        finally:
            self.budget.release(key, lease)
        if response.status in RETRY_AFTER_STATUSES:
            header = response.headers.get(b"Retry-After")
            seconds = parse_retry_after(
                header.decode("latin-1") if header else None, datetime.now(UTC)
            )
            if seconds is not None and seconds <= self.max_retry_after:
                self.budget.hold(key, seconds)
                stats.inc_value("shared/politeness/retry_after_held")
        return response


class SharedFloorMiddleware:
    """Downloader middleware just below crawler.politeness.PolitenessMiddleware (560): after
    it has set the host's slot delay from a response (Crawl-delay, back-off, Retry-After), the
    delay is reported to the shared gate, so every worker keeps at least that pace until this
    worker reports again or `POLITENESS_BACKOFF_RESET` passes."""

    def __init__(self, crawler: Crawler, budget: HostBudget, stands_for: float) -> None:
        self.crawler = crawler
        self.budget = budget
        self.stands_for = stands_for

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFloorMiddleware:
        config = SharedConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("REDIS_URL is not set")
        budget = HostBudget(connect(config.redis_url), config, lease_seconds=0)
        reset = PolitenessConfig.from_settings(crawler.settings).backoff_reset
        return cls(crawler, budget, reset)

    def process_response(self, request: Request, response: Response) -> Response:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            self.budget.report(key, slot.delay, self.stands_for)
        return response
