"""The shared-crawl parts on a real redis-server (tests/conftest.py starts one): the
dupefilter keys on our fingerprints, the Bloom option falls back when the server lacks it,
max_articles counts across workers, the Redis crawl state answers as the SQLite one, and the
per-host gate spaces requests from several workers by one gap."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.errors import ConfigError
from crawler.fingerprint import SITES_ATTRIBUTE
from crawler.items import Article
from crawler.shared import SharedConfig, connect
from crawler.shared.addon import SharedCrawl
from crawler.shared.frontier import FingerprintDupeFilter
from crawler.shared.politeness import HostBudget
from crawler.shared.state import RedisCrawlState, SharedScheduledIds
from crawler.sites import find_profile
from crawler.state import CrawlState

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _spider(redis_url: str, **settings: str) -> Spider:
    crawler = get_crawler(
        Spider,
        {
            "REDIS_URL": redis_url,
            "SHARED_CRAWL_ID": "test",
            "REQUEST_FINGERPRINTER_CLASS": "crawler.fingerprint.ArticleRequestFingerprinter",
            **settings,
        },
    )
    setattr(crawler, SITES_ATTRIBUTE, {"koreaherald": find_profile("koreaherald")})
    spider = Spider(name="news")
    spider.crawler = crawler
    spider.settings = crawler.settings
    return spider


def test_the_dupefilter_keys_on_our_site_scoped_fingerprints(redis_url: str) -> None:
    spider = _spider(redis_url)
    dupefilter = FingerprintDupeFilter.from_spider(spider)
    article = "https://www.koreaherald.com/article/10123456"
    assert not dupefilter.request_seen(Request(article, meta={"site": "koreaherald"}))
    # A tracking variant and another host of the same id are the same article for us;
    # scrapy-redis' own RFPDupeFilter hashes the URL and would fetch each of them again.
    for variant in [f"{article}?utm_source=feed", "http://koreaherald.com/article/10123456"]:
        assert find_profile("koreaherald").article_id(variant) == "10123456"
        assert dupefilter.request_seen(Request(variant, meta={"site": "koreaherald"})), variant
    assert not dupefilter.request_seen(Request("https://www.koreaherald.com/list.php?page=2"))
    server = connect(redis_url)
    assert server.scard(SharedConfig.from_settings(spider.settings).crawl_key("dupefilter")) == 2


def test_bloom_dupefilter_falls_back_to_a_set_without_the_module(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    spider = _spider(redis_url, SHARED_DUPEFILTER="bloom")
    server = connect(redis_url)
    modules = {m[b"name"] for m in server.module_list()}
    with caplog.at_level(logging.WARNING):
        dupefilter = FingerprintDupeFilter.from_spider(spider)
    if b"bf" in modules:  # a server with RedisBloom: the filter is a real Bloom filter
        assert dupefilter.bloom
        assert server.type(dupefilter.key) == b"MBbloom--"
    else:  # Debian's redis-server: a plain set, and a line in the log saying so
        assert not dupefilter.bloom
        assert "no Bloom filter commands" in caplog.text
        assert spider.crawler.stats.get_value("shared/dupefilter_bloom_unavailable") == 1
    request = Request("https://www.koreaherald.com/article/10000001")
    assert not dupefilter.request_seen(request)
    assert dupefilter.request_seen(request)


def test_bad_shared_settings_are_config_errors(redis_url: str) -> None:
    with pytest.raises(ConfigError, match="SHARED_DUPEFILTER"):
        SharedConfig.from_settings(_spider(redis_url, SHARED_DUPEFILTER="cuckoo").settings)
    with pytest.raises(ConfigError, match="SHARED_CRAWL_ID"):
        SharedConfig.from_settings(_spider(redis_url, SHARED_CRAWL_ID="a b").settings)


def test_max_articles_counts_across_workers(redis_url: str) -> None:
    """Four workers race to schedule 50 ids each under a cap of 30: 30 are scheduled."""
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        ids = SharedScheduledIds(connect(redis_url), "newscrawl:crawl:test:scheduled:site")
        for n in range(50):
            key = str((n * 7 + number) % 60)
            if ids.claim(key, 30) == "claimed":
                with lock:
                    claimed.append(key)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = SharedScheduledIds(connect(redis_url), "newscrawl:crawl:test:scheduled:site")
    assert len(ids) == 30
    assert len(set(claimed)) == 30 == len(claimed)  # no id claimed twice


def _record(text: str, site: str = "koreaherald", ident: str = "10000001") -> Article:
    article = Article(
        site=site,
        article_id=ident,
        url=f"http://{site}.example/article/{ident}",
        crawled_at=NOW,
        published_at=NOW - timedelta(days=1),
        etag='"a"',
        payload_digest="sha1:A",
    )
    article.set_paragraphs([text])
    return article


def _play(state: CrawlState | RedisCrawlState) -> list:
    """The same calls on either store; returns what it answered."""
    state.record_stored([_record("one text")])
    state.record_stored([_record("one text"), _record("x", site="lookalike")])
    state.record_stored([_record("another text")])
    state.record_seen("koreaherald", "10000002", "http://k/2", NOW - timedelta(days=9), NOW)
    state.record_seen("koreaherald", "10000001", "http://k/1", None, NOW)  # stored: no change
    state.touch("koreaherald", "10000001", NOW + timedelta(hours=1))
    state.record_alias("koreaherald", "20250101000123", "10000001")
    answers = [
        state.lookup("koreaherald", "10000001"),
        state.lookup("koreaherald", "10000002"),
        state.lookup("lookalike", "10000001"),
        state.lookup("koreaherald", "404"),
        state.alias_target("koreaherald", "20250101000123"),
        state.alias_target("lookalike", "20250101000123"),
        state.count("koreaherald"),
        state.count(),
    ]
    return answers


def test_the_redis_state_answers_as_the_sqlite_state(redis_url: str, tmp_path: Path) -> None:
    config = SharedConfig.from_settings(_spider(redis_url).settings)
    local = CrawlState(tmp_path / "crawl.sqlite3")
    shared = RedisCrawlState.from_config(config)
    assert _play(shared) == _play(local)
    with sqlite3.connect(tmp_path / "crawl.sqlite3") as db:
        version = db.execute(
            "SELECT version FROM articles WHERE site = 'koreaherald' AND article_id = '10000001'"
        )
        sqlite_version = version.fetchall()

    row = json.loads(
        connect(redis_url).hget(config.state_key("articles", "koreaherald"), "10000001")
    )
    assert sqlite_version == [(2,)] and row["version"] == 2  # the text changed once
    assert row["last_fetched"] == (NOW + timedelta(hours=1)).isoformat()


def _next_at(redis_url: str, config: SharedConfig, host: str, field: str = "next_at") -> int:
    """When the host may next be asked, on Redis' clock (ms): the gate sets it to the last
    grant's time plus the gap in force, so at one gap their differences are the grants'.
    Read straight after `acquire` returns, before any other coroutine runs. `not_before` is
    the same for a Retry-After's hold."""
    return int(connect(redis_url).hget(config.state_key("host", host), field))


def test_the_host_gate_spaces_every_workers_requests(redis_url: str) -> None:
    """Three workers, one host, a 50 ms gap: the grants, on Redis' clock, are 50 ms apart."""
    config = SharedConfig.from_settings(_spider(redis_url).settings)
    granted: list[int] = []

    async def worker() -> None:
        budget = HostBudget(connect(redis_url), config, lease_seconds=5)
        for _ in range(8):
            lease = await budget.acquire("127.0.0.1", 0.05, 2)
            granted.append(_next_at(redis_url, config, "127.0.0.1"))
            budget.release("127.0.0.1", lease)

    async def main() -> None:
        await asyncio.gather(worker(), worker(), worker())

    asyncio.run(main())
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert len(granted) == 24
    assert min(gaps) >= 50


def test_a_retry_after_holds_the_host_for_every_worker(redis_url: str) -> None:
    config = SharedConfig.from_settings(_spider(redis_url).settings)
    first = HostBudget(connect(redis_url), config, lease_seconds=5)
    second = HostBudget(connect(redis_url), config, lease_seconds=5)
    first.hold("127.0.0.2", 0.3)
    held_until = _next_at(redis_url, config, "127.0.0.2", "not_before")
    asyncio.run(second.acquire("127.0.0.2", 0.0, 0))
    assert _next_at(redis_url, config, "127.0.0.2") >= held_until  # at a zero gap: the grant


def test_without_redis_url_the_crawl_is_unchanged() -> None:
    settings = get_project_settings()
    before = {name: settings.get(name) for name in ("SCHEDULER", "DOWNLOAD_HANDLERS", "EXTENSIONS")}
    SharedCrawl().update_settings(settings)
    assert {name: settings.get(name) for name in before} == before
    assert settings.getbool("PARQUET_EXPORT_ENABLED")


def test_redis_url_makes_a_worker_that_does_not_export(redis_url: str) -> None:
    settings = get_project_settings()
    settings.set("REDIS_URL", redis_url, "cmdline")
    with pytest.raises(ConfigError, match="SHARED_CRAWL_ID"):
        SharedCrawl().update_settings(settings)
    settings.set("SHARED_CRAWL_ID", "nightly-1", "cmdline")
    SharedCrawl().update_settings(settings)
    assert settings["SCHEDULER"] == "crawler.shared.frontier.SharedScheduler"
    assert not settings.getbool("PARQUET_EXPORT_ENABLED")
    assert settings.getdict("DOWNLOAD_HANDLERS")["http"].endswith("SharedBudgetDownloadHandler")


def test_a_delay_one_worker_holds_paces_every_worker(redis_url: str) -> None:
    """Worker A met a 429 (or a Crawl-delay): its slot delay of 0.3 s, reported, holds for B
    too until A reports again or the report's time is up."""
    config = SharedConfig.from_settings(_spider(redis_url).settings)
    a = HostBudget(connect(redis_url), config, lease_seconds=5)
    b_config = SharedConfig.from_settings(_spider(redis_url, SHARED_WORKER_ID="b").settings)
    b = HostBudget(connect(redis_url), b_config, lease_seconds=5)
    a.report("127.0.0.3", 0.3, stands_for=2.0)

    async def three_grants() -> list[int]:
        granted = []
        for _ in range(3):
            b.release("127.0.0.3", await b.acquire("127.0.0.3", 0.0, 0))
            granted.append(_next_at(redis_url, b_config, "127.0.0.3"))
        return granted

    def gaps(granted: list[int]) -> list[int]:
        return [later - earlier for earlier, later in itertools.pairwise(granted)]

    # The gap in force is A's 300 ms, not B's zero: `next_at` moved on by 300 each grant.
    assert min(gaps(asyncio.run(three_grants()))) >= 300
    time.sleep(2.0)  # A's report has run out: B is back to its own (zero) gap
    assert max(gaps(asyncio.run(three_grants()))) < 300
    a.report("127.0.0.3", 0.0, stands_for=60)  # A's next report replaces its last one
    assert max(gaps(asyncio.run(three_grants()))) < 300


@pytest.mark.parametrize("order", [1, -1])
def test_merged_report_sums_counters_whatever_a_worker_left_null(order: int) -> None:
    """Scrapy leaves its per-minute rates null for a worker whose run was too short; the
    merge failed when that worker's report came first."""
    from crawler.extensions.report import DriftConfig
    from crawler.shared.coordinator import merge_reports

    reports = [
        {
            "finish_reason": "finished",
            "stats": {"responses_per_minute": None, "item_scraped_count": 3},
        },
        {
            "finish_reason": "finished",
            "stats": {
                "responses_per_minute": 3480.0,
                "item_scraped_count": 4,
                "shared/dupefilter": "bloom",
            },
        },
    ][::order]
    stats = merge_reports("r1", reports, {}, {}, DriftConfig(min_fill_rate=0.5, min_pages=10))[
        "stats"
    ]
    assert stats["responses_per_minute"] == 3480.0
    assert stats["item_scraped_count"] == 7
    assert stats["shared/dupefilter"] == "bloom"


def test_a_worker_is_alive_until_every_close_handler_has_run(redis_url: str) -> None:
    """The coordinator merges a worker's report once its alive key is gone; the report is
    written on `spider_closed`, so the key must outlast that signal."""
    from scrapy import signals

    from crawler.shared.workers import WorkerCoordinator

    spider = _spider(redis_url, SHARED_WORKER_ID="closing")
    crawler = spider.crawler
    WorkerCoordinator.from_crawler(crawler)
    config = SharedConfig.from_settings(crawler.settings)
    alive = config.crawl_key("alive", "closing")
    server = connect(redis_url)
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert server.exists(alive)
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert server.exists(alive)
    assert not server.hexists(config.crawl_key("busy"), "closing")
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert not server.exists(alive)


def test_the_coordinator_names_the_workers_whose_report_is_missing(
    redis_url: str, tmp_path: Path
) -> None:
    import sys

    from crawler.shared.coordinator import run_shared

    settings = _spider(redis_url, SHARED_CRAWL_ID="lost", SHARED_HEARTBEAT="0.1").settings
    runs = SharedConfig.from_settings(settings).crawl_key("runs")
    connect(redis_url).hset(runs, "far", "lost-far-away")
    code, errors = run_shared([[sys.executable, "-c", "pass"]], "lost", tmp_path, settings, {})
    assert code == 1  # no report at all: nothing to merge
    assert "no report from lost-far-away, lost-w0: not merged" in errors
