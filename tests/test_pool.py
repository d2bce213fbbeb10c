"""The extraction pool: bounded, and its workers yield the CPU to the crawl process."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.pool import (
    ExtractionMemoryExceeded,
    ExtractionPool,
    ExtractionTimeout,
    ExtractionWorkerCrashed,
    PoolConfig,
)


def test_workers_run_nicer_than_the_crawl_process() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=2, timeout=60, nice=5))
    pool.start()
    try:
        worker_niceness = asyncio.run(pool.submit(os.nice, 0))
    finally:
        pool.close()
    assert worker_niceness == min(os.nice(0) + 5, 19)


def test_negative_niceness_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="EXTRACT_WORKER_NICE"):
        PoolConfig.from_settings(Settings({"EXTRACT_WORKER_NICE": -5}))


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (8, 7), (None, 1)])
def test_default_workers_leave_a_core_to_the_crawl_process(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert PoolConfig.from_settings(Settings()).workers == workers
    assert PoolConfig.from_settings(Settings({"EXTRACT_WORKERS": 3})).workers == 3


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _balloon(megabytes: int) -> int:
    hoard = [bytearray(2**20) for _ in range(megabytes)]
    return len(hoard)


def _die() -> None:
    os._exit(3)


async def _gather(pool: ExtractionPool, *calls: tuple[Any, ...]) -> list[Any]:
    return await asyncio.gather(*(pool.submit(*call) for call in calls), return_exceptions=True)


def test_a_hung_page_is_killed_and_the_worker_replaced() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=1.0))
    pool.start()
    try:
        started = time.monotonic()
        hung, good = asyncio.run(_gather(pool, (_sleep, 600), (_sleep, 0)))
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert isinstance(hung, ExtractionTimeout)
    assert good == 0  # the page queued behind the hung one ran in the fresh worker
    assert pool.replacements == {"extract_timeout": 1}
    assert elapsed < 30  # 4 s of wall time: sleeping uses no CPU


def test_time_limit_counts_run_time_not_queue_time() -> None:
    """Three pages of 0.8 s on one worker with a 1.5 s limit: each waits longer than the limit
    in the queue, and none is dropped for it."""
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=1.5))
    pool.start()
    try:
        results = asyncio.run(_gather(pool, *[(_sleep, 0.8)] * 3))
    finally:
        pool.close()
    assert results == [0.8, 0.8, 0.8]


def test_a_page_that_balloons_memory_is_dropped_and_the_worker_replaced() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=30, memory=768 * 2**20))
    pool.start()
    try:
        balloon, good = asyncio.run(_gather(pool, (_balloon, 4096), (_balloon, 1)))
    finally:
        pool.close()
    assert isinstance(balloon, ExtractionMemoryExceeded)
    assert good == 1
    assert pool.replacements == {"extract_oom": 1}


def test_a_crashed_worker_is_counted_and_replaced() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=30))
    pool.start()
    try:
        crash, good = asyncio.run(_gather(pool, (_die,), (_sleep, 0)))
    finally:
        pool.close()
    assert isinstance(crash, ExtractionWorkerCrashed)
    assert good == 0


def test_close_does_not_wait_for_a_hung_worker() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=600))
    pool.start()

    async def abandon() -> None:
        task = asyncio.ensure_future(pool.submit(_sleep, 600))
        await asyncio.sleep(1.0)
        started = time.monotonic()
        pool.close()
        assert time.monotonic() - started < 10
        task.cancel()

    asyncio.run(abandon())


def _spin(seconds: float) -> float:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass
    return seconds


def test_a_busy_page_is_stopped_by_its_cpu_time() -> None:
    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=1.0))
    pool.start()
    try:
        started = time.monotonic()
        (spinning,) = asyncio.run(_gather(pool, (_spin, 600)))
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert isinstance(spinning, ExtractionTimeout)
    assert elapsed < 30


def test_worker_start_up_is_not_charged_to_the_first_page() -> None:
    """A fresh worker imports the page's function (trafilatura and all) before the page
    starts: with a limit shorter than that import, the first page still succeeds."""
    from crawler.extract import detect_language

    pool = ExtractionPool(PoolConfig(workers=1, max_in_flight=4, timeout=0.2))
    pool.start()
    try:
        (language,) = asyncio.run(_gather(pool, (detect_language, "")))
    finally:
        pool.close()
    assert language is None
