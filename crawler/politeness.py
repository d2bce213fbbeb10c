"""Per-host politeness: robots Crawl-delay, Retry-After and back-off, applied through Scrapy's
downloader slots so nothing blocks the reactor.

`HostPoliteness` holds every host's state and does the arithmetic; it knows nothing of Scrapy,
so a shared (Redis) version can replace it. `PolitenessMiddleware` feeds it responses and
errors, and writes its answer into the host's downloader slot (delay, jitter, not-before).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from protego import Protego
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.accounting import count_drop
from crawler.errors import ConfigError

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Answers that say "too many requests, come back later".
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class PolitenessConfig:
    """The `POLITENESS_*` settings; see crawler/settings.py for their meaning."""

    max_crawl_delay: float
    max_retry_after: float
    retry_after_times: int
    backoff_base: float
    backoff_max: float
    backoff_jitter: float
    backoff_reset: float

    @classmethod
    def from_settings(cls, settings: Any) -> PolitenessConfig:
        config = cls(
            max_crawl_delay=settings.getfloat("POLITENESS_MAX_CRAWL_DELAY", 30.0),
            max_retry_after=settings.getfloat("POLITENESS_MAX_RETRY_AFTER", 600.0),
            retry_after_times=settings.getint("POLITENESS_RETRY_AFTER_TIMES", 3),
            backoff_base=settings.getfloat("POLITENESS_BACKOFF_BASE", 60.0),
            backoff_max=settings.getfloat("POLITENESS_BACKOFF_MAX", 3600.0),
            backoff_jitter=settings.getfloat("POLITENESS_BACKOFF_JITTER", 0.1),
            backoff_reset=settings.getfloat("POLITENESS_BACKOFF_RESET", 1800.0),
        )
        for name in ("max_crawl_delay", "max_retry_after", "backoff_base", "backoff_reset"):
            if getattr(config, name) < 0:
                raise ConfigError(f"POLITENESS_{name.upper()} must be 0 or more seconds")
        if config.backoff_max < config.backoff_base:
            raise ConfigError(
                f"POLITENESS_BACKOFF_MAX ({config.backoff_max}) must be at least "
                f"POLITENESS_BACKOFF_BASE ({config.backoff_base})"
            )
        if not 0 <= config.backoff_jitter < 1:
            raise ConfigError(
                f"POLITENESS_BACKOFF_JITTER must be in [0, 1), got {config.backoff_jitter}"
            )
        if config.retry_after_times < 0:
            raise ConfigError("POLITENESS_RETRY_AFTER_TIMES must be 0 or more")
        return config


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


@dataclass(slots=True)
class HostState:
    base_delay: float
    concurrency: int | None = None
    crawl_delay: float = 0.0
    backoff_level: int = 0
    backoff_delay: float = 0.0
    last_trouble: float = float("-inf")
    not_before: float = 0.0
    events: dict[str, int] = field(default_factory=dict)

    def count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1


class HostPoliteness:
    """Every host's delay floor: max(base delay, robots Crawl-delay, current back-off), and a
    not-before time from Retry-After. Back-off is StormCrawler's: from `backoff_base`,
    doubling per trouble, capped at `backoff_max`, with jitter, forgotten after
    `backoff_reset` seconds without trouble."""

    def __init__(
        self,
        config: PolitenessConfig,
        default_delay: float,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.default_delay = default_delay
        self._clock = clock
        self._rng = rng or random.Random()
        self.hosts: dict[str, HostState] = {}

    def host(self, name: str) -> HostState:
        state = self.hosts.get(name)
        if state is None:
            state = self.hosts[name] = HostState(self.default_delay)
        return state

    def configure_host(
        self, name: str, base_delay: float | None = None, concurrency: int | None = None
    ) -> None:
        """Per-site overrides (from a site profile): a host's own base delay and concurrency."""
        state = self.host(name)
        if base_delay is not None:
            state.base_delay = base_delay
        if concurrency is not None:
            state.concurrency = concurrency

    def robots_seen(self, name: str, crawl_delay: float | None) -> None:
        if crawl_delay is None:
            return
        state = self.host(name)
        state.crawl_delay = min(crawl_delay, self.config.max_crawl_delay)
        if crawl_delay > self.config.max_crawl_delay:
            state.count("crawl_delay_capped")

    def trouble(self, name: str, kind: str) -> float:
        """A 429/503/5xx or a timeout: back off one step further; returns the new back-off."""
        state = self._fresh(name)
        state.backoff_level += 1
        step = self.config.backoff_base * 2 ** (state.backoff_level - 1)
        jitter = 1 + self._rng.uniform(-self.config.backoff_jitter, self.config.backoff_jitter)
        state.backoff_delay = min(self.config.backoff_max, step) * jitter
        state.last_trouble = self._clock()
        state.count(f"backoff/{kind}")
        return state.backoff_delay

    def retry_after(self, name: str, seconds: float) -> bool:
        """The host asked us to come back in `seconds`; False if that is past the cap."""
        state = self._fresh(name)
        if seconds > self.config.max_retry_after:
            state.count("retry_after_over_cap")
            return False
        state.not_before = max(state.not_before, self._clock() + seconds)
        state.last_trouble = self._clock()
        state.count("retry_after")
        return True

    def delay(self, name: str) -> float:
        """The least gap between two requests to the host, now."""
        state = self._fresh(name)
        return max(state.base_delay, state.crawl_delay, state.backoff_delay)

    def wait(self, name: str) -> float:
        """Seconds before the host may be asked again because it said so (Retry-After)."""
        return max(0.0, self.host(name).not_before - self._clock())

    def _fresh(self, name: str) -> HostState:
        state = self.host(name)
        if state.backoff_level and self._clock() - state.last_trouble >= self.config.backoff_reset:
            state.backoff_level, state.backoff_delay = 0, 0.0
            state.count("backoff_reset")
        return state


class PolitenessMiddleware:
    """Downloader middleware (above RetryMiddleware, 550) that applies `HostPoliteness`.

    robots.txt answers give the Crawl-delay; 429/503 with Retry-After within the cap are
    retried after that wait (`POLITENESS_RETRY_AFTER_TIMES`), past the cap dropped as
    `dropped/retry_after_too_long`; 429/503/5xx and timeouts back the host off. After each
    answer the host's slot gets delay = max(its AutoThrottle delay, our floor).
    """

    def __init__(self, crawler: Crawler, politeness: HostPoliteness, user_agent: str) -> None:
        self.crawler = crawler
        self.politeness = politeness
        self.user_agent = user_agent
        #: Slots whose delay currently holds a Retry-After wait rather than the floor.
        self._waiting: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        settings = crawler.settings
        politeness = HostPoliteness(
            PolitenessConfig.from_settings(settings), settings.getfloat("DOWNLOAD_DELAY")
        )
        return cls(crawler, politeness, settings.get("USER_AGENT", ""))

    def process_request(self, request: Request) -> None:
        # Before the first request to a host, its slot takes the host's own concurrency.
        self._apply(request)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        host = _host(request)
        if urlparse_cached(request).path == "/robots.txt" and response.status == 200:
            robots = Protego.parse(response.body.decode("utf-8", "replace"))
            self.politeness.robots_seen(host, robots.crawl_delay(self.user_agent))
        elif response.status in RETRY_AFTER_STATUSES:
            header = response.headers.get(b"Retry-After")
            seconds = parse_retry_after(
                header.decode("latin-1") if header else None, datetime.now(UTC)
            )
            if seconds is not None:
                return self._retry_after(request, response, host, seconds)
            self.politeness.trouble(host, f"http_{response.status}")
        elif response.status >= 500:
            self.politeness.trouble(host, f"http_{response.status}")
        self._apply(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, TimeoutError) or "Timeout" in type(exception).__name__:
            self.politeness.trouble(_host(request), "timeout")
            self._apply(request)

    def _retry_after(
        self, request: Request, response: Response, host: str, seconds: float
    ) -> Request | Response:
        stats = self.crawler.stats
        assert stats is not None
        if not self.politeness.retry_after(host, seconds):
            self._apply(request)
            count_drop(
                self.crawler,
                request,
                "retry_after_too_long",
                f"{response.status} with Retry-After {seconds:.0f} s, past"
                f" POLITENESS_MAX_RETRY_AFTER ({self.politeness.config.max_retry_after:.0f} s)",
            )
            raise IgnoreRequest(f"retry_after_too_long: {request.url}")
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"retry_after_{response.status}",
            max_retry_times=self.politeness.config.retry_after_times,
        )
        self._apply(request)
        if retry is None:
            count_drop(
                self.crawler,
                request,
                "retry_after_exhausted",
                f"still {response.status} after retries",
            )
            raise IgnoreRequest(f"retry_after_exhausted: {request.url}")
        return retry

    def _apply(self, request: Request) -> None:
        """Write the host's floor and any Retry-After wait into its downloader slot.

        A floor is a minimum, so a slot with one has no jitter. A wait is turned into a delay
        and a `lastseen` such that the next request leaves when the wait ends; applying it
        again during the wait gives the same moment.
        """
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        key, slot = downloader._get_slot(request)
        host = _host(request)
        if host not in self.politeness.hosts:
            # A host's own base delay and concurrency: DOWNLOAD_SLOTS, and what the spider
            # put there from its site profiles when the engine started.
            policy = downloader.per_slot_settings.get(key, {})
            self.politeness.configure_host(host, policy.get("delay"), policy.get("concurrency"))
        state = self.politeness.host(host)
        if state.concurrency is not None:
            slot.concurrency = state.concurrency
        floor = self.politeness.delay(host)
        wait = self.politeness.wait(host)
        if wait > 0:
            slot.delay, slot.jitter = max(floor, wait), 0.0
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)
            self._waiting.add(key)
            if slot.latercall is not None:
                # A wake-up planned before the wait was known would send too early.
                slot.latercall.cancel()
                slot.latercall = None
                downloader._process_queue(slot)
        else:
            if key in self._waiting:
                self._waiting.discard(key)
                slot.delay = floor
            if floor > 0:
                slot.delay, slot.jitter = max(slot.delay, floor), 0.0
        # Kept current as the crawl goes, so the run report (written on spider_closed) has it.
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(f"politeness/delay/{host}", round(slot.delay, 3))
        if state.crawl_delay:
            stats.set_value(f"politeness/crawl_delay/{host}", state.crawl_delay)
        for event, count in state.events.items():
            stats.set_value(f"politeness/events/{host}/{event}", count)


def _host(request: Request) -> str:
    return urlparse_cached(request).hostname or ""
