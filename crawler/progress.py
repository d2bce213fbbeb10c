"""Progress of long offline work (`scrapy rebuild`, `scrapy export`).

On a terminal, a tqdm bar with rate and ETA; anywhere else (cron, a pipe, a log file) a plain
log line every PROGRESS_LOG_INTERVAL seconds with the same figures, and one at the end.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

logger = logging.getLogger(__name__)


class Progress:
    """Call it with (done, total) as work advances; `close()` when the work is over."""

    def __init__(
        self,
        description: str,
        unit: str,
        *,
        interval: float = 60.0,
        unit_scale: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description = description
        self.unit = unit
        self.interval = interval
        self.unit_scale = unit_scale
        self.stream = stream or sys.stderr
        self.clock = clock
        self.done = 0
        self.total = 0
        self._started = clock()
        self._logged = self._started
        self._bar: tqdm | None = None
        self._terminal = self.stream.isatty() and _columns(self.stream) > 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._terminal:
            if self._bar is None:
                self._bar = tqdm(
                    total=total,
                    desc=self.description,
                    unit=self.unit,
                    unit_scale=self.unit_scale,
                    file=self.stream,
                    dynamic_ncols=True,
                )
            self._bar.total = total
            self._bar.update(done - self._bar.n)
            return
        now = self.clock()
        if now - self._logged >= self.interval:
            self._logged = now
            logger.info("%s", self.line(now))

    def line(self, now: float) -> str:
        """`export: 1200/5000 articles (24%), 40.0 articles/s, ETA 1m35s`."""
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        left = (self.total - self.done) / rate if rate and self.total else None
        eta = _duration(left) if left is not None else "unknown"
        return (
            f"{self.description}: {_count(self.done, self.unit_scale)}/"
            f"{_count(self.total, self.unit_scale)} {self.unit}{share},"
            f" {_count(rate, self.unit_scale)} {self.unit}/s, ETA {eta}"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.done:
            elapsed = self.clock() - self._started
            logger.info(
                "%s: %s %s in %s",
                self.description,
                _count(self.done, self.unit_scale),
                self.unit,
                _duration(elapsed),
            )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _columns(stream: TextIO) -> int:
    """A terminal's width; 0 (a pty nobody sized) would make tqdm draw nothing at all."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):  # a terminal-like stream with no device behind it
        return 80


def _count(value: float, scale: bool) -> str:
    if not scale:
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    for prefix in ("", "k", "M", "G"):
        if abs(value) < 1000 or prefix == "G":
            return f"{value:.1f}{prefix}"
        value /= 1000
    return f"{value:.1f}T"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
