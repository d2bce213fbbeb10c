"""The extraction pool: bounded, and its workers yield the CPU to the crawl process."""

from __future__ import annotations

import asyncio
import os

import pytest
from scrapy.settings import Settings

from crawler.pool import ExtractionPool, PoolConfig


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
