"""Per-host politeness arithmetic, with an injected clock; the crawl-level timing is measured
against the fault replica in tests/test_hostile_crawl.py."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import pytest
from scrapy.settings import Settings

from crawler.errors import ConfigError
from crawler.politeness import HostPoliteness, PolitenessConfig, parse_retry_after

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _politeness(clock: Clock, **overrides: float) -> HostPoliteness:
    values = {
        "POLITENESS_BACKOFF_BASE": 60,
        "POLITENESS_BACKOFF_MAX": 300,
        "POLITENESS_BACKOFF_JITTER": 0.1,
        "POLITENESS_BACKOFF_RESET": 1800,
        "POLITENESS_MAX_CRAWL_DELAY": 10,
        "POLITENESS_MAX_RETRY_AFTER": 600,
        **overrides,
    }
    config = PolitenessConfig.from_settings(Settings(values))
    return HostPoliteness(config, default_delay=1.0, clock=clock, rng=random.Random(7))


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Thu, 02 Jan 2025 03:05:05 GMT", NOW) == 60
    assert parse_retry_after("Thu, 02 Jan 2025 03:00:00 GMT", NOW) == 0  # already past
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("", NOW) is None
    assert parse_retry_after("1" + "2".translate({50: 0xFF12}), NOW) is None  # a full-width 2


def test_crawl_delay_is_honoured_up_to_the_cap() -> None:
    politeness = _politeness(Clock())
    politeness.robots_seen("a", 3.0)
    politeness.robots_seen("b", 86400.0)
    assert politeness.delay("a") == 3.0
    assert politeness.delay("b") == 10.0
    assert politeness.host("b").events == {"crawl_delay_capped": 1}
    assert politeness.delay("c") == 1.0  # the base delay


def test_backoff_doubles_with_jitter_is_capped_and_resets_after_quiet() -> None:
    clock = Clock()
    politeness = _politeness(clock)
    steps = [politeness.trouble("a", "http_503") for _ in range(6)]
    for step, nominal in zip(steps, [60, 120, 240, 300, 300, 300], strict=True):
        assert nominal * 0.9 <= step <= nominal * 1.1
    assert politeness.delay("a") == steps[-1]
    assert politeness.delay("b") == 1.0  # another host is not touched
    clock.now += 1799
    assert politeness.delay("a") == steps[-1]
    clock.now += 1
    assert politeness.delay("a") == 1.0
    assert politeness.host("a").events == {"backoff/http_503": 6, "backoff_reset": 1}


def test_retry_after_sets_a_not_before_time_and_refuses_past_the_cap() -> None:
    clock = Clock()
    politeness = _politeness(clock)
    assert politeness.retry_after("a", 30)
    assert politeness.wait("a") == 30
    clock.now += 10
    assert politeness.wait("a") == 20
    assert not politeness.retry_after("a", 601)
    assert politeness.wait("a") == 20  # a refused wait does not move the time
    clock.now += 20
    assert politeness.wait("a") == 0


def test_per_host_overrides_for_site_profiles() -> None:
    politeness = _politeness(Clock())
    politeness.configure_host("slow.example", base_delay=5.0, concurrency=1)
    politeness.robots_seen("slow.example", 2.0)
    assert politeness.delay("slow.example") == 5.0
    assert politeness.host("slow.example").concurrency == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"POLITENESS_BACKOFF_MAX": 10},  # below the base
        {"POLITENESS_BACKOFF_JITTER": 1.5},
        {"POLITENESS_MAX_RETRY_AFTER": -1},
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="POLITENESS_"):
        _politeness(Clock(), **overrides)


def _middleware_and_downloader(**settings: object):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler.politeness import PolitenessMiddleware

    # No download handlers: these tests never download, and without a reactor Scrapy's
    # default opens an aiohttp session that nobody closes; the error asyncio logs whenever it
    # is collected failed a later, unrelated test in a CI run.
    no_handlers = {"DOWNLOAD_HANDLERS": {"http": None, "https": None}}
    crawler = get_crawler(Spider, {"DOWNLOAD_DELAY": 1.0, **no_handlers, **settings})
    crawler.engine = crawler._create_engine()
    crawler.spider = crawler._create_spider("politeness")
    crawler.stats.open_spider()
    return PolitenessMiddleware.from_crawler(crawler), crawler.engine.downloader


def test_slots_get_the_floor_a_host_base_and_a_retry_after_wait() -> None:
    asyncio.run(_slots_get_the_floor_a_host_base_and_a_retry_after_wait())


async def _slots_get_the_floor_a_host_base_and_a_retry_after_wait() -> None:
    from scrapy import Request
    from scrapy.http import Response

    middleware, downloader = _middleware_and_downloader(
        DOWNLOAD_SLOTS={"fast.example": {"delay": 0.25, "concurrency": 1}}
    )
    middleware.process_request(Request("http://fast.example/a"))
    fast = downloader.slots["fast.example"]
    assert (fast.delay, fast.concurrency, fast.jitter) == (0.25, 1, 0.0)

    robots = Request("http://slow.example/robots.txt")
    middleware.process_request(robots)
    body = b"User-agent: *\nCrawl-delay: 3\n"
    middleware.process_response(robots, Response(robots.url, body=body, request=robots))
    assert downloader.slots["slow.example"].delay == 3.0

    page = Request("http://slow.example/article/1")
    refused = Response(page.url, status=429, headers={"Retry-After": "20"}, request=page)
    retry = middleware.process_response(page, refused)
    assert isinstance(retry, Request) and retry.url == page.url
    slot = downloader.slots["slow.example"]
    next_departure = slot.lastseen + slot.delay
    assert 19 < next_departure - time.monotonic() <= 20
