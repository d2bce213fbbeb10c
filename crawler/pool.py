"""A process pool for extraction, bounded in flight, so parsing never stalls the reactor.

While `max_in_flight` pages are being parsed, further `submit` calls wait; Scrapy's scraper
then holds their responses and stops feeding the downloader (back-pressure).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from crawler.checks import float_setting, int_setting

T = TypeVar("T")

#: Pages queued per worker by default. Each page makes a round trip through pipes and a
#: manager thread; with 4 a worker the workers waited on the crawl process (`make bench`: 16
#: gave 6% more articles a second), and 16 small pages a worker are a few MB at most.
IN_FLIGHT_PER_WORKER = 16


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """`EXTRACT_WORKERS` (0 = in the crawl process), `EXTRACT_MAX_IN_FLIGHT`, timeout, and
    `EXTRACT_WORKER_NICE`, added to the workers' niceness."""

    workers: int
    max_in_flight: int
    timeout: float
    nice: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> PoolConfig:
        workers = int_setting(settings, "EXTRACT_WORKERS", -1, minimum=-1)
        if workers < 0:
            workers = os.cpu_count() or 1
        in_flight = int_setting(settings, "EXTRACT_MAX_IN_FLIGHT", 0, minimum=0) or max(
            2, workers * IN_FLIGHT_PER_WORKER
        )
        timeout = float_setting(settings, "EXTRACT_TIMEOUT", 60.0, minimum=0.001)
        # Lowering niceness needs root; the workers would fail to start and every page
        # would be dropped, so say it up front.
        nice = int_setting(settings, "EXTRACT_WORKER_NICE", 0, minimum=0)
        return cls(workers=workers, max_in_flight=in_flight, timeout=timeout, nice=nice)


class ExtractionPool:
    """Runs a picklable function in worker processes with a cap on pages in flight."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._executor: Executor | None = None
        self._slots: asyncio.Semaphore | None = None

    def start(self) -> None:
        if self.config.workers > 0:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.config.workers,
                mp_context=context,
                initializer=os.nice,
                initargs=(self.config.nice,),
            )

    async def submit(self, function: Callable[..., T], *args: Any) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_in_flight)
        async with self._slots:
            if self._executor is None:
                return function(*args)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, function, *args)
            return await asyncio.wait_for(future, self.config.timeout)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
