"""Several crawl processes (workers) on one shared frontier and one shared state in Redis.

`REDIS_URL` switches a crawl over (see `crawler.shared.addon`); without it nothing here runs
and the crawl keeps its embedded SQLite state. Keys live under `SHARED_KEY_PREFIX`: the crawl
state (`<prefix>:state:...`) outlives runs, a crawl's frontier (`<prefix>:crawl:<id>:...`)
lives as long as that crawl.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from typing import Any

from crawler.checks import float_setting, int_setting
from crawler.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
DUPEFILTER_KINDS = ("set", "bloom")


@dataclass(frozen=True, slots=True)
class SharedConfig:
    """The `SHARED_*` settings and `REDIS_URL`, read once; see crawler/settings.py."""

    redis_url: str
    key_prefix: str
    crawl_id: str
    worker_id: str
    dupefilter: str
    bloom_capacity: int
    bloom_error_rate: float
    heartbeat: float
    poll_interval: float

    @classmethod
    def from_settings(cls, settings: Any) -> SharedConfig:
        worker = settings.get("SHARED_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}"
        config = cls(
            redis_url=settings.get("REDIS_URL") or "",
            key_prefix=settings.get("SHARED_KEY_PREFIX") or "newscrawl",
            crawl_id=settings.get("SHARED_CRAWL_ID") or "",
            worker_id=str(worker),
            dupefilter=settings.get("SHARED_DUPEFILTER") or "set",
            bloom_capacity=int_setting(settings, "SHARED_BLOOM_CAPACITY", 10_000_000, minimum=1),
            bloom_error_rate=float_setting(settings, "SHARED_BLOOM_ERROR_RATE", 0.001),
            heartbeat=float_setting(settings, "SHARED_HEARTBEAT", 10.0),
            poll_interval=float_setting(settings, "SHARED_POLL_INTERVAL", 0.5),
        )
        for name, value in [
            ("SHARED_KEY_PREFIX", config.key_prefix),
            ("SHARED_CRAWL_ID", config.crawl_id or "x"),
            ("SHARED_WORKER_ID", config.worker_id),
        ]:
            if not _NAME.match(value):
                raise ConfigError(f"{name} must be letters, digits, '_', '.' or '-', got {value!r}")
        if config.dupefilter not in DUPEFILTER_KINDS:
            raise ConfigError(
                f"SHARED_DUPEFILTER must be one of {', '.join(DUPEFILTER_KINDS)},"
                f" got {config.dupefilter!r}"
            )
        if not 0 < config.bloom_error_rate < 1:
            raise ConfigError(
                f"SHARED_BLOOM_ERROR_RATE must be in (0, 1), got {config.bloom_error_rate}"
            )
        if config.heartbeat <= 0 or config.poll_interval <= 0:
            raise ConfigError("SHARED_HEARTBEAT and SHARED_POLL_INTERVAL must be positive seconds")
        return config

    @property
    def enabled(self) -> bool:
        return bool(self.redis_url)

    def state_key(self, *parts: str) -> str:
        return ":".join((self.key_prefix, "state", *parts))

    def crawl_key(self, *parts: str) -> str:
        return ":".join((self.key_prefix, "crawl", self.crawl_id, *parts))


def connect(redis_url: str) -> Any:
    """A client for `redis_url` (decoded replies off: fingerprints and requests are bytes)."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=10)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL {redis_url!r} is not a redis:// URL: {exc}") from exc
    return client
