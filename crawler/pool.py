"""Extraction in sandboxed worker processes: a page that hangs or balloons the parser costs
only itself. Like datatrove's `ExtractorSandbox`, a worker past its time limit is killed and
replaced; its memory is capped by `RLIMIT_DATA`.

Pages wait in one shared queue and any idle worker takes the next, so a slow page never holds
up the pages behind it, and its time limit counts from when a worker starts it. While
`max_in_flight` pages are queued or running, further `submit` calls wait; Scrapy's scraper then
holds their responses and stops feeding the downloader (back-pressure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from crawler.checks import float_setting, int_setting

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Pages admitted per worker by default (queued or running). A queue deep enough that a worker
#: that finishes a page always finds the next one waiting (`make bench`: 16 gave 6% more
#: articles a second than 4); 16 small pages a worker are a few MB at most.
IN_FLIGHT_PER_WORKER = 16
#: How long a worker may take to exit on close before it is killed.
_EXIT_GRACE_S = 2.0
#: How long a fresh worker may take to import the page's function before it counts as dead;
#: this start-up is not the page's run time, so it is not charged to its limit.
_START_GRACE_S = 120.0
#: What a worker says once it holds a page (its function imported) and starts on it.
_STARTED = "started"
#: A page's limit is CPU seconds, so a crowded machine does not cost good pages; a page that
#: waits without using the CPU is stopped after this many times the limit in wall time.
_WALL_FACTOR = 4.0
#: Imported by the fork server that starts the workers, so each forks with it loaded.
PRELOAD_MODULES = ("crawler.workerinit",)
#: How often a running page's CPU time is checked.
_WATCH_INTERVAL_S = 0.25
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class ExtractionLimitError(Exception):
    """A page broke a limit of the sandbox; `reason` names the stats key (`dropped/<reason>`)."""

    reason = "extract_limit"


class ExtractionTimeout(ExtractionLimitError):
    reason = "extract_timeout"


class ExtractionMemoryExceeded(ExtractionLimitError):
    reason = "extract_oom"


class ExtractionWorkerCrashed(ExtractionLimitError):
    reason = "extract_crash"


def default_workers() -> int:
    """One worker per core but the one the crawl process's own thread keeps busy. On two
    cores, in six alternating pairs of 120 KB crawls, one worker instead of two cost 1.5 ms
    less CPU an article (median; -2.8 to +0.3) for 4.5% fewer articles a second (median; +3% to
    -13%): every process was slowed less by the others."""
    return max(1, (os.cpu_count() or 1) - 1)


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """`EXTRACT_WORKERS` (0 = in the crawl process), `EXTRACT_MAX_IN_FLIGHT`,
    `EXTRACT_TIMEOUT` (seconds of run time per page), `EXTRACT_WORKER_NICE` (added to the
    workers' niceness) and `EXTRACT_WORKER_MEMORY` (bytes of data segment per worker)."""

    workers: int
    max_in_flight: int
    timeout: float
    nice: int = 0
    memory: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> PoolConfig:
        workers = int_setting(settings, "EXTRACT_WORKERS", -1, minimum=-1)
        if workers < 0:
            workers = default_workers()
        in_flight = int_setting(settings, "EXTRACT_MAX_IN_FLIGHT", 0, minimum=0) or max(
            2, workers * IN_FLIGHT_PER_WORKER
        )
        timeout = float_setting(settings, "EXTRACT_TIMEOUT", 60.0, minimum=0.001)
        # Lowering niceness needs root; the workers would fail to start and every page
        # would be dropped, so say it up front.
        nice = int_setting(settings, "EXTRACT_WORKER_NICE", 0, minimum=0)
        memory = int_setting(settings, "EXTRACT_WORKER_MEMORY", 0, minimum=0)
        return cls(workers, in_flight, timeout, nice, memory)


def _worker_main(connection: Connection, nice: int, memory: int) -> None:
    """A worker's life: run `(function, args)` messages until `None` or the pipe closes."""
    if nice:
        os.nice(nice)
    if memory:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    try:
        # First in line for the kernel's OOM killer, before the crawl process.
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        function, args = task
        connection.send(_STARTED)
        try:
            outcome: tuple[bool, Any] = (True, function(*args))
        except MemoryError:
            # The heap may be in pieces: answer, then exit so a fresh worker takes over.
            connection.send((False, ExtractionMemoryExceeded("worker ran out of memory")))
            return
        except Exception as exc:  # reported to the caller, which counts it by type
            outcome = (False, exc)
        try:
            connection.send(outcome)
        except Exception as exc:  # an unpicklable result or exception
            connection.send((False, RuntimeError(f"unpicklable outcome: {exc!r}")))


@dataclass(slots=True)
class _Task:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _settle(task: _Task, ok: bool, value: Any) -> None:
    def apply() -> None:
        if task.future.done():  # the caller gave up (cancelled)
            return
        if ok:
            task.future.set_result(value)
        else:
            task.future.set_exception(value)

    task.loop.call_soon_threadsafe(apply)


class _Worker:
    """One sandboxed process and the thread that feeds it one page at a time and watches it."""

    def __init__(self, pool: ExtractionPool, index: int) -> None:
        self._pool = pool
        self._index = index
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"extract-worker-{index}", daemon=True
        )

    def start(self) -> None:
        """Start the thread, which starts the process: the first start waits for the fork
        server to import `PRELOAD_MODULES` (over a second), and the reactor must not."""
        self._thread.start()

    def _spawn(self) -> None:
        config = self._pool.config
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD_MODULES))
        parent, child = context.Pipe(duplex=True)
        process = context.Process(
            target=_worker_main,
            args=(child, config.nice, config.memory),
            name=f"newscrawl-extract-{self._index}",
            daemon=True,
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent

    def _kill(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join(_EXIT_GRACE_S)
        self._process = self._connection = None

    def _run(self) -> None:
        try:
            self._spawn()
            failed: Exception | None = None
        except Exception as error:  # no process, so every page it takes fails, and says why
            logger.error("extraction worker %d could not start: %s", self._index, error)
            failed = ExtractionWorkerCrashed(f"worker could not start: {error}")
        while True:
            task = self._pool._tasks.get()
            if task is None:
                break
            if task.future.done():
                continue
            if self._pool._closing or failed is not None:
                _settle(task, False, failed or RuntimeError("extraction pool closed"))
                continue
            ok, value, replace = self._run_one(task)
            _settle(task, ok, value)
            if replace:
                self._pool._replaced(self._index, value)
                self._kill()
                if self._pool._closing:
                    return
                self._spawn()
        self._retire()

    def _run_one(self, task: _Task) -> tuple[bool, Any, bool]:
        """(ok, result or exception, whether the worker must be replaced)."""
        connection, process = self._connection, self._process
        assert connection is not None and process is not None
        timeout = self._pool.config.timeout
        try:
            connection.send((task.function, task.args))
            if not connection.poll(_START_GRACE_S) or connection.recv() != _STARTED:
                crash = ExtractionWorkerCrashed(f"worker did not start in {_START_GRACE_S:g} s")
                return False, crash, True
            if not self._finishes_in_time(connection, process.pid, timeout):
                return False, ExtractionTimeout(f"still parsing after {timeout:g} s"), True
            ok, value = connection.recv()
        except (EOFError, OSError):
            process.join(0.5)
            crash = ExtractionWorkerCrashed(f"worker died (exit code {process.exitcode})")
            return False, crash, True
        return ok, value, isinstance(value, ExtractionMemoryExceeded)

    @staticmethod
    def _finishes_in_time(connection: Connection, pid: int | None, timeout: float) -> bool:
        """Wait for the answer while the page has used less than `timeout` CPU seconds and
        less than `_WALL_FACTOR` times that in wall time."""
        started, cpu_start = time.monotonic(), _cpu_seconds(pid)
        while not connection.poll(_WATCH_INTERVAL_S):
            wall = time.monotonic() - started
            cpu_now = _cpu_seconds(pid)
            used = wall if cpu_start is None or cpu_now is None else cpu_now - cpu_start
            if used > timeout or wall > timeout * _WALL_FACTOR:
                return False
        return True

    def _retire(self) -> None:
        """Ask the process to exit, and kill it if it does not in time."""
        if self._connection is not None:
            with contextlib.suppress(OSError, ValueError):
                self._connection.send(None)
        if self._process is not None:
            self._process.join(_EXIT_GRACE_S)
        self._kill()

    def stop(self, deadline: float) -> None:
        """Wait for the thread until `deadline`; a process still busy then is killed, which
        ends its page as a crash and lets the thread finish."""
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            process = self._process
            if process is not None:
                process.kill()
            self._thread.join(_EXIT_GRACE_S)


class ExtractionPool:
    """Runs a picklable function in sandboxed worker processes, with a cap on pages in flight."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._workers: list[_Worker] = []
        self._slots: asyncio.Semaphore | None = None
        self._closing = False
        #: Workers replaced, by the reason of the page that cost them (`extract_timeout`, ...).
        self.replacements: dict[str, int] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        for index in range(self.config.workers):
            worker = _Worker(self, index)
            worker.start()
            self._workers.append(worker)

    def _replaced(self, index: int, error: Exception) -> None:
        reason = getattr(error, "reason", type(error).__name__)
        with self._lock:
            self.replacements[reason] = self.replacements.get(reason, 0) + 1
        logger.warning("extraction worker %d replaced: %s", index, error)

    async def submit(self, function: Callable[..., T], *args: Any) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_in_flight)
        async with self._slots:
            if not self._workers:
                return function(*args)
            if self._closing:
                raise RuntimeError("extraction pool is closed")
            loop = asyncio.get_running_loop()
            future: asyncio.Future[T] = loop.create_future()
            self._tasks.put(_Task(function, args, future, loop))
            return await future

    def close(self) -> None:
        """Stop the workers without waiting on a hung one: at most a few seconds."""
        self._closing = True
        for _ in self._workers:
            self._tasks.put(None)
        deadline = time.monotonic() + _EXIT_GRACE_S
        for worker in self._workers:
            worker.stop(deadline)
        self._workers = []
