"""One politeness budget per host across all workers: a next-allowed time and leases in Redis.

Design: a shared gate, not host-partitioned queues. Each request, just before it goes on the
wire (in the download handler, after the worker's own slot has paced it), asks one Lua script
on the Redis server for the host: "may I send now?". The script keeps, per host, the time
the next request may leave (`next_at`, on the Redis server's clock, so worker clocks do not
matter) and a sorted set of leases for requests in flight. It grants when the host's gap has
passed and fewer than its concurrency are in flight, and then moves `next_at` on by the gap;
otherwise it answers how long to wait. The gap is the largest that any worker currently holds
for the host (its slot delay: the profile's or `DOWNLOAD_DELAY`, raised by robots
Crawl-delay, back-off or AutoThrottle), so one worker that learns of a Crawl-delay or a 429
slows them all. A Retry-After holds the host for everyone (`hold`). Leases expire after
`DOWNLOAD_TIMEOUT`, so a killed worker's leases free themselves.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from crawler.render import RenderingDownloadHandler
from crawler.shared import SharedConfig, connect

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

#: KEYS: host hash, host leases. ARGV: gap ms, concurrency, lease ttl ms, lease id, gap ttl ms.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[1])
local shared_gap = tonumber(redis.call('HGET', KEYS[1], 'gap') or '0')
local gap_until = tonumber(redis.call('HGET', KEYS[1], 'gap_until') or '0')
if gap_until > now and shared_gap > gap then gap = shared_gap end
local concurrency = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if concurrency > 0 and redis.call('ZCARD', KEYS[2]) >= concurrency then return -20 end
local at = tonumber(redis.call('HGET', KEYS[1], 'next_at') or '0')
local hold = tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0')
if hold > at then at = hold end
if now < at then return at - now end
redis.call('HSET', KEYS[1], 'next_at', now + gap)
if tonumber(ARGV[1]) >= shared_gap or gap_until <= now then
  redis.call('HSET', KEYS[1], 'gap', ARGV[1], 'gap_until', now + tonumber(ARGV[5]))
end
if concurrency > 0 then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4]) end
return 0
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
        self._hold = server.register_script(_HOLD)
        #: Seconds this worker has waited at the gate, for the stats.
        self.waited = 0.0

    def _keys(self, host: str) -> list[str]:
        return [self.config.state_key("host", host), self.config.state_key("host", host, "leases")]

    async def acquire(self, host: str, gap: float, concurrency: int) -> str:
        lease = secrets.token_hex(8)
        gap_ms = int(gap * 1000)
        while True:
            wait_ms = self._acquire(
                keys=self._keys(host),
                # A worker's gap stands for everyone for a while (30 s, or 3 gaps).
                args=[gap_ms, concurrency, self.lease_ms, lease, max(30_000, 3 * gap_ms)],
            )
            if wait_ms == 0:
                return lease
            seconds = abs(int(wait_ms)) / 1000
            self.waited += seconds
            await asyncio.sleep(seconds)

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
        if response.status in (429, 503):
            retry_after = response.headers.get(b"Retry-After")
            if retry_after and retry_after.strip().isdigit():
                self.budget.hold(key, float(retry_after.strip()))
                stats.inc_value("shared/politeness/retry_after_held")
        return response
